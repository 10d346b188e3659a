//! The staff failure counter and lockout, shared by every step that checks a staff secret
//! (password, TOTP code, recovery code). Counting happens under the staff row's lock (a no-op
//! UPDATE in the caller's write transaction), so concurrent failures cannot lose increments.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;

use siyu_core::TenantId;

use crate::app::App;
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::staff::accounts::{self as staff_repo, Staff};

/// FAILED_PRECONDITION ACCOUNT_LOCKED with `locked_until`.
pub fn locked(until: DateTime<Utc>) -> AppError {
    AppError::AccountLocked {
        until: until.to_rfc3339(),
    }
}

/// ACCOUNT_LOCKED when `staff` is locked at `now`.
pub fn check_unlocked(staff: &Staff, now: DateTime<Utc>) -> Result<(), AppError> {
    match staff.locked_until.filter(|until| *until > now) {
        Some(until) => Err(locked(until)),
        None => Ok(()),
    }
}

impl App {
    /// Takes the staff row's lock in `txn` and reads the row fresh.
    pub async fn lock_staff(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        staff_id: &str,
    ) -> Result<Staff, AppError> {
        staff_repo::lock(txn, tenant, staff_id).await?;
        staff_repo::get(txn, tenant, staff_id)
            .await?
            .ok_or(AppError::InvalidCredentials)
    }

    /// Counts one failure of `staff` (locked by [`App::lock_staff`] in `txn`), locking the
    /// account at the threshold; audits STAFF_LOGIN_FAILED (and ACCOUNT_LOCKED). Returns the
    /// attempts left before the lock (0 = now locked). The caller commits `txn`.
    pub async fn record_failure(
        &self,
        txn: &impl ConnectionTrait,
        staff: &Staff,
        now: DateTime<Utc>,
    ) -> Result<i32, AppError> {
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
        if locks {
            let until = now + Duration::seconds(lock.lock_secs);
            staff_repo::set_failures(txn, &staff.id, 0, None, Some(until)).await?;
        } else {
            staff_repo::set_failures(txn, &staff.id, attempts, Some(start), None).await?;
        }
        let tenant = &staff.tenant_id;
        self.audit_staff(
            txn,
            *tenant,
            &staff.id,
            "STAFF_LOGIN_FAILED",
            AuditOutcome::Failure,
            now,
        )
        .await?;
        if locks {
            self.audit_staff(
                txn,
                *tenant,
                &staff.id,
                "ACCOUNT_LOCKED",
                AuditOutcome::Success,
                now,
            )
            .await?;
        }
        Ok(if locks { 0 } else { lock.threshold - attempts })
    }
}
