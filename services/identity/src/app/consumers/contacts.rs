//! GetUserContacts: what a message sender (a service) needs to reach a user — openids with
//! their app kind, WeCom contacts, the phone, the latest MARKETING consent per channel.

use siyu_core::TenantId;

use crate::app::App;
use crate::error::AppError;
use crate::repo::consumers::UserStatus;
use crate::repo::consumers::identities::{self as identities_repo, LinkedIdentity};
use crate::repo::consumers::users::{self as users_repo, User};
use crate::repo::consumers::{links, profiles};
use crate::repo::privacy::ConsentKind;
use crate::repo::privacy::consents::{self as consents_repo, Consent};
use crate::repo::tenancy::AppKind;

/// What a message sender needs to reach a user.
#[derive(Debug, Clone)]
pub struct Contacts {
    /// The user.
    pub user: User,
    /// Its nickname.
    pub nickname: String,
    /// Its identities.
    pub identities: Vec<LinkedIdentity>,
    /// (app id, kind) of the tenant's apps.
    pub apps: Vec<(String, AppKind)>,
    /// The latest MARKETING consent per channel.
    pub marketing: Vec<Consent>,
}

impl App {
    /// What a sender needs to reach user `id`; USER_ERASED for erased users.
    #[tracing::instrument(skip_all, fields(tenant, user = id))]
    pub async fn user_contacts(&self, tenant: TenantId, id: &str) -> Result<Contacts, AppError> {
        let user = users_repo::get(&self.db, tenant, id)
            .await?
            .ok_or(AppError::UserNotFound)?;
        if user.status == UserStatus::Erased {
            return Err(AppError::UserErased);
        }
        let profile = profiles::get(&self.db, tenant, id)
            .await?
            .unwrap_or_default();
        let identities = identities_repo::identities_of(&self.db, tenant, id).await?;
        let apps = links::app_kinds(&self.db, tenant).await?;
        let mut marketing: Vec<Consent> = Vec::new();
        // Newest first: the first record of a channel is its current state.
        for row in consents_repo::consents_of(&self.db, tenant, id).await? {
            if row.kind == ConsentKind::Marketing
                && !marketing.iter().any(|m| m.channel == row.channel)
            {
                marketing.push(row);
            }
        }
        Ok(Contacts {
            user,
            nickname: profile.nickname,
            identities,
            apps,
            marketing,
        })
    }
}
