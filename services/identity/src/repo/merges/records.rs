//! Merge records (with the phone identities a merge dropped), the identity moves of a merge
//! and the MERGED mark of the user merged away.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::repo::{all, exec, text, ts};

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
