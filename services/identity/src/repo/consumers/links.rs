//! Single identities of a user (LinkIdentity / UnlinkIdentity), user status flips, and what a
//! message sender needs (the tenant's apps by kind).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::consumers::identities::{IDENTITY_COLUMNS, LinkedIdentity, identity};
use crate::repo::consumers::{IdentityKind, UserStatus};
use crate::repo::tenancy::AppKind;
use crate::repo::{execute, fetch_all, fetch_one, stored, tenant_text, text, ts};

/// An (app id, kind) row.
#[derive(Debug, FromQueryResult)]
struct AppKindRow {
    app_id: String,
    kind: String,
}

/// A source row.
#[derive(Debug, FromQueryResult)]
struct SourceRow {
    source: String,
}

/// The identity `id` when it is linked to `user_id` in `tenant`.
pub async fn identity_of_user(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    id: &str,
) -> Result<Option<LinkedIdentity>, AppError> {
    identity(
        conn,
        &format!(
            "SELECT {IDENTITY_COLUMNS} FROM identity_user_identities \
             WHERE tenant_id = $1 AND user_id = $2 AND id = $3"
        ),
        vec![tenant_text(tenant), text(user_id), text(id)],
    )
    .await
}

/// The identity (kind, scope, value) of `tenant`, whoever holds it.
pub async fn find(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    kind: IdentityKind,
    scope: &str,
    value: &str,
) -> Result<Option<LinkedIdentity>, AppError> {
    identity(
        conn,
        &format!(
            "SELECT {IDENTITY_COLUMNS} FROM identity_user_identities \
             WHERE tenant_id = $1 AND kind = $2 AND scope = $3 AND value = $4"
        ),
        vec![
            tenant_text(tenant),
            text(kind.as_str()),
            text(scope),
            text(value),
        ],
    )
    .await
}

/// Inserts `identity` (with its own id and link time) in `tenant`; a unique violation means
/// (kind, scope, value) is held by someone.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    identity: &LinkedIdentity,
    source: &str,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO identity_user_identities \
         (id, tenant_id, user_id, kind, scope, value, created_at, source) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        vec![
            text(&identity.id),
            tenant_text(tenant),
            text(&identity.user_id),
            text(identity.kind.as_str()),
            text(&identity.scope),
            text(&identity.value),
            ts(identity.created_at),
            text(source),
        ],
    )
    .await?;
    Ok(())
}

/// Deletes the identity `id` of `user_id`; the rows deleted.
pub async fn delete(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    id: &str,
) -> Result<u64, AppError> {
    execute(
        conn,
        "DELETE FROM identity_user_identities WHERE tenant_id = $1 AND user_id = $2 AND id = $3",
        vec![tenant_text(tenant), text(user_id), text(id)],
    )
    .await
}

/// Sets `users.phone` from the user's PHONE identity (NULL when none), keeping the column in
/// step with the identities after a move or unlink.
pub async fn sync_phone(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_users SET updated_at = $3, phone = (SELECT MIN(i.value) \
         FROM identity_user_identities i WHERE i.tenant_id = $1 AND i.user_id = $2 \
         AND i.kind = 'PHONE') WHERE tenant_id = $1 AND id = $2",
        vec![tenant_text(tenant), text(user_id), ts(now)],
    )
    .await
}

/// Flips a user's status from `from` to `to`; 0 rows when it was not `from`.
pub async fn set_status(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    from: UserStatus,
    to: UserStatus,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_users SET status = $4, updated_at = $5 \
         WHERE tenant_id = $1 AND id = $2 AND status = $3",
        vec![
            tenant_text(tenant),
            text(user_id),
            text(from.as_str()),
            text(to.as_str()),
            ts(now),
        ],
    )
    .await
}

/// (app id, kind) of every app of `tenant`.
pub async fn app_kinds(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<(String, AppKind)>, AppError> {
    fetch_all::<AppKindRow>(
        conn,
        "SELECT app_id, kind FROM identity_apps WHERE tenant_id = $1",
        vec![tenant_text(tenant)],
    )
    .await?
    .into_iter()
    .map(|r| Ok((r.app_id, stored("identity_apps", &r.kind)?)))
    .collect()
}

/// Where identity `id` came from ('' for links made before the column existed).
pub async fn source_of(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<String, AppError> {
    Ok(fetch_one::<SourceRow>(
        conn,
        "SELECT source FROM identity_user_identities WHERE tenant_id = $1 AND id = $2",
        vec![tenant_text(tenant), text(id)],
    )
    .await?
    .map(|r| r.source)
    .unwrap_or_default())
}
