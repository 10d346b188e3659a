//! `inv_syncs` (the first result of each partner sync batch) and `inv_stock.last_sync_ms` (when
//! the last applied count of a pair was taken, for STALE).

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{execute, fetch_one, uuid};
use crate::AppError;

/// The stored result of a batch.
#[derive(Debug, FromQueryResult)]
struct ResultRow {
    result: String,
}

/// When a pair's last applied count was taken.
#[derive(Debug, FromQueryResult)]
struct LastSyncRow {
    last_sync_ms: Option<i64>,
}

/// Claims `sync_id` for this transaction; `false` when a batch with that id was committed
/// before (a concurrent claimer waits here until the first transaction ends).
#[tracing::instrument(skip_all, fields(%tenant))]
pub async fn claim(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sync_id: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO inv_syncs (tenant, sync_id, created_at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant, sync_id) DO NOTHING",
        [uuid(tenant.0), sync_id.into(), now_ms.into()],
    )
    .await?;
    Ok(n == 1)
}

/// Stores the result of a claimed batch (same transaction as the claim).
pub async fn store(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sync_id: &str,
    result: &str,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE inv_syncs SET result = $3 WHERE tenant = $1 AND sync_id = $2",
        [uuid(tenant.0), sync_id.into(), result.into()],
    )
    .await?;
    Ok(())
}

/// The stored result of a batch, if any.
pub async fn result(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sync_id: &str,
) -> Result<Option<String>, AppError> {
    let row: Option<ResultRow> = fetch_one(
        conn,
        "SELECT result FROM inv_syncs WHERE tenant = $1 AND sync_id = $2",
        [uuid(tenant.0), sync_id.into()],
    )
    .await?;
    Ok(row.map(|r| r.result))
}

/// When the last applied count of a (locked) pair was taken; `None` if never synced.
pub async fn last_sync_ms(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    loc: Uuid,
) -> Result<Option<i64>, AppError> {
    let row: Option<LastSyncRow> = fetch_one(
        conn,
        "SELECT last_sync_ms FROM inv_stock WHERE tenant = $1 AND sku_id = $2 AND location_id = $3",
        [uuid(tenant.0), uuid(sku), uuid(loc)],
    )
    .await?;
    Ok(row.and_then(|r| r.last_sync_ms))
}

/// Records that a count taken at `counted_ms` was applied to the pair.
pub async fn mark_synced(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    loc: Uuid,
    counted_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE inv_stock SET last_sync_ms = $4 WHERE tenant = $1 AND sku_id = $2 \
         AND location_id = $3",
        [uuid(tenant.0), uuid(sku), uuid(loc), counted_ms.into()],
    )
    .await?;
    Ok(())
}
