//! ChangeStaffPassword for a logged-in staff member (with the current password).

use crate::app::App;
use crate::app::staff_lockout::check_unlocked;
use crate::app::tenants::check_password;
use crate::error::AppError;
use crate::repo::staff as staff_repo;
use crate::repo::tokens::sessions as session_repo;

impl App {
    /// Sets a new password after checking the current one (a wrong one counts toward the
    /// lockout) and revokes every session of the staff but `keep_sid` (the caller's). Audits
    /// PASSWORD_CHANGED.
    #[tracing::instrument(skip_all)]
    pub async fn change_password_logged_in(
        &self,
        tenant: &str,
        staff_id: &str,
        keep_sid: Option<&str>,
        current: &str,
        new_password: &str,
    ) -> Result<(), AppError> {
        check_password(new_password, "new_password")?;
        let now = self.clock.now();
        let staff = staff_repo::get(&self.db, tenant, staff_id)
            .await?
            .ok_or(AppError::Unauthenticated("INVALID_CREDENTIALS"))?;
        check_unlocked(&staff, now)?;
        // argon2 runs before the row lock is taken, so slow hashing never holds it.
        let ok = self.hashing.verify(current, &staff.password_hash);
        let reused = ok && self.hashing.verify(new_password, &staff.password_hash);
        let hash = if ok && !reused {
            self.hashing.hash(new_password)?
        } else {
            String::new()
        };
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let locked = self.lock_staff(&txn, tenant, staff_id).await?;
        check_unlocked(&locked, now)?;
        if locked.password_hash != staff.password_hash {
            // Changed meanwhile: the current password checked above is no longer current.
            return Err(AppError::Unauthenticated("INVALID_CREDENTIALS"));
        }
        if !ok {
            self.record_failure(&txn, &locked, now).await?;
            txn.commit().await?;
            return Err(AppError::Unauthenticated("INVALID_CREDENTIALS"));
        }
        if reused {
            return Err(AppError::invalid_with(
                "PASSWORD_REUSED",
                "new_password",
                "must differ from the current password",
            ));
        }
        staff_repo::set_password(&txn, staff_id, &hash, now).await?;
        let others: Vec<String> = session_repo::live_session_ids(&txn, tenant, staff_id)
            .await?
            .into_iter()
            .filter(|sid| Some(sid.as_str()) != keep_sid)
            .collect();
        session_repo::revoke_sessions(&txn, tenant, &others, "password_changed", now).await?;
        self.audit_staff(&txn, tenant, staff_id, "PASSWORD_CHANGED", "SUCCESS", now)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}
