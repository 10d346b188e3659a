//! Staff passwords: ChangeStaffPassword (logged in with the current password, or completing a
//! PASSWORD_CHANGE_REQUIRED challenge) and the admin's ResetStaffPassword. The rule a new
//! password must meet is in `password_policy.rs`.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};

use crate::app::staff::challenges::ChallengeKind;
use crate::app::staff::lockout::check_unlocked;
use crate::app::staff::login::StaffLogin;
use crate::app::staff::password_policy::check_password;
use crate::app::staff::scope::{acts_beyond_store_manager, administers, is_self};
use crate::app::tokens::sessions::NewSession;
use crate::app::{App, ClientInfo};
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::staff::accounts as staff_repo;
use crate::repo::tokens::SubjectKind;
use crate::repo::tokens::sessions as session_repo;

impl App {
    /// Sets a new password after checking the current one (a wrong one counts toward the
    /// lockout) and revokes every session of the staff but `keep_sid` (the caller's). Audits
    /// PASSWORD_CHANGED.
    #[tracing::instrument(skip_all)]
    pub async fn change_password_logged_in(
        &self,
        tenant: TenantId,
        staff_id: &str,
        keep_sid: Option<&str>,
        current: &str,
        new_password: &str,
    ) -> Result<(), AppError> {
        check_password(new_password, "new_password")?;
        let now = self.clock.now();
        let staff = staff_repo::get(&self.db, tenant, staff_id)
            .await?
            .ok_or(AppError::InvalidCredentials)?;
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
            return Err(AppError::InvalidCredentials);
        }
        if !ok {
            self.record_failure(&txn, &locked, now).await?;
            txn.commit().await?;
            return Err(AppError::InvalidCredentials);
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
        self.audit_staff(
            &txn,
            tenant,
            staff_id,
            "PASSWORD_CHANGED",
            AuditOutcome::Success,
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(())
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
        let found = self
            .peek_challenge(challenge, ChallengeKind::PasswordChange)
            .await?;
        // Single use: whoever deletes the key owns the challenge.
        self.consume_challenge(challenge).await?;
        let tenant = found.tenant;
        let staff = staff_repo::get(&self.db, tenant, &found.staff_id)
            .await?
            .ok_or(AppError::ChallengeInvalid)?;
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
        let others =
            crate::repo::tokens::sessions::live_session_ids(&txn, tenant, &staff.id).await?;
        crate::repo::tokens::sessions::revoke_sessions(
            &txn,
            tenant,
            &others,
            "password_changed",
            now,
        )
        .await?;
        self.audit_staff(
            &txn,
            tenant,
            &staff.id,
            "PASSWORD_CHANGED",
            AuditOutcome::Success,
            now,
        )
        .await?;
        let issued = self
            .start_session(
                &txn,
                NewSession {
                    tenant,
                    kind: SubjectKind::Staff,
                    subject: &staff.id,
                    login_method: &found.method,
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
        let staff = staff_repo::get(&self.db, tenant, &staff.id)
            .await?
            .ok_or_else(|| AppError::Internal("staff vanished".into()))?;
        Ok(StaffLogin::Tokens(Box::new(issued), Box::new(staff)))
    }

    /// ResetStaffPassword: sets `password` (forced change at next login) and revokes every
    /// session.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, staff = id))]
    pub async fn reset_staff_password(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: &str,
        password: &str,
        remove_totp: bool,
        reason: &str,
    ) -> Result<(), AppError> {
        let tenant = ctx.tenant;
        let now = self.clock.now();
        let target = self.staff_view(txn, tenant, id).await?;
        // A store manager resets guides' passwords but never removes their second factor.
        let beyond_manager = acts_beyond_store_manager(ctx, &target.path);
        if !administers(ctx, &target.path, &target.grants) || (remove_totp && !beyond_manager) {
            return Err(AppError::PermissionDenied);
        }
        if is_self(ctx, id) {
            return Err(AppError::CannotModifySelf);
        }
        check_password(password, "temporary_password")?;
        let mut row = target.staff.clone();
        row.password_hash = self.hashing.hash(password)?;
        row.must_change_password = true;
        row.failed_attempts = 0;
        row.failure_window_start = None;
        row.locked_until = None;
        self.write_staff(txn, row, target.staff.version, now)
            .await?;
        let actor = (
            crate::app::kind_name(ctx.principal.kind),
            ctx.principal.subject.as_str(),
        );
        self.revoke_subject_sessions(txn, tenant, actor, id, None, "password_reset")
            .await?;
        let details = BTreeMap::from([("reason".to_owned(), reason.to_owned())]);
        self.audit_staff_admin(txn, ctx, "PASSWORD_RESET", id, details.clone(), now)
            .await?;
        // A pending (unconfirmed) secret goes too; only removing an enabled one is audited.
        if remove_totp && crate::repo::staff::totp::remove(txn, tenant, id).await? {
            self.audit_staff_admin(txn, ctx, "TOTP_DISABLED", id, details, now)
                .await?;
        }
        Ok(())
    }
}
