//! The staff TOTP second factor: enrolment, confirmation, the login step and disabling.
//!
//! Secrets are 20 OS-random bytes sealed with the AES-GCM key (`Sealer`); recovery codes are
//! stored as SHA-256 of (staff id, code). Every check of a code runs under the staff row lock
//! and spends the code's time step with a conditional UPDATE (`last_step < step`), so a code
//! is accepted at most once even by concurrent presenters; failed codes count toward the
//! lockout like wrong passwords.

use sea_orm::ConnectionTrait;

use siyu_core::TenantId;

use crate::app::staff::challenges::ChallengeKind;
use crate::app::staff::lockout::check_unlocked;
use crate::app::staff::login::StaffLogin;
use crate::app::{App, ClientInfo};
use crate::crypto::sha256_hex;
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::staff::StaffStatus;
use crate::repo::staff::accounts::Staff;
use crate::repo::staff::totp as repo;
use crate::repo::tenancy::tenants as tenant_repo;
use crate::totp;

/// How many recovery codes ConfirmTotp hands out.
const RECOVERY_CODES: usize = 10;

/// A new secret as the staff member sees it once.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Base32 secret.
    pub secret: String,
    /// otpauth:// URI.
    pub uri: String,
}

impl App {
    /// EnrollTotp: a fresh pending secret for `staff_id` (replacing an unconfirmed one).
    #[tracing::instrument(skip_all)]
    pub async fn enroll_totp(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        staff_id: &str,
    ) -> Result<Enrolment, AppError> {
        let staff = self.lock_staff(txn, tenant, staff_id).await?;
        let already = || AppError::TotpAlreadyEnabled;
        if repo::is_enabled(txn, tenant, staff_id).await? {
            return Err(already());
        }
        let secret = totp::new_secret()?;
        let sealed = self.sealer.seal(&secret)?;
        if !repo::put_pending(txn, tenant, staff_id, &sealed, self.clock.now()).await? {
            return Err(already());
        }
        let tenant_code = tenant_repo::get(txn, tenant)
            .await?
            .map(|t| t.code)
            .unwrap_or_default();
        let secret = totp::base32_encode(&secret);
        let uri = totp::otpauth_uri(&tenant_code, &staff.login_name, &secret);
        Ok(Enrolment { secret, uri })
    }

    /// ConfirmTotp: enables the pending secret after a current code; returns the recovery
    /// codes (stored hashed, shown once). Audits TOTP_ENABLED.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_totp(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        staff_id: &str,
        code: &str,
    ) -> Result<Vec<String>, AppError> {
        self.lock_staff(txn, tenant, staff_id).await?;
        let row = repo::get(txn, tenant, staff_id)
            .await?
            .filter(|r| !r.enabled)
            .ok_or(AppError::TotpNotEnrolled)?;
        if !self.spend_code(txn, tenant, staff_id, &row, code).await? {
            return Err(AppError::TotpInvalid {
                attempts_left: None,
            });
        }
        let now = self.clock.now();
        repo::enable(txn, tenant, staff_id, now).await?;
        let codes = totp::new_recovery_codes(RECOVERY_CODES)?;
        let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(staff_id, c)).collect();
        repo::put_recovery_codes(txn, tenant, staff_id, &hashes, now).await?;
        self.audit_staff(
            txn,
            tenant,
            staff_id,
            "TOTP_ENABLED",
            AuditOutcome::Success,
            now,
        )
        .await?;
        Ok(codes)
    }

    /// VerifyStaffTotp: the second login step. A wrong or reused code counts toward the
    /// lockout (TOTP_INVALID with the attempts left); success consumes the challenge.
    #[tracing::instrument(skip_all)]
    pub async fn verify_staff_totp(
        &self,
        token: &str,
        code: &str,
        client: &ClientInfo,
    ) -> Result<StaffLogin, AppError> {
        let challenge = self.peek_challenge(token, ChallengeKind::Totp).await?;
        let now = self.clock.now();
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let staff = self
            .lock_staff(&txn, challenge.tenant, &challenge.staff_id)
            .await
            .map_err(|_| AppError::ChallengeInvalid)?;
        check_unlocked(&staff, now)?;
        if staff.status != StaffStatus::Active {
            return Err(AppError::AccountDisabled);
        }
        if !self.check_second_factor(&txn, &staff, code).await? {
            let left = self.record_failure(&txn, &staff, now).await?;
            txn.commit().await?;
            return Err(AppError::TotpInvalid {
                attempts_left: Some(left),
            });
        }
        // Single use: a second winner (another valid code at once) loses here and its
        // transaction, with the spent step, rolls back.
        self.consume_challenge(token).await?;
        let method = format!("{}+totp", challenge.method);
        self.finish_login(txn, staff, client, &method).await
    }

    /// DisableTotp for the caller: needs the password and a current code; both failures count
    /// toward the lockout. Audits TOTP_DISABLED.
    #[tracing::instrument(skip_all)]
    pub async fn disable_totp(
        &self,
        tenant: TenantId,
        staff_id: &str,
        password: &str,
        code: &str,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let staff = self.lock_staff(&txn, tenant, staff_id).await?;
        check_unlocked(&staff, now)?;
        let row = repo::get(&txn, tenant, staff_id)
            .await?
            .filter(|r| r.enabled)
            .ok_or(AppError::TotpNotEnrolled)?;
        if !self.hashing.verify(password, &staff.password_hash) {
            self.record_failure(&txn, &staff, now).await?;
            txn.commit().await?;
            return Err(AppError::InvalidCredentials);
        }
        if !self.spend_code(&txn, tenant, staff_id, &row, code).await? {
            let left = self.record_failure(&txn, &staff, now).await?;
            txn.commit().await?;
            return Err(AppError::TotpInvalid {
                attempts_left: Some(left),
            });
        }
        repo::remove(&txn, tenant, staff_id).await?;
        self.audit_staff(
            &txn,
            tenant,
            staff_id,
            "TOTP_DISABLED",
            AuditOutcome::Success,
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// A TOTP code or an unused recovery code of `staff` (enabled TOTP only), spent if valid.
    async fn check_second_factor(
        &self,
        txn: &impl ConnectionTrait,
        staff: &Staff,
        code: &str,
    ) -> Result<bool, AppError> {
        let (tenant, id) = (staff.tenant_id, staff.id.as_str());
        let Some(row) = repo::get(txn, tenant, id).await?.filter(|r| r.enabled) else {
            return Ok(false);
        };
        if totp::is_recovery_code(code) {
            let hash = recovery_hash(id, code);
            let now = self.clock.now();
            return repo::spend_recovery_code(txn, tenant, id, &hash, now).await;
        }
        self.spend_code(txn, tenant, id, &row, code).await
    }

    /// True when `code` is valid now for the secret of `row` and its step was not spent yet
    /// (the step is spent in `txn`).
    async fn spend_code(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        staff_id: &str,
        row: &repo::TotpSecret,
        code: &str,
    ) -> Result<bool, AppError> {
        if !totp::is_totp_code(code) {
            return Ok(false);
        }
        let secret = self.sealer.open(&row.secret_sealed)?;
        let now_step = totp::step_of(self.clock.now().timestamp());
        match totp::matching_step(&secret, code, now_step) {
            Some(step) if step > row.last_step => {
                Ok(repo::spend_step(txn, tenant, staff_id, step).await?)
            }
            _ => Ok(false),
        }
    }
}

/// The stored form of a recovery code: SHA-256 of (staff id, lowercased code).
fn recovery_hash(staff_id: &str, code: &str) -> String {
    sha256_hex(&format!("{staff_id}|{}", code.to_ascii_lowercase()))
}
