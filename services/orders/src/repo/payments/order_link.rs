//! The part of `ord_orders` and `ord_timeline` a payment reads and changes: the order's
//! status, payer, payable amount and deadline; PENDING_PAYMENT → PAID with its timeline entry.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{execute, fetch_one, for_update, uuid};
use crate::AppError;

/// What a payment needs to know of its order.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct OrderView {
    /// The order id.
    pub id: Uuid,
    /// The order number.
    pub order_no: String,
    /// The buyer.
    pub user_id: Uuid,
    /// The store, if any.
    pub store_id: Option<Uuid>,
    /// The `OrderStatus` number.
    pub status: i16,
    /// Cash to collect, fen.
    pub payable_fen: i64,
    /// When an unpaid order is cancelled.
    pub payment_deadline_ms: Option<i64>,
}

/// The order (locked for the transaction when `lock`).
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    lock: bool,
) -> Result<Option<OrderView>, AppError> {
    let sql = format!(
        "SELECT id, order_no, user_id, store_id, status, payable_fen, payment_deadline_ms
         FROM ord_orders WHERE tenant = $1 AND id = $2{}",
        for_update(conn, lock)
    );
    fetch_one(conn, &sql, vec![uuid(tenant.0), uuid(id)]).await
}

/// PENDING_PAYMENT (1) → PAID (2) with `paid_fen` and `paid_at_ms`, and a PAID (3) timeline
/// entry by the PSP (actor 5) referencing the payment. False when the order was not pending.
pub async fn mark_paid(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    payment_id: Uuid,
    paid_fen: i64,
    paid_at_ms: i64,
    now_ms: i64,
) -> Result<bool, AppError> {
    let changed = execute(
        conn,
        "UPDATE ord_orders SET status = 2, paid_fen = $3, paid_at_ms = $4, updated_at_ms = $5,
            version = version + 1
         WHERE tenant = $1 AND id = $2 AND status = 1",
        vec![
            uuid(tenant.0),
            uuid(order_id),
            paid_fen.into(),
            paid_at_ms.into(),
            now_ms.into(),
        ],
    )
    .await?;
    if changed == 0 {
        return Ok(false);
    }
    execute(
        conn,
        "INSERT INTO ord_timeline (tenant, order_id, seq, kind, from_status, to_status,
            actor_kind, actor_id, reference_id, note, occurred_at_ms)
         SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, 3, 1, 2, 5, '', $3, '', $4
         FROM ord_timeline WHERE tenant = $1 AND order_id = $2",
        vec![
            uuid(tenant.0),
            uuid(order_id),
            payment_id.to_string().into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(true)
}
