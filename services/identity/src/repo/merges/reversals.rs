//! Merge records for staff merges and reversals: the record by id under lock, the live merge
//! of a pair, and the writes that undo a merge.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::consumers::IdentityKind;
use crate::repo::count;
use crate::repo::merges::records::{MERGE_COLUMNS, MergeRecord, record};
use crate::repo::{execute, for_update, tenant_text, text, ts};

/// The merge `id` of `tenant`, row-locked (two reversals of one merge serialise here).
pub async fn lock_merge(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<Option<MergeRecord>, AppError> {
    let sql = format!(
        "SELECT {MERGE_COLUMNS} FROM identity_user_merges WHERE tenant_id = $1 AND id = $2{}",
        for_update(conn)
    );
    record(conn, &sql, vec![tenant_text(tenant), text(id)]).await
}

/// The merge in effect (not reversed) that merged `merged` into `kept`.
pub async fn live_merge_of_pair(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    kept: &str,
    merged: &str,
) -> Result<Option<MergeRecord>, AppError> {
    let sql = format!(
        "SELECT {MERGE_COLUMNS} FROM identity_user_merges WHERE tenant_id = $1 \
         AND kept_user_id = $2 AND merged_user_id = $3 AND reversed_at IS NULL \
         ORDER BY created_at DESC, id DESC"
    );
    record(
        conn,
        &sql,
        vec![tenant_text(tenant), text(kept), text(merged)],
    )
    .await
}

/// Marks a merge reversed; 0 rows when it already was.
pub async fn mark_reversed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_user_merges SET reversed_at = $3, reversed_by = $4 \
         WHERE tenant_id = $1 AND id = $2 AND reversed_at IS NULL",
        vec![tenant_text(tenant), text(id), ts(now), text(by)],
    )
    .await
}

/// Makes a user merged into `kept` ACTIVE again; 0 rows when it is not (any more).
pub async fn reactivate(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    kept: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_users SET status = 'ACTIVE', merged_into = NULL, updated_at = $4 \
         WHERE tenant_id = $1 AND id = $2 AND status = 'MERGED' AND merged_into = $3",
        vec![tenant_text(tenant), text(user_id), text(kept), ts(now)],
    )
    .await
}

/// How many identities of `kind` `user_id` holds.
pub async fn count_kind(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    kind: IdentityKind,
) -> Result<i64, AppError> {
    count(
        conn,
        "SELECT COUNT(*) AS n FROM identity_user_identities \
         WHERE tenant_id = $1 AND user_id = $2 AND kind = $3",
        vec![tenant_text(tenant), text(user_id), text(kind.as_str())],
    )
    .await
}
