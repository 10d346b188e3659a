//! Cancelling an unpaid order — by the member (CancelOrder), by staff, or by the unpaid timeout:
//! close the open PSP attempts first (a payment found on the way is applied and the order is
//! then paid, not cancelled), then in one transaction move PENDING_PAYMENT → CANCELLED with the
//! cancellation, the timeline entry, OrderCancelled and a `release` task; the release (stock,
//! coupons, points, stored value, each keyed by the order id at the peer) runs at once and, if a
//! peer cannot answer, again from the task until it succeeds.

use siyu_core::{Ctx, Principal, PrincipalKind, TenantId};
use uuid::Uuid;

use super::model::{ActorKind, Cancellation, Order, TimelineEntry, timeline_kind};
use super::status::OrderStatus;
use crate::AppError;
use crate::app::App;
use crate::app::payments::{PaymentError, PaymentStatus};
use crate::repo;

/// The task that gives back what checkout took.
pub const RELEASE: &str = "release";

/// A context acting as orders itself in `tenant` (jobs, the timeout).
pub fn system_ctx(tenant: TenantId) -> Ctx {
    Ctx::new(
        tenant,
        Principal {
            subject: "orders".into(),
            kind: PrincipalKind::Service,
            grants: Vec::new(),
            scopes: Vec::new(),
            token_id: None,
        },
    )
}

impl App {
    /// Cancels the unpaid order `order_id` for `cancellation`'s actor and reason. A cancelled
    /// order is returned unchanged; any other status than PENDING_PAYMENT is
    /// ILLEGAL_TRANSITION; an attempt found paid on closing makes it ORDER_ALREADY_PAID.
    pub async fn cancel_unpaid(
        &self,
        tenant: TenantId,
        order_id: Uuid,
        cancellation: Cancellation,
    ) -> Result<Order, AppError> {
        let order = repo::orders::get(&self.db, tenant, order_id, false)
            .await?
            .ok_or(AppError::OrderNotFound)?;
        match order.status {
            OrderStatus::Cancelled => return Ok(order),
            OrderStatus::PendingPayment => {}
            other => return Err(AppError::IllegalTransition { from: other }),
        }
        // Close every open attempt at the PSP before the order is cancelled, so a payment racing
        // the cancellation is found now (and applied) rather than arriving as a late payment.
        let system = system_ctx(tenant);
        for payment in repo::payments::attempts::of_order(&self.db, tenant, order_id).await? {
            if !matches!(
                payment.status,
                PaymentStatus::Created | PaymentStatus::Pending
            ) {
                continue;
            }
            match self
                .close_payment(&system, payment.id, "ORDER_CANCELLED")
                .await
            {
                Ok(_) => {}
                Err(AppError::Payment(PaymentError::AlreadySucceeded)) => {
                    return Err(AppError::OrderAlreadyPaid);
                }
                Err(e) => return Err(e),
            }
        }
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let Some(locked) = repo::orders::get(&txn, tenant, order_id, true).await? else {
            return Err(AppError::OrderNotFound);
        };
        match locked.status {
            OrderStatus::PendingPayment => {}
            OrderStatus::Cancelled => {
                txn.commit().await?;
                return Ok(locked);
            }
            OrderStatus::Paid => return Err(AppError::OrderAlreadyPaid),
            other => return Err(AppError::IllegalTransition { from: other }),
        }
        let at = cancellation.at_ms;
        repo::orders::cancel(
            &txn,
            tenant,
            order_id,
            OrderStatus::PendingPayment,
            &cancellation,
        )
        .await?;
        repo::orders::append_timeline(
            &txn,
            tenant,
            order_id,
            &TimelineEntry {
                kind: timeline_kind::CANCELLED,
                from: OrderStatus::PendingPayment,
                to: OrderStatus::Cancelled,
                actor: actor_kind(cancellation.actor),
                actor_id: cancellation.actor_id.clone(),
                reference_id: String::new(),
                note: cancellation.note.clone(),
                occurred_at_ms: at,
            },
        )
        .await?;
        repo::tasks::schedule(&txn, tenant, order_id, RELEASE, at).await?;
        let cancelled = repo::orders::get(&txn, tenant, order_id, false)
            .await?
            .ok_or(AppError::OrderNotFound)?;
        crate::events::publish::order_cancelled(&txn, tenant, &cancelled).await?;
        txn.commit().await?;
        // Give back at once; the task retries if a peer is down.
        if let Err(e) = self.release_order(tenant, order_id).await {
            tracing::warn!(error = %e, order = %order_id, "release after cancel; retried by the task");
        }
        Ok(cancelled)
    }

    /// The `release` task: gives back what the order's checkout took, then marks it done.
    pub async fn release_order(&self, tenant: TenantId, order_id: Uuid) -> Result<(), AppError> {
        let taken = repo::checkouts::taken_of_order(&self.db, tenant, order_id)
            .await?
            .unwrap_or_default();
        self.release_taken(tenant, order_id, taken, "ORDER_CANCELLED", None)
            .await?;
        repo::tasks::done(&self.db, tenant, order_id, RELEASE, self.now_ms()).await
    }
}

fn actor_kind(n: i16) -> ActorKind {
    match n {
        1 => ActorKind::Member,
        2 => ActorKind::Staff,
        3 => ActorKind::Partner,
        5 => ActorKind::Psp,
        _ => ActorKind::System,
    }
}
