//! Consumers and their linked identities.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::repo::{exec, one, text, ts};

/// A user row.
#[derive(Debug, Clone)]
pub struct UserRow {
    /// User id.
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
    /// ACTIVE, BLOCKED, MERGED, ERASED.
    pub status: String,
    /// Bound phone.
    pub phone: Option<String>,
    /// The kept user, when MERGED.
    pub merged_into: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Updated.
    pub updated_at: DateTime<Utc>,
}

/// The user linked to identity (kind, scope, value) in a tenant.
#[tracing::instrument(skip_all, fields(tenant, kind))]
pub async fn find_by_identity(
    conn: &impl ConnectionTrait,
    tenant: &str,
    kind: &str,
    scope: &str,
    value: &str,
) -> Result<Option<UserRow>, DbErr> {
    one(
        conn,
        "SELECT u.id, u.tenant_id, u.status, u.phone, u.merged_into, u.created_at, u.updated_at \
         FROM identity_user_identities i JOIN identity_users u ON u.id = i.user_id \
         WHERE i.tenant_id = $1 AND i.kind = $2 AND i.scope = $3 AND i.value = $4",
        vec![text(tenant), text(kind), text(scope), text(value)],
    )
    .await?
    .map(|row| decode(&row))
    .transpose()
}

/// A user by id in a tenant.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
) -> Result<Option<UserRow>, DbErr> {
    one(
        conn,
        "SELECT id, tenant_id, status, phone, merged_into, created_at, updated_at FROM identity_users \
         WHERE tenant_id = $1 AND id = $2",
        vec![text(tenant), text(id)],
    )
    .await?
    .map(|row| decode(&row))
    .transpose()
}

/// Inserts a user.
pub async fn insert(conn: &impl ConnectionTrait, u: &UserRow) -> Result<(), DbErr> {
    exec(
        conn,
        "INSERT INTO identity_users (id, tenant_id, status, nickname, avatar_url, phone, \
         merged_into, created_at, updated_at) VALUES ($1,$2,$3,'','',NULL,NULL,$4,$4)",
        vec![
            text(&u.id),
            text(&u.tenant_id),
            text(&u.status),
            ts(u.created_at),
        ],
    )
    .await?;
    Ok(())
}

/// Links an identity; a unique violation means another user (or a concurrent login) holds it.
pub async fn link(
    conn: &impl ConnectionTrait,
    tenant: &str,
    user_id: &str,
    kind: &str,
    scope: &str,
    value: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    exec(
        conn,
        "INSERT INTO identity_user_identities (id, tenant_id, user_id, kind, scope, value, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7)",
        vec![
            text(siyu_core::id::new_string()),
            text(tenant),
            text(user_id),
            text(kind),
            text(scope),
            text(value),
            ts(now),
        ],
    )
    .await?;
    Ok(())
}

pub(crate) fn decode(row: &sea_orm::QueryResult) -> Result<UserRow, DbErr> {
    Ok(UserRow {
        id: row.try_get("", "id")?,
        tenant_id: row.try_get("", "tenant_id")?,
        status: row.try_get("", "status")?,
        phone: row.try_get("", "phone")?,
        merged_into: row.try_get("", "merged_into")?,
        created_at: row.try_get("", "created_at")?,
        updated_at: row.try_get("", "updated_at")?,
    })
}
