//! Consumers as UserService reads them: a user with its profile, batches of users, and the
//! identities linked to a user. Who may call and how phones are masked is decided at the edge
//! (`grpc/consumers/access.rs`); here every query is tenant-scoped, so another tenant's ids are
//! USER_NOT_FOUND.

use sea_orm::ConnectionTrait;

use siyu_core::TenantId;

use crate::app::App;
use crate::error::AppError;
use crate::repo::consumers::UserStatus;
use crate::repo::consumers::identities::{self as identities_repo, LinkedIdentity};
use crate::repo::consumers::profiles::{self as repo, Profile};
use crate::repo::consumers::users::{self as users_repo, User};

/// A user with its profile.
#[derive(Debug, Clone)]
pub struct UserView {
    /// The user row.
    pub user: User,
    /// Its profile.
    pub profile: Profile,
}

impl App {
    /// A user and its profile; USER_NOT_FOUND outside the tenant.
    #[tracing::instrument(skip_all, fields(tenant, user = id))]
    pub async fn user_view(&self, tenant: TenantId, id: &str) -> Result<UserView, AppError> {
        load(&self.db, tenant, id)
            .await?
            .ok_or(AppError::UserNotFound)
    }

    /// The users of `ids` found in the tenant, in request order (unknown ids omitted).
    #[tracing::instrument(skip_all, fields(tenant, n = ids.len()))]
    pub async fn user_views(
        &self,
        tenant: TenantId,
        ids: &[String],
    ) -> Result<Vec<UserView>, AppError> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(view) = load(&self.db, tenant, id).await? {
                found.push(view);
            }
        }
        Ok(found)
    }

    /// The identities linked to a user, oldest first.
    #[tracing::instrument(skip_all, fields(tenant, user = id))]
    pub async fn linked_identities(
        &self,
        tenant: TenantId,
        id: &str,
    ) -> Result<Vec<LinkedIdentity>, AppError> {
        users_repo::get(&self.db, tenant, id)
            .await?
            .ok_or(AppError::UserNotFound)?;
        identities_repo::identities_of(&self.db, tenant, id).await
    }
}

/// A user with its profile, if it exists in the tenant.
async fn load(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<Option<UserView>, AppError> {
    let Some(user) = users_repo::get(conn, tenant, id).await? else {
        return Ok(None);
    };
    let profile = repo::get(conn, tenant, id).await?.unwrap_or_default();
    Ok(Some(UserView { user, profile }))
}

/// USER_MERGED / USER_ERASED for users that no longer take writes.
pub(crate) fn writable(user: &User) -> Result<(), AppError> {
    match user.status {
        UserStatus::Merged => Err(AppError::UserMerged {
            kept_user_id: user.merged_into.clone().unwrap_or_default(),
        }),
        UserStatus::Erased => Err(AppError::UserErased),
        UserStatus::Active | UserStatus::Blocked => Ok(()),
    }
}
