//! Merge records (with the phone identities a merge dropped), the identity moves of a merge
//! and the MERGED mark of the user merged away.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::merges::MergeReason;
use crate::repo::{execute, fetch_all, fetch_one, stored, stored_tenant, tenant_text, text, ts};

/// Moves the identity `id` to `to_user`.
pub async fn move_identity(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
    to_user: &str,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_user_identities SET user_id = $3 WHERE tenant_id = $1 AND id = $2",
        vec![tenant_text(tenant), text(id), text(to_user)],
    )
    .await
}

/// Marks an ACTIVE user merged into `kept`; 0 rows when it was not ACTIVE any more.
pub async fn mark_merged(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    kept: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_users SET status = 'MERGED', merged_into = $3, phone = NULL, \
         updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND status = 'ACTIVE'",
        vec![tenant_text(tenant), text(user_id), text(kept), ts(now)],
    )
    .await
}

/// A merge.
#[derive(Debug, Clone)]
pub struct Merge {
    /// Merge id.
    pub id: String,
    /// Tenant.
    pub tenant_id: TenantId,
    /// The kept (older) user.
    pub kept_user_id: String,
    /// The user merged away.
    pub merged_user_id: String,
    /// Ids of the moved identities.
    pub moved: Vec<String>,
    /// Why.
    pub reason: MergeReason,
    /// `user:<id>`.
    pub actor: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The phone identities the merge deleted; None on records written before the column
    /// existed (such merges cannot be reversed).
    pub dropped: Option<Vec<DroppedPhone>>,
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
pub async fn insert_merge(conn: &impl ConnectionTrait, m: &Merge) -> Result<(), AppError> {
    let dropped = m.dropped.as_ref().map(to_json).transpose()?;
    execute(
        conn,
        "INSERT INTO identity_user_merges (id, tenant_id, kept_user_id, merged_user_id, moved, \
         reason, actor, created_at, reversed_at, reversed_by, dropped) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,NULL,NULL,$9)",
        vec![
            text(&m.id),
            tenant_text(m.tenant_id),
            text(&m.kept_user_id),
            text(&m.merged_user_id),
            text(to_json(&m.moved)?),
            text(m.reason.as_str()),
            text(&m.actor),
            ts(m.created_at),
            Value::String(dropped),
        ],
    )
    .await?;
    Ok(())
}

/// A merge with its reversal.
#[derive(Debug, Clone)]
pub struct MergeRecord {
    /// The merge.
    pub merge: Merge,
    /// When reversed.
    pub reversed_at: Option<DateTime<Utc>>,
    /// Who reversed it.
    pub reversed_by: Option<String>,
}

/// Merges where `user_id` is the kept or the merged side, newest first.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn merges_of(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
) -> Result<Vec<MergeRecord>, AppError> {
    fetch_all::<MergeRow>(
        conn,
        &format!(
            "SELECT {MERGE_COLUMNS} FROM identity_user_merges \
             WHERE tenant_id = $1 AND (kept_user_id = $2 OR merged_user_id = $2) \
             ORDER BY created_at DESC, id DESC"
        ),
        vec![tenant_text(tenant), text(user_id)],
    )
    .await?
    .into_iter()
    .map(MergeRecord::try_from)
    .collect()
}

/// The columns of a merge record.
pub(crate) const MERGE_COLUMNS: &str = "id, tenant_id, kept_user_id, merged_user_id, moved, \
     reason, actor, created_at, reversed_at, reversed_by, dropped";

/// A row of [`MERGE_COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct MergeRow {
    id: String,
    tenant_id: String,
    kept_user_id: String,
    merged_user_id: String,
    moved: String,
    reason: String,
    actor: String,
    created_at: DateTime<Utc>,
    reversed_at: Option<DateTime<Utc>>,
    reversed_by: Option<String>,
    dropped: Option<String>,
}

impl TryFrom<MergeRow> for MergeRecord {
    type Error = AppError;

    fn try_from(r: MergeRow) -> Result<Self, AppError> {
        let dropped = r
            .dropped
            .as_deref()
            .map(|d| from_json("dropped", d))
            .transpose()?;
        Ok(Self {
            merge: Merge {
                moved: from_json("moved", &r.moved)?,
                reason: stored("identity_user_merges", &r.reason)?,
                dropped,
                id: r.id,
                tenant_id: stored_tenant("identity_user_merges", &r.tenant_id)?,
                kept_user_id: r.kept_user_id,
                merged_user_id: r.merged_user_id,
                actor: r.actor,
                created_at: r.created_at,
            },
            reversed_at: r.reversed_at,
            reversed_by: r.reversed_by,
        })
    }
}

/// The merge record of a query selecting [`MERGE_COLUMNS`], if any.
pub(crate) async fn record(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<MergeRecord>, AppError> {
    fetch_one::<MergeRow>(conn, sql, values)
        .await?
        .map(MergeRecord::try_from)
        .transpose()
}

/// A JSON column as its type; corrupt JSON is a corrupt row.
fn from_json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(|e| {
        AppError::Store(siyu_store::StoreError::Corrupt {
            table: "identity_user_merges",
            reason: format!("{column}: {e}"),
        })
    })
}

/// A value as JSON text.
fn to_json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(e.to_string()))
}
