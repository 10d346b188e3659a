//! UpdateUserProfile: the consumer-editable profile (nickname, avatar, gender, birthday), changed
//! under the user's row lock; staff edits are audited with the changed field names only.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;

use siyu_core::TenantId;

use crate::app::consumers::users::{UserView, writable};
use crate::app::{Actor, App};
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::consumers::Gender;
use crate::repo::consumers::identities as identities_repo;
use crate::repo::consumers::profiles as repo;
use crate::repo::consumers::users::User;

/// Which profile fields an update sets (from the update mask), with their new values.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    /// New nickname.
    pub nickname: Option<String>,
    /// New avatar URL.
    pub avatar_url: Option<String>,
    /// New gender (`Some(None)` clears).
    pub gender: Option<Option<Gender>>,
    /// New birthday ('' clears).
    pub birthday: Option<String>,
}

impl App {
    /// Applies `patch` to the profile of an ACTIVE or BLOCKED user under its row lock; staff
    /// edits are audited (PROFILE_UPDATED_BY_STAFF).
    #[tracing::instrument(skip_all, fields(tenant, user = id))]
    pub async fn update_profile(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        id: &str,
        patch: ProfilePatch,
        actor: &Actor,
    ) -> Result<UserView, AppError> {
        let now = self.clock.now();
        let user = identities_repo::lock_users(txn, tenant, &[id])
            .await?
            .pop()
            .ok_or(AppError::UserNotFound)?;
        writable(&user)?;
        let mut profile = repo::get(txn, tenant, id)
            .await?
            .ok_or(AppError::UserNotFound)?;
        let mut changed = Vec::new();
        if let Some(nickname) = patch.nickname {
            profile.nickname = nickname;
            changed.push("nickname");
        }
        if let Some(avatar_url) = patch.avatar_url {
            profile.avatar_url = avatar_url;
            changed.push("avatar_url");
        }
        if let Some(gender) = patch.gender {
            profile.gender = gender;
            changed.push("gender");
        }
        if let Some(birthday) = patch.birthday {
            profile.birthday = birthday;
            changed.push("birthday");
        }
        repo::update(txn, tenant, id, &profile, now).await?;
        if actor.kind == "staff" {
            let mut details = BTreeMap::new();
            details.insert("fields".to_owned(), changed.join(","));
            audit_repo::append(
                txn,
                tenant,
                NewEntry {
                    kind: "PROFILE_UPDATED_BY_STAFF",
                    outcome: AuditOutcome::Success,
                    actor_kind: actor.kind.clone(),
                    actor_id: actor.id.clone(),
                    target_kind: "user".into(),
                    target_id: id.to_owned(),
                    details,
                },
                now,
            )
            .await?;
        }
        Ok(UserView {
            user: User {
                updated_at: now,
                ..user
            },
            profile,
        })
    }
}
