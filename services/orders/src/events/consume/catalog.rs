//! Catalog's events. ReservationExpired: the order's stock went back, so a still-unpaid order is
//! cancelled through the one cancellation path (`app::orders::cancel`: the open WeChat attempts
//! closed first, a payment found on the way paying the order instead). The cancellation calls
//! the PSP, so it never runs in the event's transaction: the event schedules the task
//! `reservation_expired` with its inbox row, and the cancellation runs once that committed and
//! again from the task until it is decided. A payment arriving after the cancellation is a late
//! payment, revived or refunded by `app::payments::late`.

use sea_orm::DatabaseTransaction;
use siyu_core::TenantId;
use siyu_proto::events::v1 as ev;
use uuid::Uuid;

use super::{AfterCommit, Incoming};
use crate::AppError;
use crate::app::App;
use crate::app::orders::model::{ActorKind, Cancellation, cancel_reason};
use crate::app::orders::status::OrderStatus;
use crate::repo;

/// The task that cancels an order whose reservation expired.
pub const TASK: &str = "reservation_expired";

/// ReservationExpired → the cancellation task of the order, when it still waits for payment.
pub async fn reservation_expired(
    app: &App,
    txn: &DatabaseTransaction,
    e: &Incoming,
    after: &mut AfterCommit,
) -> Result<(), AppError> {
    let Some(r) = e.decode::<ev::ReservationExpired>() else {
        return Ok(());
    };
    let Some(order_id) = e.id(&r.order_id) else {
        return Ok(());
    };
    let Some(order) = repo::orders::get(txn, e.tenant, order_id, false).await? else {
        tracing::info!(order = %order_id, "reservation of an unknown order expired");
        return Ok(());
    };
    if order.status != OrderStatus::PendingPayment {
        return Ok(());
    }
    repo::tasks::schedule(txn, e.tenant, order_id, TASK, app.now_ms()).await?;
    after.expired_orders.push((e.tenant, order_id));
    Ok(())
}

impl App {
    /// The `reservation_expired` task: cancels the order if it still waits for payment
    /// (CANCEL_REASON_PAYMENT_TIMEOUT: its stock is held for the unpaid timeout and five minutes
    /// more, so an expired reservation is an order not paid in time), then marks the task done.
    /// An order paid, cancelled or gone meanwhile is decided: the task is done.
    pub async fn cancel_expired_reservation(
        &self,
        tenant: TenantId,
        order_id: Uuid,
    ) -> Result<(), AppError> {
        let cancellation = Cancellation {
            reason: cancel_reason::PAYMENT_TIMEOUT,
            note: "reservation expired".into(),
            actor: ActorKind::System.number(),
            actor_id: String::new(),
            at_ms: self.now_ms(),
            refund_id: String::new(),
        };
        match self.cancel_unpaid(tenant, order_id, cancellation).await {
            Ok(_)
            | Err(
                AppError::OrderAlreadyPaid
                | AppError::IllegalTransition { .. }
                | AppError::OrderNotFound,
            ) => {}
            Err(e) => return Err(e),
        }
        repo::tasks::done(&self.db, tenant, order_id, TASK, self.now_ms()).await
    }
}
