//! Staff password login with lockout and forced password change.
//!
//! Failures are counted per account inside a write transaction that first takes the staff
//! row's lock (a no-op UPDATE), so concurrent wrong passwords cannot lose increments.

use chrono::{DateTime, Duration, Utc};
use siyu_core::PrincipalKind;

use super::sessions::{Issued, NewSession};
use super::tenants::check_password;
use super::{App, AppError, ClientInfo};
use crate::crypto::{random_token, sha256_hex};
use crate::repo::audit::{self as audit_repo, NewEntry};
use crate::repo::staff::{self as staff_repo, StaffRow};
use crate::repo::{exec, tenants as tenant_repo, text};

/// Lifetime of a login challenge token.
const CHALLENGE_SECS: i64 = 300;

/// The outcome of a login step.
#[derive(Debug, Clone)]
pub enum StaffLogin {
    /// Logged in.
    Tokens(Box<Issued>, Box<StaffRow>),
    /// The password must be changed first (ChangeStaffPassword with the token).
    PasswordChangeRequired {
        /// Opaque challenge token.
        token: String,
        /// Its expiry.
        expires_at: DateTime<Utc>,
    },
}

impl App {
    /// LoginStaff by tenant code, login name and password.
    #[tracing::instrument(skip_all)]
    pub async fn login_staff(
        &self,
        tenant_code: &str,
        login_name: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<StaffLogin, AppError> {
        let tenant = tenant_repo::by_code(&self.db, tenant_code)
            .await?
            .ok_or(AppError::NotFound("TENANT_NOT_FOUND"))?;
        if tenant.status != "ACTIVE" {
            return Err(AppError::FailedPrecondition("TENANT_SUSPENDED"));
        }
        let now = self.clock.now();
        let Some(staff) = staff_repo::by_login(&self.db, &tenant.id, login_name).await? else {
            // Same answer (and similar cost) as a wrong password: no account enumeration.
            let _ = self.hashing.verify(password, DUMMY_HASH);
            return Err(AppError::Unauthenticated("INVALID_CREDENTIALS"));
        };
        if let Some(until) = staff.locked_until.filter(|until| *until > now) {
            return Err(locked(until));
        }
        let ok = self.hashing.verify(password, &staff.password_hash);
        let txn = siyu_store::db::begin_write(&self.db).await?;
        exec(
            &txn,
            "UPDATE identity_staff SET updated_at = updated_at WHERE id = $1",
            vec![text(&staff.id)],
        )
        .await?;
        let staff = staff_repo::get(&txn, &tenant.id, &staff.id)
            .await?
            .ok_or(AppError::Unauthenticated("INVALID_CREDENTIALS"))?;
        if let Some(until) = staff.locked_until.filter(|until| *until > now) {
            return Err(locked(until));
        }
        if !ok {
            let lock = &self.settings.staff_auth;
            let fresh_window = staff
                .failure_window_start
                .is_none_or(|start| now - start > Duration::seconds(lock.window_secs));
            let (attempts, start) = if fresh_window {
                (1, now)
            } else {
                (
                    staff.failed_attempts + 1,
                    staff.failure_window_start.unwrap_or(now),
                )
            };
            let locks = attempts >= lock.threshold;
            let until = now + Duration::seconds(lock.lock_secs);
            if locks {
                staff_repo::set_failures(&txn, &staff.id, 0, None, Some(until)).await?;
            } else {
                staff_repo::set_failures(&txn, &staff.id, attempts, Some(start), None).await?;
            }
            self.audit_staff(
                &txn,
                &tenant.id,
                &staff.id,
                "STAFF_LOGIN_FAILED",
                "FAILURE",
                now,
            )
            .await?;
            if locks {
                self.audit_staff(
                    &txn,
                    &tenant.id,
                    &staff.id,
                    "ACCOUNT_LOCKED",
                    "SUCCESS",
                    now,
                )
                .await?;
            }
            txn.commit().await?;
            return Err(AppError::Unauthenticated("INVALID_CREDENTIALS"));
        }
        if staff.status != "ACTIVE" {
            return Err(AppError::PermissionDenied("ACCOUNT_DISABLED"));
        }
        staff_repo::set_failures(&txn, &staff.id, 0, None, None).await?;
        crate::repo::staff_admin::touch_login(&txn, &staff.id, now).await?;
        if staff.must_change_password {
            txn.commit().await?;
            let token = random_token()?;
            let expires_at = now + Duration::seconds(CHALLENGE_SECS);
            self.cache
                .set(
                    &challenge_key(&token),
                    format!("{}|{}", tenant.id, staff.id).as_bytes(),
                    Some(std::time::Duration::from_secs(
                        CHALLENGE_SECS.unsigned_abs(),
                    )),
                )
                .await?;
            return Ok(StaffLogin::PasswordChangeRequired { token, expires_at });
        }
        let issued = self
            .start_session(
                &txn,
                NewSession {
                    tenant: &tenant.id,
                    kind: PrincipalKind::Staff,
                    subject: &staff.id,
                    login_method: "password",
                    app_id: "",
                    client,
                },
            )
            .await?;
        self.audit_staff(&txn, &tenant.id, &staff.id, "STAFF_LOGIN", "SUCCESS", now)
            .await?;
        txn.commit().await?;
        Ok(StaffLogin::Tokens(Box::new(issued), Box::new(staff)))
    }

    /// ChangeStaffPassword completing a PASSWORD_CHANGE_REQUIRED challenge: sets the password,
    /// revokes every other session and logs in.
    #[tracing::instrument(skip_all)]
    pub async fn change_password_with_challenge(
        &self,
        challenge: &str,
        new_password: &str,
        client: &ClientInfo,
    ) -> Result<StaffLogin, AppError> {
        check_password(new_password, "new_password")?;
        let key = challenge_key(challenge);
        let value = self
            .cache
            .get(&key)
            .await?
            .ok_or(AppError::Unauthenticated("CHALLENGE_INVALID"))?;
        let value = String::from_utf8(value).map_err(|e| AppError::Internal(e.to_string()))?;
        let (tenant, staff_id) = value
            .split_once('|')
            .ok_or(AppError::Unauthenticated("CHALLENGE_INVALID"))?;
        // Single use: whoever deletes the key owns the challenge.
        if !self.cache.delete(&key).await? {
            return Err(AppError::Unauthenticated("CHALLENGE_INVALID"));
        }
        let staff = staff_repo::get(&self.db, tenant, staff_id)
            .await?
            .ok_or(AppError::Unauthenticated("CHALLENGE_INVALID"))?;
        if self.hashing.verify(new_password, &staff.password_hash) {
            return Err(AppError::invalid_with(
                "PASSWORD_REUSED",
                "new_password",
                "must differ from the current password",
            ));
        }
        let hash = self.hashing.hash(new_password)?;
        let now = self.clock.now();
        let txn = siyu_store::db::begin_write(&self.db).await?;
        staff_repo::set_password(&txn, &staff.id, &hash, now).await?;
        let others = crate::repo::sessions::live_session_ids(&txn, tenant, &staff.id).await?;
        crate::repo::sessions::revoke_sessions(&txn, tenant, &others, "password_changed", now)
            .await?;
        self.audit_staff(&txn, tenant, &staff.id, "PASSWORD_CHANGED", "SUCCESS", now)
            .await?;
        let issued = self
            .start_session(
                &txn,
                NewSession {
                    tenant,
                    kind: PrincipalKind::Staff,
                    subject: &staff.id,
                    login_method: "password",
                    app_id: "",
                    client,
                },
            )
            .await?;
        self.audit_staff(&txn, tenant, &staff.id, "STAFF_LOGIN", "SUCCESS", now)
            .await?;
        txn.commit().await?;
        let staff = staff_repo::get(&self.db, tenant, &staff.id)
            .await?
            .ok_or_else(|| AppError::Internal("staff vanished".into()))?;
        Ok(StaffLogin::Tokens(Box::new(issued), Box::new(staff)))
    }

    /// Role claims of a staff member (for the Staff view).
    pub async fn staff_roles(
        &self,
        tenant: &str,
        staff_id: &str,
    ) -> Result<Vec<(String, String)>, AppError> {
        Ok(staff_repo::role_claims(&self.db, tenant, staff_id).await?)
    }

    async fn audit_staff(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        tenant: &str,
        staff_id: &str,
        kind: &'static str,
        outcome: &'static str,
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

fn locked(until: DateTime<Utc>) -> AppError {
    AppError::AccountLocked {
        until: until.to_rfc3339(),
    }
}

fn challenge_key(token: &str) -> String {
    format!("staff-challenge:{}", sha256_hex(token))
}

/// A valid argon2id hash of a random string, verified against when the login name is unknown
/// so both paths cost about the same.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$3Qc0CJ3nS0i7jgq0iAcNBoWzyQmW3QPEm1Pt5b8bo2M";
