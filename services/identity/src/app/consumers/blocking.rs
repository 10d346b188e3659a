//! SetUserBlocked: blocking a user revokes every session; logins of a blocked user are refused
//! and audited. Under the user's row lock, like every change of a user's status.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;

use siyu_core::TenantId;

use crate::app::audit::append::entry;
use crate::app::consumers::links::lock_live;
use crate::app::consumers::users::UserView;
use crate::app::{Actor, App};
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::consumers::UserStatus;
use crate::repo::consumers::users as users_repo;
use crate::repo::consumers::{links, profiles};

impl App {
    /// Blocks (revoking every session) or unblocks a user; setting the state it already has
    /// changes nothing and audits nothing.
    #[tracing::instrument(skip_all, fields(tenant, user = id, blocked))]
    pub async fn set_user_blocked(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        id: &str,
        blocked: bool,
        reason: &str,
        actor: &Actor,
    ) -> Result<UserView, AppError> {
        let now = self.clock.now();
        let user = lock_live(txn, tenant, id).await?;
        let (from, to, kind) = if blocked {
            (UserStatus::Active, UserStatus::Blocked, "USER_BLOCKED")
        } else {
            (UserStatus::Blocked, UserStatus::Active, "USER_UNBLOCKED")
        };
        if user.status == from {
            links::set_status(txn, tenant, id, from, to, now).await?;
            let mut details = BTreeMap::new();
            details.insert("reason".to_owned(), reason.to_owned());
            if blocked {
                let n = self
                    .revoke_subject_sessions(txn, tenant, actor.pair(), id, None, "user_blocked")
                    .await?;
                details.insert("sessions_revoked".to_owned(), n.to_string());
            }
            let entry = entry(kind, actor, id, details);
            audit_repo::append(txn, tenant, entry, now).await?;
        }
        let user = users_repo::get(txn, tenant, id)
            .await?
            .ok_or(AppError::UserNotFound)?;
        let profile = profiles::get(txn, tenant, id).await?.unwrap_or_default();
        Ok(UserView { user, profile })
    }

    /// Audits a login refused to a blocked (or erased) user, CONSUMER_LOGIN_FAILED, in its own
    /// transaction: the login's own transaction is rolled back.
    pub(crate) async fn login_refused(&self, tenant: TenantId, user_id: &str, method: &str) {
        let now = self.clock.now();
        let audited = async {
            let txn = siyu_store::db::begin_write(&self.db).await?;
            let details = [
                ("method".to_owned(), method.to_owned()),
                ("reason".to_owned(), "USER_BLOCKED".to_owned()),
            ];
            let entry = NewEntry {
                kind: "CONSUMER_LOGIN_FAILED",
                outcome: AuditOutcome::Failure,
                actor_kind: "consumer".into(),
                actor_id: user_id.to_owned(),
                target_kind: "user".into(),
                target_id: user_id.to_owned(),
                details: details.into(),
            };
            audit_repo::append(&txn, tenant, entry, now).await?;
            txn.commit().await?;
            Ok::<(), AppError>(())
        };
        if let Err(err) = audited.await {
            tracing::error!(error = %err, "could not audit a refused login");
        }
    }
}
