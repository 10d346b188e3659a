//! Phone binding and user merges: row locks on users, identity moves, merge records.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::repo::users::UserRow;
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
            rows.push(crate::repo::users::decode(&row)?);
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

/// Moves the identity `id` to `to_user`.
pub async fn move_identity(
    conn: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
    to_user: &str,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_user_identities SET user_id = $3 WHERE tenant_id = $1 AND id = $2",
        vec![text(tenant), text(id), text(to_user)],
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

/// Marks an ACTIVE user merged into `kept`; 0 rows when it was not ACTIVE any more.
pub async fn mark_merged(
    conn: &impl ConnectionTrait,
    tenant: &str,
    user_id: &str,
    kept: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_users SET status = 'MERGED', merged_into = $3, phone = NULL, \
         updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND status = 'ACTIVE'",
        vec![text(tenant), text(user_id), text(kept), ts(now)],
    )
    .await
}

/// A merge record.
#[derive(Debug, Clone)]
pub struct MergeRow {
    /// Merge id.
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
    /// The kept (older) user.
    pub kept_user_id: String,
    /// The user merged away.
    pub merged_user_id: String,
    /// Ids of the moved identities, JSON array.
    pub moved: String,
    /// `phone_bind`.
    pub reason: String,
    /// `user:<id>`.
    pub actor: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The phone identities the merge deleted, JSON array of [`DroppedPhone`]; None on records
    /// written before the column existed (such merges cannot be reversed).
    pub dropped: Option<String>,
}

/// A phone identity a merge deleted (the number being bound wins), kept so a reversal can
/// restore it exactly.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DroppedPhone {
    /// The identity id it had.
    pub id: String,
    /// The user it belonged to.
    pub user_id: String,
    /// The number, E.164.
    pub value: String,
    /// When it was linked.
    pub created_at: DateTime<Utc>,
}

/// Inserts a merge record.
pub async fn insert_merge(conn: &impl ConnectionTrait, m: &MergeRow) -> Result<(), DbErr> {
    exec(
        conn,
        "INSERT INTO identity_user_merges (id, tenant_id, kept_user_id, merged_user_id, moved, \
         reason, actor, created_at, reversed_at, reversed_by, dropped) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,NULL,NULL,$9)",
        vec![
            text(&m.id),
            text(&m.tenant_id),
            text(&m.kept_user_id),
            text(&m.merged_user_id),
            text(&m.moved),
            text(&m.reason),
            text(&m.actor),
            ts(m.created_at),
            sea_orm::Value::String(m.dropped.clone()),
        ],
    )
    .await?;
    Ok(())
}

/// A merge record with its reversal columns.
#[derive(Debug, Clone)]
pub struct MergeRecord {
    /// The record.
    pub row: MergeRow,
    /// When reversed.
    pub reversed_at: Option<DateTime<Utc>>,
    /// Who reversed it.
    pub reversed_by: Option<String>,
}

/// Merges where `user_id` is the kept or the merged side, newest first.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn merges_of(
    conn: &impl ConnectionTrait,
    tenant: &str,
    user_id: &str,
) -> Result<Vec<MergeRecord>, DbErr> {
    all(
        conn,
        &format!(
            "SELECT {MERGE_COLUMNS} FROM identity_user_merges \
             WHERE tenant_id = $1 AND (kept_user_id = $2 OR merged_user_id = $2) \
             ORDER BY created_at DESC, id DESC"
        ),
        vec![text(tenant), text(user_id)],
    )
    .await?
    .iter()
    .map(decode_record)
    .collect()
}

/// The columns [`decode_record`] reads.
pub(crate) const MERGE_COLUMNS: &str = "id, tenant_id, kept_user_id, merged_user_id, moved, \
     reason, actor, created_at, reversed_at, reversed_by, dropped";

/// A merge record from a row of [`MERGE_COLUMNS`].
pub(crate) fn decode_record(row: &sea_orm::QueryResult) -> Result<MergeRecord, DbErr> {
    Ok(MergeRecord {
        row: MergeRow {
            id: row.try_get("", "id")?,
            tenant_id: row.try_get("", "tenant_id")?,
            kept_user_id: row.try_get("", "kept_user_id")?,
            merged_user_id: row.try_get("", "merged_user_id")?,
            moved: row.try_get("", "moved")?,
            reason: row.try_get("", "reason")?,
            actor: row.try_get("", "actor")?,
            created_at: row.try_get("", "created_at")?,
            dropped: row.try_get("", "dropped")?,
        },
        reversed_at: row.try_get("", "reversed_at")?,
        reversed_by: row.try_get("", "reversed_by")?,
    })
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
