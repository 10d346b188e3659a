//! A refund whose money is back at every tender and whose RPC steps are done becomes SUCCEEDED
//! in one transaction with everything it means: the case's units move from "in a case" to
//! "refunded" on their lines (the lines' CHECKs refuse more than was paid), the order's refunded
//! cash (`refunded_fen` counts what WeChat gave back; the lines count cash and stored value),
//! the case REFUNDED, the order's after-sales state, CLOSED when nothing is left, the timeline,
//! the event steps DONE and OrderRefunded + AfterSaleClosed in the outbox.

use siyu_core::TenantId;
use uuid::Uuid;

use super::{status, step};
use crate::AppError;
use crate::app::App;
use crate::app::after_sales::decide::settled_state;
use crate::app::after_sales::model::Status as CaseStatus;
use crate::app::after_sales::open::{order_state, timeline_kind};
use crate::app::orders::model::{ActorKind, Order, TimelineEntry, timeline_kind as order_kind};
use crate::app::orders::status::OrderStatus;
use crate::app::payments::late;
use crate::repo;

/// `TimelineEntryKind` CLOSED.
const TIMELINE_CLOSED: i16 = 17;

impl App {
    /// Marks the refund SUCCEEDED with its effects (see the module docs); a refund already
    /// SUCCEEDED is left as it is.
    pub async fn finish_refund(&self, tenant: TenantId, id: Uuid) -> Result<(), AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let now = self.now_ms();
        let Some(peek) = repo::refunds::get(&txn, tenant, id, false).await? else {
            return Err(crate::app::after_sales::AfterSaleError::RefundNotFound.into());
        };
        // The order first, then the refund: the lock order of every after-sales change.
        let order = repo::orders::get(&txn, tenant, peek.order_id, true)
            .await?
            .ok_or(AppError::OrderNotFound)?;
        let refund = repo::refunds::get(&txn, tenant, id, true)
            .await?
            .ok_or(crate::app::after_sales::AfterSaleError::RefundNotFound)?;
        if refund.status != status::PROCESSING || !refund.cash_settled() {
            return Ok(());
        }
        let rpc_done = refund
            .steps
            .iter()
            .all(|s| s.mechanism != 1 || matches!(s.status, step::DONE | step::SKIPPED));
        if !rpc_done {
            return Ok(());
        }
        repo::refunds::set_status(
            &txn,
            tenant,
            id,
            &[status::PROCESSING],
            status::SUCCEEDED,
            now,
        )
        .await?;
        for s in refund
            .steps
            .iter()
            .filter(|s| s.mechanism == 2 && s.status == step::PENDING)
        {
            repo::refunds::set_step(&txn, tenant, id, s.kind, step::DONE, "", now).await?;
        }
        if matches!(
            refund.reason,
            late::refund_reason::LATE_PAYMENT | late::refund_reason::DUPLICATE_PAYMENT
        ) {
            // Money that was never the order's: its amounts and after-sales stay as they are.
            return self
                .finish_payment_refund(txn, tenant, &order, id, now)
                .await;
        }
        let mut case = match refund.after_sale_id {
            Some(case_id) => repo::after_sales::get(&txn, tenant, case_id, true).await?,
            None => None,
        };
        if let Some(case) = case.as_mut() {
            for l in &case.lines {
                repo::after_sales::refund_units(&txn, tenant, order.id, l).await?;
            }
            let from = case.status;
            case.status = CaseStatus::Refunded;
            case.refund_issue.clear();
            case.updated_at_ms = now;
            case.closed_at_ms = Some(now);
            if from != CaseStatus::Refunding
                || !repo::after_sales::update(&txn, tenant, case, from).await?
            {
                return Err(AppError::Internal(format!(
                    "refund {id}: case {} not refunding",
                    case.id
                )));
            }
        }
        repo::after_sales::order_refunded(&txn, tenant, order.id, refund.cash_fen, now).await?;
        let after = repo::orders::get(&txn, tenant, order.id, false)
            .await?
            .ok_or(AppError::OrderNotFound)?;
        let state = settled_state(&txn, tenant, &after).await?;
        repo::after_sales::set_order_state(&txn, tenant, order.id, state, now).await?;
        let entry = |kind: i16, to: OrderStatus| TimelineEntry {
            kind,
            from: order.status,
            to,
            actor: ActorKind::System,
            actor_id: String::new(),
            reference_id: id.to_string(),
            note: String::new(),
            occurred_at_ms: now,
        };
        repo::orders::append_timeline(
            &txn,
            tenant,
            order.id,
            &entry(timeline_kind::REFUNDED, order.status),
        )
        .await?;
        if state == order_state::FULLY_REFUNDED
            && order.status.may_become(OrderStatus::Closed)
            && repo::orders::set_status(
                &txn,
                tenant,
                order.id,
                order.status,
                OrderStatus::Closed,
                now,
            )
            .await?
        {
            repo::orders::append_timeline(
                &txn,
                tenant,
                order.id,
                &entry(TIMELINE_CLOSED, OrderStatus::Closed),
            )
            .await?;
        }
        let after = repo::orders::get(&txn, tenant, order.id, false)
            .await?
            .ok_or(AppError::OrderNotFound)?;
        let refund = repo::refunds::get(&txn, tenant, id, false)
            .await?
            .ok_or(crate::app::after_sales::AfterSaleError::RefundNotFound)?;
        crate::events::after_sales::order_refunded(
            &txn,
            tenant,
            &after,
            &refund,
            case.as_ref(),
            now,
        )
        .await?;
        if let Some(case) = &case {
            let open = repo::after_sales::open_count(&txn, tenant, order.id).await?;
            crate::events::after_sales::after_sale_closed(
                &txn,
                tenant,
                &after,
                case,
                siyu_proto::events::v1::AfterSaleOutcome::Refunded,
                Some(&refund),
                i32::try_from(open).unwrap_or(i32::MAX),
                now,
            )
            .await?;
        }
        repo::tasks::done(&txn, tenant, order.id, &super::run::task_kind(id), now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The rest of a late or duplicate payment's refund: a LATE_PAYMENT_REFUNDED entry and
    /// OrderRefunded (`late_payment`) in the refund's transaction.
    async fn finish_payment_refund(
        &self,
        txn: sea_orm::DatabaseTransaction,
        tenant: TenantId,
        order: &Order,
        id: Uuid,
        now: i64,
    ) -> Result<(), AppError> {
        repo::orders::append_timeline(
            &txn,
            tenant,
            order.id,
            &TimelineEntry {
                kind: order_kind::LATE_PAYMENT_REFUNDED,
                from: order.status,
                to: order.status,
                actor: ActorKind::System,
                actor_id: String::new(),
                reference_id: id.to_string(),
                note: String::new(),
                occurred_at_ms: now,
            },
        )
        .await?;
        let refund = repo::refunds::get(&txn, tenant, id, false)
            .await?
            .ok_or(crate::app::after_sales::AfterSaleError::RefundNotFound)?;
        crate::events::after_sales::order_refunded(&txn, tenant, order, &refund, None, now).await?;
        repo::tasks::done(&txn, tenant, order.id, &super::run::task_kind(id), now).await?;
        txn.commit().await?;
        Ok(())
    }
}
