//! Staff password login (LoginStaff) with lockout, and the last step every login path shares:
//! either a challenge (TOTP, forced password change) or a session.
//!
//! Failures are counted per account inside a write transaction that first takes the staff
//! row's lock (`lockout.rs`), so concurrent wrong passwords cannot lose increments.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;

use siyu_core::TenantId;

use crate::app::staff::challenges::ChallengeKind;
use crate::app::staff::lockout::check_unlocked;
use crate::app::tokens::sessions::{Issued, NewSession};
use crate::app::{App, ClientInfo};
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::staff::StaffStatus;
use crate::repo::staff::accounts::{self as staff_repo, Staff};
use crate::repo::staff::totp as totp_repo;
use crate::repo::tenancy::TenantStatus;
use crate::repo::tenancy::tenants as tenant_repo;
use crate::repo::tokens::SubjectKind;

/// The outcome of a login step.
#[derive(Debug, Clone)]
pub enum StaffLogin {
    /// Logged in.
    Tokens(Box<Issued>, Box<Staff>),
    /// Another step is needed (VerifyStaffTotp, ChangeStaffPassword, EnrollTotp).
    Challenge {
        /// What the next step is.
        kind: ChallengeKind,
        /// Opaque challenge token.
        token: String,
        /// Its expiry.
        expires_at: DateTime<Utc>,
    },
}

/// How a staff member names themself at login.
#[derive(Debug, Clone, Copy)]
pub enum StaffIdent<'a> {
    /// The login name.
    Login(&'a str),
    /// Store code (OrgUnit.code) + employee number.
    Employee {
        /// The store's org unit code.
        store_code: &'a str,
        /// Staff.employee_no.
        employee_no: &'a str,
    },
}

impl App {
    /// LoginStaff by tenant code, identifier and password.
    #[tracing::instrument(skip_all)]
    pub async fn login_staff(
        &self,
        tenant_code: &str,
        ident: StaffIdent<'_>,
        password: &str,
        client: &ClientInfo,
    ) -> Result<StaffLogin, AppError> {
        let tenant = tenant_repo::by_code(&self.db, tenant_code)
            .await?
            .ok_or(AppError::TenantNotFound)?;
        if tenant.status != TenantStatus::Active {
            return Err(AppError::TenantSuspended);
        }
        let now = self.clock.now();
        let found = match ident {
            StaffIdent::Login(name) => staff_repo::by_login(&self.db, tenant.id, name).await?,
            StaffIdent::Employee {
                store_code,
                employee_no,
            } => staff_repo::by_employee_no(&self.db, tenant.id, store_code, employee_no).await?,
        };
        let Some(staff) = found else {
            // Same answer (and similar cost) as a wrong password: no account enumeration.
            let _ = self.hashing.verify(password, DUMMY_HASH);
            return Err(AppError::InvalidCredentials);
        };
        check_unlocked(&staff, now)?;
        let ok = self.hashing.verify(password, &staff.password_hash);
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let staff = self.lock_staff(&txn, tenant.id, &staff.id).await?;
        check_unlocked(&staff, now)?;
        if !ok {
            self.record_failure(&txn, &staff, now).await?;
            txn.commit().await?;
            return Err(AppError::InvalidCredentials);
        }
        if staff.status != StaffStatus::Active {
            return Err(AppError::AccountDisabled);
        }
        if totp_repo::is_enabled(&txn, tenant.id, &staff.id).await? {
            // The password alone clears nothing: the failure counter runs on until the TOTP
            // step succeeds, so re-entering the password cannot buy fresh code guesses.
            txn.commit().await?;
            let (token, expires_at) = self
                .issue_challenge(ChallengeKind::Totp, tenant.id, &staff.id, "password")
                .await?;
            return Ok(StaffLogin::Challenge {
                kind: ChallengeKind::Totp,
                token,
                expires_at,
            });
        }
        self.finish_login(txn, staff, client, "password").await
    }

    /// The last step of every login: clears the failure counter, then either asks for the
    /// forced password change or starts the session (audited STAFF_LOGIN). Commits `txn`.
    pub(crate) async fn finish_login(
        &self,
        txn: DatabaseTransaction,
        staff: Staff,
        client: &ClientInfo,
        method: &str,
    ) -> Result<StaffLogin, AppError> {
        let now = self.clock.now();
        let tenant = staff.tenant_id;
        staff_repo::set_failures(&txn, &staff.id, 0, None, None).await?;
        crate::repo::staff::admin::touch_login(&txn, &staff.id, now).await?;
        if staff.must_change_password {
            txn.commit().await?;
            let kind = ChallengeKind::PasswordChange;
            let (token, expires_at) = self
                .issue_challenge(kind, tenant, &staff.id, method)
                .await?;
            return Ok(StaffLogin::Challenge {
                kind,
                token,
                expires_at,
            });
        }
        let issued = self
            .start_session(
                &txn,
                NewSession {
                    tenant,
                    kind: SubjectKind::Staff,
                    subject: &staff.id,
                    login_method: method,
                    app_id: "",
                    client,
                },
            )
            .await?;
        self.audit_staff(
            &txn,
            tenant,
            &staff.id,
            "STAFF_LOGIN",
            AuditOutcome::Success,
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(StaffLogin::Tokens(Box::new(issued), Box::new(staff)))
    }

    /// Role claims of a staff member (for the Staff view).
    pub async fn staff_roles(
        &self,
        tenant: TenantId,
        staff_id: &str,
    ) -> Result<Vec<(String, String)>, AppError> {
        staff_repo::role_claims(&self.db, tenant, staff_id).await
    }

    /// Whether a staff member has TOTP enabled (for the Staff view).
    pub async fn staff_totp_enabled(
        &self,
        tenant: TenantId,
        staff_id: &str,
    ) -> Result<bool, AppError> {
        totp_repo::is_enabled(&self.db, tenant, staff_id).await
    }

    pub(crate) async fn audit_staff(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        tenant: TenantId,
        staff_id: &str,
        kind: &'static str,
        outcome: AuditOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        audit_repo::append(
            txn,
            tenant,
            NewEntry {
                kind,
                outcome,
                actor_kind: "staff".into(),
                actor_id: staff_id.to_owned(),
                target_kind: "staff".into(),
                target_id: staff_id.to_owned(),
                details: Default::default(),
            },
            now,
        )
        .await?;
        Ok(())
    }
}

/// A valid argon2id hash of a random string, verified against when the login name is unknown
/// so both paths cost about the same.
pub(crate) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$3Qc0CJ3nS0i7jgq0iAcNBoWzyQmW3QPEm1Pt5b8bo2M";
