//! The part of `ord_orders` and `ord_timeline` a payment reads and changes: the order's
//! status, payer, payable amount and deadline; PENDING_PAYMENT → PAID with its timeline entry.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{fetch_one, for_update, uuid};
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
