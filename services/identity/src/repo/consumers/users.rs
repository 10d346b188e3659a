//! Consumers and their linked identities.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::consumers::{IdentityKind, UserStatus};
use crate::repo::{execute, fetch_all, fetch_one, stored, stored_tenant, tenant_text, text, ts};

/// A consumer account.
#[derive(Debug, Clone)]
pub struct User {
    /// User id.
    pub id: String,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Where the account stands.
    pub status: UserStatus,
    /// Bound phone.
    pub phone: Option<String>,
    /// The kept user, when MERGED.
    pub merged_into: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Updated.
    pub updated_at: DateTime<Utc>,
}

/// A row of the user columns (`id, tenant_id, status, phone, merged_into, created_at,
/// updated_at`).
#[derive(Debug, FromQueryResult)]
struct UserRow {
    id: String,
    tenant_id: String,
    status: String,
    phone: Option<String>,
    merged_into: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = AppError;

    fn try_from(r: UserRow) -> Result<Self, AppError> {
        Ok(Self {
            status: stored("identity_users", &r.status)?,
            id: r.id,
            tenant_id: stored_tenant("identity_users", &r.tenant_id)?,
            phone: r.phone,
            merged_into: r.merged_into,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The users of a query selecting the user columns.
pub(super) async fn users(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<User>, AppError> {
    fetch_all::<UserRow>(conn, sql, values)
        .await?
        .into_iter()
        .map(User::try_from)
        .collect()
}

/// The user of a query selecting the user columns, if any.
pub(super) async fn user(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<User>, AppError> {
    fetch_one::<UserRow>(conn, sql, values)
        .await?
        .map(User::try_from)
        .transpose()
}

/// The user linked to identity (kind, scope, value) in a tenant.
#[tracing::instrument(skip_all, fields(tenant, kind = kind.as_str()))]
pub async fn find_by_identity(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    kind: IdentityKind,
    scope: &str,
    value: &str,
) -> Result<Option<User>, AppError> {
    user(
        conn,
        "SELECT u.id, u.tenant_id, u.status, u.phone, u.merged_into, u.created_at, u.updated_at \
         FROM identity_user_identities i JOIN identity_users u ON u.id = i.user_id \
         WHERE i.tenant_id = $1 AND i.kind = $2 AND i.scope = $3 AND i.value = $4",
        vec![
            tenant_text(tenant),
            text(kind.as_str()),
            text(scope),
            text(value),
        ],
    )
    .await
}

/// A user by id in a tenant.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<Option<User>, AppError> {
    user(
        conn,
        "SELECT id, tenant_id, status, phone, merged_into, created_at, updated_at FROM identity_users \
         WHERE tenant_id = $1 AND id = $2",
        vec![tenant_text(tenant), text(id)],
    )
    .await
}

/// Inserts a user.
pub async fn insert(conn: &impl ConnectionTrait, u: &User) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO identity_users (id, tenant_id, status, nickname, avatar_url, phone, \
         merged_into, created_at, updated_at) VALUES ($1,$2,$3,'','',NULL,NULL,$4,$4)",
        vec![
            text(&u.id),
            tenant_text(u.tenant_id),
            text(u.status.as_str()),
            ts(u.created_at),
        ],
    )
    .await?;
    Ok(())
}

/// Links an identity; a unique violation means another user (or a concurrent login) holds it.
pub async fn link(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    kind: IdentityKind,
    scope: &str,
    value: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO identity_user_identities (id, tenant_id, user_id, kind, scope, value, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7)",
        vec![
            text(siyu_core::id::new_string()),
            tenant_text(tenant),
            text(user_id),
            text(kind.as_str()),
            text(scope),
            text(value),
            ts(now),
        ],
    )
    .await?;
    Ok(())
}
