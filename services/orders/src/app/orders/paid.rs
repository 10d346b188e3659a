//! An order paid: PENDING_PAYMENT → PAID with what was collected, a PAID timeline entry,
//! OrderPaid in the outbox (membership earns on it, catalog confirms the reservation, content
//! notifies) and the `settle_paid` task — all in the caller's transaction, the one that
//! recorded the payment's success. The task then uses the coupons, captures the points and the
//! stored value and confirms the reservation, each keyed by the order id at the peer, retried
//! until done.

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use uuid::Uuid;

use super::model::{ActorKind, OrderKind, TimelineEntry, timeline_kind};
use super::status::OrderStatus;
use crate::AppError;
use crate::app::App;
use crate::repo;

/// The task that settles a paid order with membership and catalog.
pub const SETTLE_PAID: &str = "settle_paid";

/// The payment that paid an order.
#[derive(Debug, Clone)]
pub struct PaidBy {
    /// The payment attempt.
    pub payment_id: Uuid,
    /// `siyu.events.v1.OrderPaymentProvider` number.
    pub provider: i32,
    /// The PSP's transaction id (empty for stored value or nothing to pay).
    pub transaction_id: String,
    /// Collected, fen.
    pub paid_fen: i64,
    /// When the money arrived.
    pub paid_at_ms: i64,
}

/// Marks the pending order paid by `by` (see the module docs). False when the order was not
/// pending payment (the caller records a late payment instead).
pub async fn mark_paid(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    by: &PaidBy,
    now_ms: i64,
) -> Result<bool, AppError> {
    if !repo::orders::set_paid(conn, tenant, order_id, by.paid_fen, by.paid_at_ms, now_ms).await? {
        return Ok(false);
    }
    repo::orders::append_timeline(
        conn,
        tenant,
        order_id,
        &TimelineEntry {
            kind: timeline_kind::PAID,
            from: OrderStatus::PendingPayment,
            to: OrderStatus::Paid,
            actor: if by.transaction_id.is_empty() {
                ActorKind::System
            } else {
                ActorKind::Psp
            },
            actor_id: String::new(),
            reference_id: by.payment_id.to_string(),
            note: String::new(),
            occurred_at_ms: now_ms,
        },
    )
    .await?;
    repo::tasks::schedule(conn, tenant, order_id, SETTLE_PAID, now_ms).await?;
    let order = repo::orders::get(conn, tenant, order_id, false)
        .await?
        .ok_or(AppError::OrderNotFound)?;
    crate::events::publish::order_paid(
        conn,
        tenant,
        &order,
        &by.payment_id.to_string(),
        by.provider,
        &by.transaction_id,
        false,
    )
    .await?;
    Ok(true)
}

impl App {
    /// The `settle_paid` task: goods use the order's coupons, capture its points and stored
    /// value and confirm its reservation; a top-up or paid plan is applied at membership and
    /// completed (see [`super::purchase`]). Then the task is done.
    pub async fn settle_paid(&self, tenant: TenantId, order_id: Uuid) -> Result<(), AppError> {
        let order = repo::orders::get(&self.db, tenant, order_id, false)
            .await?
            .ok_or(AppError::OrderNotFound)?;
        if order.kind != OrderKind::Goods {
            self.apply_purchase(tenant, &order).await?;
            return repo::tasks::done(&self.db, tenant, order_id, SETTLE_PAID, self.now_ms()).await;
        }
        let taken = repo::checkouts::taken_of_order(&self.db, tenant, order_id)
            .await?
            .unwrap_or_default();
        if taken.coupons {
            self.use_coupons(tenant, order_id).await?;
        }
        if taken.points {
            self.capture_points(tenant, order_id).await?;
        }
        if taken.stored_value {
            self.capture_stored_value(tenant, order_id).await?;
        }
        if taken.stock {
            self.confirm_stock(tenant, order_id).await?;
        }
        repo::tasks::done(&self.db, tenant, order_id, SETTLE_PAID, self.now_ms()).await
    }
}
