//! RefundService's app side: a refund as its reader may see it (the order's consumer, staff of
//! its store, partners and services; anyone else — another consumer, another store, another
//! tenant — finds no refund), the PSP asked now, and a refund that needed attention run again.

use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::model::Refund;
use super::{psp, status};
use crate::AppError;
use crate::app::App;
use crate::app::after_sales::AfterSaleError;
use crate::repo;

impl App {
    /// The refund `id` if `ctx` may see it.
    pub async fn visible_refund(&self, ctx: &Ctx, id: Uuid) -> Result<Refund, AppError> {
        let refund = repo::refunds::get(&self.db, ctx.tenant, id, false)
            .await?
            .ok_or(AfterSaleError::RefundNotFound)?;
        let order = repo::orders::get(&self.db, ctx.tenant, refund.order_id, false)
            .await?
            .ok_or(AfterSaleError::RefundNotFound)?;
        if !crate::app::orders::may_see(ctx, order.user_id, order.store_id) {
            return Err(AfterSaleError::RefundNotFound.into());
        }
        Ok(refund)
    }

    /// QueryRefund: asks WeChat where the cash part is (when it was submitted and is not
    /// back yet), applies the answer through the inbox and lets the refund go on. Answers the
    /// refund and whether it changed.
    pub async fn query_refund_now(&self, ctx: &Ctx, id: Uuid) -> Result<(Refund, bool), AppError> {
        let before = self.visible_refund(ctx, id).await?;
        if matches!(
            before.psp_status,
            psp::PROCESSING | psp::ABNORMAL | psp::CLOSED
        ) {
            self.poll_refund(ctx.tenant, &before).await?;
        }
        let after = self.refund(ctx.tenant, id).await?;
        if after.cash_settled() && after.status == status::PROCESSING {
            self.kick_refund(ctx.tenant, id);
        }
        let changed = after != before;
        Ok((after, changed))
    }

    /// RetryRefund: a NEEDS_ATTENTION refund PROCESSING again — a CLOSED PSP refund submitted
    /// again under the same number, an ABNORMAL one polled (it was handled in the console),
    /// failed steps retried — and its task due now.
    pub async fn retry_refund(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<Refund, AppError> {
        let refund = self.visible_refund(ctx, id).await?;
        let psp_status = match refund.psp_status {
            psp::CLOSED => psp::NOT_SUBMITTED,
            psp::ABNORMAL => psp::PROCESSING,
            other => other,
        };
        let now = self.now_ms();
        if !repo::refunds::reopen(conn, ctx.tenant, id, psp_status, now).await? {
            let current = repo::refunds::get(conn, ctx.tenant, id, false)
                .await?
                .ok_or(AfterSaleError::RefundNotFound)?;
            // A repeated retry answers the refund as it is now.
            if current.status == status::PROCESSING && refund.status == status::PROCESSING {
                return Ok(current);
            }
            return Err(AfterSaleError::RefundNotRetryable.into());
        }
        if let Some(case) = refund.after_sale_id {
            repo::after_sales::set_issue(conn, ctx.tenant, case, "").await?;
        }
        repo::refunds::reschedule_task(
            conn,
            ctx.tenant,
            refund.order_id,
            &super::run::task_kind(id),
            now,
        )
        .await?;
        Ok(repo::refunds::get(conn, ctx.tenant, id, false)
            .await?
            .ok_or(AfterSaleError::RefundNotFound)?)
    }

    /// The tenant's refunds of `order_id` (for the order's own reads).
    pub async fn refunds_of_order(
        &self,
        tenant: TenantId,
        order_id: Uuid,
    ) -> Result<Vec<Refund>, AppError> {
        let filter = repo::refunds::RefundFilter {
            order_id: Some(order_id),
            ..repo::refunds::RefundFilter::default()
        };
        repo::refunds::list(&self.db, tenant, &filter, None, 1000).await
    }
}
