//! The identities linked to users (openids, unionids, phones, WeCom ids, card numbers) and the
//! user row locks every change of a user's identities or status is made under.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::consumers::IdentityKind;
use crate::repo::consumers::users::{User, user};
use crate::repo::{execute, fetch_all, fetch_one, for_update, stored, tenant_text, text, ts};

/// One identity linked to a user.
#[derive(Debug, Clone)]
pub struct LinkedIdentity {
    /// Link id.
    pub id: String,
    /// User.
    pub user_id: String,
    /// What it is.
    pub kind: IdentityKind,
    /// App / corp scope ('' when unscoped).
    pub scope: String,
    /// The value.
    pub value: String,
    /// When linked.
    pub created_at: DateTime<Utc>,
}

/// A row of [`IDENTITY_COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct IdentityRow {
    id: String,
    user_id: String,
    kind: String,
    scope: String,
    value: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<IdentityRow> for LinkedIdentity {
    type Error = AppError;

    fn try_from(r: IdentityRow) -> Result<Self, AppError> {
        Ok(Self {
            kind: stored("identity_user_identities", &r.kind)?,
            id: r.id,
            user_id: r.user_id,
            scope: r.scope,
            value: r.value,
            created_at: r.created_at,
        })
    }
}

/// The identity columns [`identities`] reads.
pub(super) const IDENTITY_COLUMNS: &str = "id, user_id, kind, scope, value, created_at";

/// The identities of a query selecting [`IDENTITY_COLUMNS`].
pub(super) async fn identities(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<LinkedIdentity>, AppError> {
    fetch_all::<IdentityRow>(conn, sql, values)
        .await?
        .into_iter()
        .map(LinkedIdentity::try_from)
        .collect()
}

/// The identity of a query selecting [`IDENTITY_COLUMNS`], if any.
pub(super) async fn identity(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<LinkedIdentity>, AppError> {
    fetch_one::<IdentityRow>(conn, sql, values)
        .await?
        .map(LinkedIdentity::try_from)
        .transpose()
}

/// A user id column.
#[derive(Debug, FromQueryResult)]
struct UserIdRow {
    user_id: String,
}

/// Locks the users `ids` of `tenant` (in id order, so two binders never deadlock) and returns
/// them. Every change of a user's identities happens under its lock.
#[tracing::instrument(skip_all)]
pub async fn lock_users(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[&str],
) -> Result<Vec<User>, AppError> {
    let mut sorted: Vec<&str> = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut rows = Vec::new();
    for id in sorted {
        let sql = format!(
            "SELECT id, tenant_id, status, phone, merged_into, created_at, updated_at \
             FROM identity_users WHERE tenant_id = $1 AND id = $2{}",
            for_update(conn)
        );
        if let Some(found) = user(conn, &sql, vec![tenant_text(tenant), text(id)]).await? {
            rows.push(found);
        }
    }
    Ok(rows)
}

/// The user owning phone `phone` in `tenant`.
pub async fn phone_owner(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    phone: &str,
) -> Result<Option<String>, AppError> {
    Ok(fetch_one::<UserIdRow>(
        conn,
        "SELECT user_id FROM identity_user_identities \
         WHERE tenant_id = $1 AND kind = 'PHONE' AND scope = '' AND value = $2",
        vec![tenant_text(tenant), text(phone)],
    )
    .await?
    .map(|r| r.user_id))
}

/// Every identity linked to `user_id`.
pub async fn identities_of(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
) -> Result<Vec<LinkedIdentity>, AppError> {
    identities(
        conn,
        &format!(
            "SELECT {IDENTITY_COLUMNS} FROM identity_user_identities \
             WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id"
        ),
        vec![tenant_text(tenant), text(user_id)],
    )
    .await
}

/// Removes the phone identities of `user_id` (a new number replaces the old one).
pub async fn unlink_phones(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
) -> Result<u64, AppError> {
    execute(
        conn,
        "DELETE FROM identity_user_identities \
         WHERE tenant_id = $1 AND user_id = $2 AND kind = 'PHONE'",
        vec![tenant_text(tenant), text(user_id)],
    )
    .await
}

/// Sets the bound phone of a user.
pub async fn set_phone(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    phone: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_users SET phone = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        vec![
            tenant_text(tenant),
            text(user_id),
            Value::String(phone.map(str::to_owned)),
            ts(now),
        ],
    )
    .await
}

/// The identities of `ids` still present in the tenant (wherever they are linked now).
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn identities_by_ids(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[String],
) -> Result<Vec<LinkedIdentity>, AppError> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        let row = identity(
            conn,
            &format!(
                "SELECT {IDENTITY_COLUMNS} FROM identity_user_identities \
                 WHERE tenant_id = $1 AND id = $2"
            ),
            vec![tenant_text(tenant), text(id)],
        )
        .await?;
        found.extend(row);
    }
    Ok(found)
}
