//! Identity links (LinkIdentity, UnlinkIdentity): single identities — WeChat openids and
//! unionids, WeCom external ids, member card numbers — added to or removed from a user. Every
//! change of a user's identities or status happens under the user's row lock
//! (`repo::consumers::identities::lock_users`), as phone binding does, so it serialises with
//! binds, merges, logins and reversals of the same user.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;

use siyu_core::TenantId;

use crate::app::audit::append::entry;
use crate::app::{Actor, App};
use crate::crypto::sha256_hex;
use crate::error::AppError;
use crate::repo::audit::chain::{self as audit_repo};
use crate::repo::consumers::identities::{self as identities_repo, LinkedIdentity};
use crate::repo::consumers::links;
use crate::repo::consumers::users::User;
use crate::repo::consumers::{IdentityKind, UserStatus};

/// An identity to link.
#[derive(Debug, Clone)]
pub struct NewLink {
    /// OPENID, UNIONID, WECOM or CARD (never PHONE: phones are verified binds).
    pub kind: IdentityKind,
    /// App / corp id ('' for unionid and card numbers).
    pub scope: String,
    /// The value.
    pub value: String,
    /// Where it came from.
    pub source: String,
}

impl App {
    /// Links `link` to user `id`: a no-op when the user has it; IDENTITY_ALREADY_LINKED
    /// (`user_id`) when another user does; IDENTITY_KIND_SINGLE_VALUED when the user holds
    /// another value of the same (kind, scope). Returns the link and its source.
    #[tracing::instrument(skip_all, fields(tenant, user = id, kind = link.kind.as_str()))]
    pub async fn link_identity(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        id: &str,
        link: NewLink,
        actor: &Actor,
    ) -> Result<(LinkedIdentity, String), AppError> {
        let now = self.clock.now();
        lock_live(txn, tenant, id).await?;
        if let Some(found) = links::find(txn, tenant, link.kind, &link.scope, &link.value).await? {
            if found.user_id == id {
                let source = links::source_of(txn, tenant, &found.id).await?;
                return Ok((found, source));
            }
            return Err(already_linked(&found.user_id));
        }
        let held = identities_repo::identities_of(txn, tenant, id).await?;
        if held
            .iter()
            .any(|i| i.kind == link.kind && i.scope == link.scope)
        {
            return Err(AppError::IdentityKindSingleValued);
        }
        let row = LinkedIdentity {
            id: siyu_core::id::new_string(),
            user_id: id.to_owned(),
            kind: link.kind,
            scope: link.scope.clone(),
            value: link.value.clone(),
            created_at: crate::repo::micros(now),
        };
        if let Err(err) = links::insert(txn, tenant, &row, &link.source).await {
            if crate::repo::is_unique_violation(&err) {
                // Another user's link committed first (its owner is not locked by us); it is
                // visible outside this aborted transaction.
                let owner = links::find(&self.db, tenant, link.kind, &link.scope, &link.value)
                    .await?
                    .map(|i| i.user_id)
                    .unwrap_or_default();
                return Err(already_linked(&owner));
            }
            return Err(err);
        }
        links::sync_phone(txn, tenant, id, now).await?;
        let mut details = BTreeMap::new();
        details.insert("identity_id".to_owned(), row.id.clone());
        details.insert("identity_kind".to_owned(), row.kind.as_str().to_owned());
        details.insert("app_id".to_owned(), row.scope.clone());
        details.insert("source".to_owned(), link.source.clone());
        details.insert("value_sha256".to_owned(), sha256_hex(&row.value));
        audit_repo::append(
            txn,
            tenant,
            entry("IDENTITY_LINKED", actor, id, details),
            now,
        )
        .await?;
        Ok((row, link.source))
    }

    /// Unlinks identity `identity_id` of user `id`. A consumer may not remove its last
    /// login-capable identity (LAST_LOGIN_IDENTITY); staff and services may (a recycled number
    /// must go even when it was the only way in).
    #[tracing::instrument(skip_all, fields(tenant, user = id))]
    pub async fn unlink_identity(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        id: &str,
        identity_id: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        lock_live(txn, tenant, id).await?;
        let identity = links::identity_of_user(txn, tenant, id, identity_id)
            .await?
            .ok_or(AppError::IdentityNotFound)?;
        if actor.kind == "consumer" && identity.kind.logs_in() {
            let others = identities_repo::identities_of(txn, tenant, id)
                .await?
                .into_iter()
                .filter(|i| i.id != identity.id && i.kind.logs_in())
                .count();
            if others == 0 {
                return Err(AppError::LastLoginIdentity);
            }
        }
        if links::delete(txn, tenant, id, identity_id).await? != 1 {
            return Err(AppError::IdentityNotFound);
        }
        links::sync_phone(txn, tenant, id, now).await?;
        let mut details = BTreeMap::new();
        details.insert("identity_id".to_owned(), identity.id.clone());
        details.insert(
            "identity_kind".to_owned(),
            identity.kind.as_str().to_owned(),
        );
        details.insert("reason".to_owned(), reason.to_owned());
        audit_repo::append(
            txn,
            tenant,
            entry("IDENTITY_UNLINKED", actor, id, details),
            now,
        )
        .await?;
        Ok(())
    }
}

/// Locks user `id` and refuses users that take no writes (USER_MERGED, USER_ERASED).
pub(crate) async fn lock_live(
    txn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<User, AppError> {
    let user = identities_repo::lock_users(txn, tenant, &[id])
        .await?
        .pop()
        .ok_or(AppError::UserNotFound)?;
    match user.status {
        UserStatus::Merged => Err(AppError::UserMerged {
            kept_user_id: user.merged_into.clone().unwrap_or_default(),
        }),
        UserStatus::Erased => Err(AppError::UserErased),
        UserStatus::Active | UserStatus::Blocked => Ok(user),
    }
}

fn already_linked(owner: &str) -> AppError {
    AppError::AlreadyExistsWithMeta {
        reason: "IDENTITY_ALREADY_LINKED",
        meta: [("user_id".to_owned(), owner.to_owned())].into(),
    }
}
