//! What a payment reads of its order and how a payment success moves it: PENDING_PAYMENT →
//! PAID with `paid_at_ms`, `paid_fen` and a PAID timeline entry, in the caller's transaction.
//!
//! The order side owns these transitions; until its own `mark_paid` is available this is the
//! narrow version payments uses (same columns, same timeline kind).

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind, TenantId};
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

/// Whether `ctx` may see the order's payments.
pub fn may_see(ctx: &Ctx, order: &OrderView) -> bool {
    match ctx.principal.kind {
        PrincipalKind::Consumer => ctx.principal.subject == order.user_id.to_string(),
        PrincipalKind::Staff => staff_sees(ctx, order.store_id),
        PrincipalKind::Partner | PrincipalKind::Service => true,
    }
}

/// Staff see a store's payments with an admitted role on the tenant root (every store) or on
/// the store itself. The store's full org path is not kept by orders, so a role on a region
/// between the two does not count yet.
pub fn staff_sees(ctx: &Ctx, store_id: Option<Uuid>) -> bool {
    ctx.principal.grants.iter().any(|g| {
        let admitted = ctx.admitted_roles.is_empty() || ctx.admitted_roles.contains(&g.role);
        admitted && (g.org.0.len() == 1 || store_id.is_some_and(|s| g.org.unit() == Some(s)))
    })
}

/// PENDING_PAYMENT → PAID for `payment_id`'s success; false when the order was not pending.
pub async fn mark_paid(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    payment_id: Uuid,
    paid_fen: i64,
    paid_at_ms: i64,
    now_ms: i64,
) -> Result<bool, AppError> {
    repo::mark_paid(conn, tenant, order_id, payment_id, paid_fen, paid_at_ms, now_ms).await
}
