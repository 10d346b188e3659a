//! Staff cancelling a paid order (PAID, PREPARING or READY_FOR_PICKUP): everything still
//! refundable goes back through a system after-sale case — refund-only, reason
//! ORDER_CANCELLED_BY_STAFF, approved at once, its refund (reason STAFF_CANCEL) running the cash,
//! the compensation and the restock like any other — and the order ends CANCELLED with the
//! refund's id, in the one transaction that opened the case. OrderCancelled says `was_paid`, so
//! catalog leaves the stock to the refund's restock.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::fulfilment::Actor;
use super::model::{Cancellation, Order, TimelineEntry, timeline_kind};
use super::status::OrderStatus;
use crate::AppError;
use crate::app::App;
use crate::app::after_sales::model::{Kind, Status as CaseStatus};
use crate::app::after_sales::open::Ask;
use crate::repo;

/// `AfterSaleReason` ORDER_CANCELLED_BY_STAFF.
pub const CANCELLED_BY_STAFF: i16 = 8;

impl App {
    /// Cancels the paid order `order_id` for `ctx` with a full refund of what is left (see the
    /// module docs) in `conn`'s transaction. A cancelled order is answered as it is; an open
    /// after-sale case must be decided first (AFTER_SALE_IN_PROGRESS).
    pub async fn cancel_paid(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order_id: Uuid,
        mut cancellation: Cancellation,
    ) -> Result<Order, AppError> {
        let order = repo::orders::get(conn, ctx.tenant, order_id, true)
            .await?
            .filter(|o| crate::app::orders::may_see(ctx, o.user_id, o.store_id))
            .ok_or(AppError::OrderNotFound)?;
        let from = order.status;
        match from {
            OrderStatus::Cancelled => return Ok(order),
            OrderStatus::Paid | OrderStatus::Preparing | OrderStatus::ReadyForPickup => {}
            other => return Err(AppError::IllegalTransition { from: other }),
        }
        if repo::after_sales::open_count(conn, ctx.tenant, order_id).await? > 0 {
            return Err(AppError::AfterSaleInProgress);
        }
        let ask = Ask {
            order_id,
            kind: Kind::RefundOnly,
            // Every unit still refundable.
            lines: Vec::new(),
            reason: CANCELLED_BY_STAFF,
            description: cancellation.note.clone(),
            evidence: Vec::new(),
            requested_fen: None,
        };
        let mut case = self.request_after_sale(conn, ctx, &ask).await?;
        if case.status == CaseStatus::Requested {
            // Not approved at once (a top-up or a paid plan): staff cancelling is the approval.
            let order = repo::orders::get(conn, ctx.tenant, order_id, true)
                .await?
                .ok_or(AppError::OrderNotFound)?;
            let actor = Actor::of(ctx).kind;
            self.start_refund(conn, ctx.tenant, &order, &mut case, actor, "", true)
                .await?;
        }
        cancellation.refund_id = case.refund_id.map(|r| r.to_string()).unwrap_or_default();
        if !repo::orders::cancel(conn, ctx.tenant, order_id, from, &cancellation).await? {
            return Err(AppError::IllegalTransition { from });
        }
        let actor = Actor::of(ctx);
        repo::orders::append_timeline(
            conn,
            ctx.tenant,
            order_id,
            &TimelineEntry {
                kind: timeline_kind::CANCELLED,
                from,
                to: OrderStatus::Cancelled,
                actor: actor.kind,
                actor_id: actor.id,
                reference_id: cancellation.refund_id.clone(),
                note: cancellation.note.clone(),
                occurred_at_ms: cancellation.at_ms,
            },
        )
        .await?;
        let cancelled = repo::orders::get(conn, ctx.tenant, order_id, false)
            .await?
            .ok_or(AppError::OrderNotFound)?;
        crate::events::publish::order_cancelled(conn, ctx.tenant, &cancelled).await?;
        Ok(cancelled)
    }
}
