//! `ord_tasks`: an order's remote follow-ups (give back what checkout took, settle a paid
//! order with membership and catalog), retried with backoff until they succeed.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::repo::{execute, fetch_all, uuid};

/// Schedules `kind` for the order at `due_ms` (a task already scheduled stays as it is).
pub async fn schedule(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    kind: &str,
    due_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO ord_tasks (tenant, order_id, kind, state, due_at_ms, created_at_ms,
             updated_at_ms)
         VALUES ($1, $2, $3, 1, $4, $4, $4) ON CONFLICT DO NOTHING",
        [uuid(tenant.0), uuid(order_id), kind.into(), due_ms.into()],
    )
    .await?;
    Ok(())
}

/// A pending task.
#[derive(Debug, Clone, FromQueryResult)]
pub struct DueTask {
    /// The tenant.
    pub tenant: Uuid,
    /// The order.
    pub order_id: Uuid,
    /// What to do.
    pub kind: String,
    /// Attempts so far.
    pub attempts: i32,
}

/// Pending tasks due by `now_ms`, oldest first.
pub async fn due(
    conn: &impl ConnectionTrait,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<DueTask>, AppError> {
    Ok(fetch_all(
        conn,
        "SELECT tenant, order_id, kind, attempts FROM ord_tasks
         WHERE state = 1 AND due_at_ms <= $1 ORDER BY due_at_ms LIMIT $2",
        [now_ms.into(), limit.into()],
    )
    .await?)
}

/// Marks the task done.
pub async fn done(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    kind: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE ord_tasks SET state = 2, updated_at_ms = $4, last_error = ''
         WHERE tenant = $1 AND order_id = $2 AND kind = $3",
        [uuid(tenant.0), uuid(order_id), kind.into(), now_ms.into()],
    )
    .await?;
    Ok(())
}

/// Records a failed attempt and when to try again.
pub async fn retry_at(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    kind: &str,
    due_ms: i64,
    error: &str,
) -> Result<(), AppError> {
    let error: String = error.chars().take(500).collect();
    execute(
        conn,
        "UPDATE ord_tasks SET attempts = attempts + 1, due_at_ms = $4, last_error = $5,
             updated_at_ms = $4
         WHERE tenant = $1 AND order_id = $2 AND kind = $3 AND state = 1",
        [
            uuid(tenant.0),
            uuid(order_id),
            kind.into(),
            due_ms.into(),
            error.into(),
        ],
    )
    .await?;
    Ok(())
}
