//! `ord_erasures` and `ord_orders.pii_stripped_at_ms`: the users identity erased, and which of
//! their orders have had their addresses and contact names stripped from the snapshot.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::repo::{execute, fetch_all, fetch_one, for_update, uuid};

/// Orders whose transaction has ended: CANCELLED (7), CLOSED (8), or COMPLETED (6) and settled
/// (no refund can reach it). Their last change is when the transaction ended, so the legal
/// retention counts from `updated_at_ms` (stripping does not move it).
const ENDED: &str = "(o.status IN (7, 8) OR (o.status = 6 AND o.settled_at_ms IS NOT NULL))";

/// Records that `user` was erased; false when it was already recorded.
pub async fn record(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: Uuid,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO ord_erasures (tenant, user_id, erased_at_ms) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
        [uuid(tenant.0), uuid(user), now_ms.into()],
    )
    .await?;
    Ok(n == 1)
}

/// Deletes `user`'s cart (its lines and its row); answers how many lines went.
pub async fn drop_cart(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user: Uuid,
) -> Result<u64, AppError> {
    let lines = execute(
        conn,
        "DELETE FROM ord_cart_lines WHERE tenant = $1 AND user_id = $2",
        [uuid(tenant.0), uuid(user)],
    )
    .await?;
    execute(
        conn,
        "DELETE FROM ord_carts WHERE tenant = $1 AND user_id = $2",
        [uuid(tenant.0), uuid(user)],
    )
    .await?;
    Ok(lines)
}

#[derive(Debug, FromQueryResult)]
struct DueRow {
    tenant: Uuid,
    id: Uuid,
}

/// Orders of erased users (only `user`'s when given) not yet stripped whose transaction ended
/// at or before `ended_by_ms`, oldest first.
pub async fn due(
    conn: &impl ConnectionTrait,
    user: Option<(TenantId, Uuid)>,
    ended_by_ms: i64,
    limit: i64,
) -> Result<Vec<(TenantId, Uuid)>, AppError> {
    let mut values = vec![ended_by_ms.into(), limit.into()];
    let only = match user {
        Some((tenant, user)) => {
            values.extend([uuid(tenant.0), uuid(user)]);
            " AND o.tenant = $3 AND o.user_id = $4"
        }
        None => "",
    };
    let rows: Vec<DueRow> = fetch_all(
        conn,
        &format!(
            "SELECT o.tenant, o.id FROM ord_orders o
             JOIN ord_erasures e ON e.tenant = o.tenant AND e.user_id = o.user_id
             WHERE o.pii_stripped_at_ms IS NULL AND {ENDED} AND o.updated_at_ms <= $1{only}
             ORDER BY o.updated_at_ms, o.id LIMIT $2"
        ),
        values,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (TenantId(r.tenant), r.id))
        .collect())
}

/// The snapshot of an order not yet stripped, its row locked; `None` when it is stripped (or
/// gone).
pub async fn lock_unstripped(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
) -> Result<Option<Vec<u8>>, AppError> {
    #[derive(Debug, FromQueryResult)]
    struct Row {
        detail: String,
    }
    let row: Option<Row> = fetch_one(
        conn,
        &format!(
            "SELECT detail FROM ord_orders
             WHERE tenant = $1 AND id = $2 AND pii_stripped_at_ms IS NULL{}",
            for_update(conn)
        ),
        [uuid(tenant.0), uuid(order_id)],
    )
    .await?;
    row.map(|r| {
        B64.decode(r.detail)
            .map_err(|e| AppError::Internal(format!("column detail: {e}")))
    })
    .transpose()
}

/// Replaces the snapshot of an order with its stripped form and marks it stripped.
pub async fn store_stripped(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    snapshot: &[u8],
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE ord_orders SET detail = $3, pii_stripped_at_ms = $4
         WHERE tenant = $1 AND id = $2 AND pii_stripped_at_ms IS NULL",
        [
            uuid(tenant.0),
            uuid(order_id),
            B64.encode(snapshot).into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(())
}
