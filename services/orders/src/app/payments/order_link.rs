//! What a payment reads of its order (status, buyer, store) and who may see it; the order side
//! owns the order's transitions (`app::orders::paid::mark_paid`).

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::PaymentError;
use crate::AppError;
use crate::repo::payments::order_link as repo;

pub use crate::repo::payments::order_link::OrderView;

/// `OrderStatus` PENDING_PAYMENT.
pub const PENDING_PAYMENT: i16 = 1;
/// `OrderStatus` CANCELLED.
pub const CANCELLED: i16 = 7;

/// The order, locked for the transaction when `lock`.
pub async fn order(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    lock: bool,
) -> Result<Option<OrderView>, AppError> {
    repo::get(conn, tenant, order_id, lock).await
}

/// The order as `ctx` may see it: consumers their own only, staff in scope (see
/// [`staff_sees`]); anything else is `ORDER_NOT_FOUND`.
pub async fn visible_order(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    order_id: Uuid,
) -> Result<OrderView, AppError> {
    let order = repo::get(conn, ctx.tenant, order_id, false)
        .await?
        .ok_or(PaymentError::OrderNotFound)?;
    if may_see(ctx, &order) {
        Ok(order)
    } else {
        Err(PaymentError::OrderNotFound.into())
    }
}

/// Whether `ctx` may see the order's payments: whoever may see the order.
pub fn may_see(ctx: &Ctx, order: &OrderView) -> bool {
    crate::app::orders::may_see(ctx, order.user_id, order.store_id)
}
