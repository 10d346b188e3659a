//! The identities linked to users (openids, unionids, phones, WeCom ids, card numbers) and the
//! user row locks every change of a user's identities or status is made under.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::repo::consumers::users::UserRow;
use crate::repo::{all, exec, for_update, one, text, ts};

/// One linked identity.
#[derive(Debug, Clone)]
pub struct IdentityRow {
    /// Link id.
    pub id: String,
    /// User.
    pub user_id: String,
    /// OPENID, UNIONID, PHONE, WECOM, CARD.
    pub kind: String,
    /// App / corp scope ('' when unscoped).
    pub scope: String,
    /// The value.
    pub value: String,
    /// When linked.
    pub created_at: DateTime<Utc>,
}

/// Locks the users `ids` of `tenant` (in id order, so two binders never deadlock) and returns
/// them. Every change of a user's identities happens under its lock.
#[tracing::instrument(skip_all)]
pub async fn lock_users(
    conn: &impl ConnectionTrait,
    tenant: &str,
    ids: &[&str],
) -> Result<Vec<UserRow>, DbErr> {
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
        if let Some(row) = one(conn, &sql, vec![text(tenant), text(id)]).await? {
            rows.push(crate::repo::consumers::users::decode(&row)?);
        }
    }
    Ok(rows)
}

/// The user owning phone `phone` in `tenant`.
pub async fn phone_owner(
    conn: &impl ConnectionTrait,
    tenant: &str,
    phone: &str,
) -> Result<Option<String>, DbErr> {
    one(
        conn,
        "SELECT user_id FROM identity_user_identities \
         WHERE tenant_id = $1 AND kind = 'PHONE' AND scope = '' AND value = $2",
        vec![text(tenant), text(phone)],
    )
    .await?
    .map(|row| row.try_get("", "user_id"))
    .transpose()
}

/// Every identity linked to `user_id`.
pub async fn identities_of(
    conn: &impl ConnectionTrait,
    tenant: &str,
    user_id: &str,
) -> Result<Vec<IdentityRow>, DbErr> {
    all(
        conn,
        "SELECT id, user_id, kind, scope, value, created_at FROM identity_user_identities \
         WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id",
        vec![text(tenant), text(user_id)],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(IdentityRow {
            id: row.try_get("", "id")?,
            user_id: row.try_get("", "user_id")?,
            kind: row.try_get("", "kind")?,
            scope: row.try_get("", "scope")?,
            value: row.try_get("", "value")?,
            created_at: row.try_get("", "created_at")?,
        })
    })
    .collect()
}

/// Removes the phone identities of `user_id` (a new number replaces the old one).
pub async fn unlink_phones(
    conn: &impl ConnectionTrait,
    tenant: &str,
    user_id: &str,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "DELETE FROM identity_user_identities \
         WHERE tenant_id = $1 AND user_id = $2 AND kind = 'PHONE'",
        vec![text(tenant), text(user_id)],
    )
    .await
}

/// Sets the bound phone of a user.
pub async fn set_phone(
    conn: &impl ConnectionTrait,
    tenant: &str,
    user_id: &str,
    phone: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_users SET phone = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        vec![
            text(tenant),
            text(user_id),
            sea_orm::Value::String(phone.map(str::to_owned)),
            ts(now),
        ],
    )
    .await
}

/// The identities of `ids` still present in the tenant (wherever they are linked now).
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn identities_by_ids(
    conn: &impl ConnectionTrait,
    tenant: &str,
    ids: &[String],
) -> Result<Vec<IdentityRow>, DbErr> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        let row = one(
            conn,
            "SELECT id, user_id, kind, scope, value, created_at FROM identity_user_identities \
             WHERE tenant_id = $1 AND id = $2",
            vec![text(tenant), text(id)],
        )
        .await?;
        if let Some(row) = row {
            found.push(IdentityRow {
                id: row.try_get("", "id")?,
                user_id: row.try_get("", "user_id")?,
                kind: row.try_get("", "kind")?,
                scope: row.try_get("", "scope")?,
                value: row.try_get("", "value")?,
                created_at: row.try_get("", "created_at")?,
            });
        }
    }
    Ok(found)
}
