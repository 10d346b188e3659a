//! Consumer profiles, linked identities and consent records (UserService). Who may call and how
//! phones are masked is decided at the edge (`grpc/user.rs`); here every query is tenant-scoped,
//! so another tenant's ids are USER_NOT_FOUND.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;

use crate::app::{Actor, App};
use crate::error::AppError;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::merges::{self as merges_repo, IdentityRow, MergeRecord};
use crate::repo::profiles::{self as repo, ConsentRow, Profile};
use crate::repo::users::{self as users_repo, UserRow};

/// A user with its profile.
#[derive(Debug, Clone)]
pub struct UserView {
    /// The user row.
    pub user: UserRow,
    /// Its profile.
    pub profile: Profile,
}

/// Which profile fields an update sets (from the update mask), with their new values.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    /// New nickname.
    pub nickname: Option<String>,
    /// New avatar URL.
    pub avatar_url: Option<String>,
    /// New gender ('' clears).
    pub gender: Option<String>,
    /// New birthday ('' clears).
    pub birthday: Option<String>,
}

/// A consent event to record.
#[derive(Debug, Clone)]
pub struct NewConsent {
    /// PRIVACY_POLICY, TERMS_OF_SERVICE, MARKETING.
    pub kind: &'static str,
    /// The channel name ('' unless MARKETING).
    pub channel: &'static str,
    /// The document version.
    pub version: String,
    /// Granted or withdrawn.
    pub granted: bool,
    /// Where given.
    pub source: String,
    /// The client IP, masked.
    pub ip_masked: String,
}

impl App {
    /// A user and its profile; USER_NOT_FOUND outside the tenant.
    #[tracing::instrument(skip_all, fields(tenant, user = id))]
    pub async fn user_view(&self, tenant: &str, id: &str) -> Result<UserView, AppError> {
        load(&self.db, tenant, id)
            .await?
            .ok_or(AppError::NotFound("USER_NOT_FOUND"))
    }

    /// The users of `ids` found in the tenant, in request order (unknown ids omitted).
    #[tracing::instrument(skip_all, fields(tenant, n = ids.len()))]
    pub async fn user_views(
        &self,
        tenant: &str,
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

    /// Applies `patch` to the profile of an ACTIVE or BLOCKED user under its row lock; staff
    /// edits are audited (PROFILE_UPDATED_BY_STAFF).
    #[tracing::instrument(skip_all, fields(tenant, user = id))]
    pub async fn update_profile(
        &self,
        txn: &impl ConnectionTrait,
        tenant: &str,
        id: &str,
        patch: ProfilePatch,
        actor: &Actor,
    ) -> Result<UserView, AppError> {
        let now = self.clock.now();
        let user = merges_repo::lock_users(txn, tenant, &[id])
            .await?
            .pop()
            .ok_or(AppError::NotFound("USER_NOT_FOUND"))?;
        writable(&user)?;
        let mut profile = repo::get(txn, tenant, id)
            .await?
            .ok_or(AppError::NotFound("USER_NOT_FOUND"))?;
        let mut changed = Vec::new();
        for (name, value, slot) in [
            ("nickname", patch.nickname, &mut profile.nickname),
            ("avatar_url", patch.avatar_url, &mut profile.avatar_url),
            ("gender", patch.gender, &mut profile.gender),
            ("birthday", patch.birthday, &mut profile.birthday),
        ] {
            if let Some(value) = value {
                *slot = value;
                changed.push(name);
            }
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
                    outcome: "SUCCESS",
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
            user: UserRow {
                updated_at: now,
                ..user
            },
            profile,
        })
    }

    /// The identities linked to a user, oldest first.
    #[tracing::instrument(skip_all, fields(tenant, user = id))]
    pub async fn linked_identities(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Vec<IdentityRow>, AppError> {
        users_repo::get(&self.db, tenant, id)
            .await?
            .ok_or(AppError::NotFound("USER_NOT_FOUND"))?;
        Ok(merges_repo::identities_of(&self.db, tenant, id).await?)
    }

    /// Appends a consent record; withdrawals are audited (CONSENT_RECORDED).
    #[tracing::instrument(skip_all, fields(tenant, user = id))]
    pub async fn record_consent(
        &self,
        txn: &impl ConnectionTrait,
        tenant: &str,
        id: &str,
        consent: NewConsent,
        actor: &Actor,
    ) -> Result<ConsentRow, AppError> {
        let now = self.clock.now();
        // Under the user's lock, like erasure: no consent detail lands on an ERASED user.
        let user = merges_repo::lock_users(txn, tenant, &[id])
            .await?
            .pop()
            .ok_or(AppError::NotFound("USER_NOT_FOUND"))?;
        writable(&user)?;
        let row = ConsentRow {
            id: siyu_core::id::new_string(),
            user_id: id.to_owned(),
            kind: consent.kind.to_owned(),
            channel: consent.channel.to_owned(),
            version: consent.version,
            granted: consent.granted,
            source: consent.source,
            ip_masked: consent.ip_masked,
            created_at: crate::repo::micros(now),
        };
        repo::insert_consent(txn, tenant, &row).await?;
        if !row.granted {
            let mut details = BTreeMap::new();
            details.insert("consent_id".to_owned(), row.id.clone());
            details.insert("kind".to_owned(), row.kind.clone());
            details.insert("channel".to_owned(), row.channel.clone());
            audit_repo::append(
                txn,
                tenant,
                NewEntry {
                    kind: "CONSENT_RECORDED",
                    outcome: "SUCCESS",
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
        Ok(row)
    }

    /// A user's consent history (newest first).
    #[tracing::instrument(skip_all, fields(tenant, user = id))]
    pub async fn consents(&self, tenant: &str, id: &str) -> Result<Vec<ConsentRow>, AppError> {
        users_repo::get(&self.db, tenant, id)
            .await?
            .ok_or(AppError::NotFound("USER_NOT_FOUND"))?;
        Ok(repo::consents_of(&self.db, tenant, id).await?)
    }
}

/// A user with its profile, if it exists in the tenant.
async fn load(
    conn: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
) -> Result<Option<UserView>, AppError> {
    let Some(user) = users_repo::get(conn, tenant, id).await? else {
        return Ok(None);
    };
    let profile = repo::get(conn, tenant, id).await?.unwrap_or_default();
    Ok(Some(UserView { user, profile }))
}

/// USER_MERGED / USER_ERASED for users that no longer take writes.
fn writable(user: &UserRow) -> Result<(), AppError> {
    match user.status.as_str() {
        "MERGED" => Err(AppError::UserMerged {
            kept_user_id: user.merged_into.clone().unwrap_or_default(),
        }),
        "ERASED" => Err(AppError::FailedPrecondition("USER_ERASED")),
        _ => Ok(()),
    }
}

impl App {
    /// Merges involving a user (kept or merged side), newest first, with the moved identities
    /// that still exist (an identity unlinked since is omitted: the record keeps only ids).
    #[tracing::instrument(skip_all, fields(tenant, user = id))]
    pub async fn user_merges(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Vec<(MergeRecord, Vec<IdentityRow>)>, AppError> {
        users_repo::get(&self.db, tenant, id)
            .await?
            .ok_or(AppError::NotFound("USER_NOT_FOUND"))?;
        let mut out = Vec::new();
        for record in merges_repo::merges_of(&self.db, tenant, id).await? {
            let ids: Vec<String> = serde_json::from_str(&record.row.moved)
                .map_err(|e| AppError::Internal(format!("merge {}: {e}", record.row.id)))?;
            let moved = merges_repo::identities_by_ids(&self.db, tenant, &ids).await?;
            out.push((record, moved));
        }
        Ok(out)
    }
}
