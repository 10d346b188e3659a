//! The `refund:<refund_id>` task, scheduled in the transaction that approved the case: the
//! WeChat refund of the cash part (out_refund_no = the refund number, so a resubmission is the
//! same refund at WeChat), then polling while it is not final; once the cash is back (or there
//! was none) the compensation steps and the refund's success. A callback that arrives first
//! does the same through the inbox; every stage is safe to run twice. A submission WeChat
//! refuses for now (FREQUENCY_LIMITED: one refund of a payment a minute, NOT_ENOUGH, a system
//! error) is a failure of the task, retried with the jobs' backoff.

use siyu_core::TenantId;
use siyu_wechatpay::model::{RefundAmountRequest, RefundRequest};
use uuid::Uuid;

use super::inbox::{self, PspRefund};
use super::model::Refund;
use super::{psp, status};
use crate::AppError;
use crate::app::App;
use crate::app::after_sales::AfterSaleError;
use crate::app::payments::PaymentError;
use crate::repo;

/// The prefix of refund tasks' kind.
pub const TASK_PREFIX: &str = "refund:";
/// How long a refund WeChat is still processing waits before the next query.
pub const POLL_MS: i64 = 30_000;

/// The task kind of refund `id`.
pub fn task_kind(id: Uuid) -> String {
    format!("{TASK_PREFIX}{id}")
}

/// Where a run left the refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// SUCCEEDED, or NEEDS_ATTENTION: nothing left for the task.
    Settled,
    /// WeChat is still processing the cash part: query again later.
    Waiting,
}

impl App {
    /// The task `kind` of `order_id`: runs the refund; done when it is settled, due again in
    /// [`POLL_MS`] while WeChat processes it (a failure is retried with the jobs' backoff).
    pub async fn run_refund_task(
        &self,
        tenant: TenantId,
        order_id: Uuid,
        kind: &str,
    ) -> Result<(), AppError> {
        let id: Uuid = kind
            .strip_prefix(TASK_PREFIX)
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| AppError::Internal(format!("refund task {kind}")))?;
        match self.run_refund(tenant, id).await? {
            Progress::Settled => {
                repo::tasks::done(&self.db, tenant, order_id, kind, self.now_ms()).await
            }
            Progress::Waiting => {
                repo::tasks::retry_at(
                    &self.db,
                    tenant,
                    order_id,
                    kind,
                    self.now_ms() + POLL_MS,
                    "PSP_REFUND_PROCESSING",
                )
                .await
            }
        }
    }

    /// Runs the refund after a commit that created or advanced it; a failure stays with the
    /// task, which retries it.
    pub fn kick_refund(&self, tenant: TenantId, id: Uuid) {
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(e) = app.run_refund(tenant, id).await {
                tracing::info!(error = %e, refund = %id, "refund left to its task");
            }
        });
    }

    /// Advances the refund as far as it goes now.
    pub async fn run_refund(&self, tenant: TenantId, id: Uuid) -> Result<Progress, AppError> {
        let mut refund = self.refund(tenant, id).await?;
        if matches!(refund.status, status::SUCCEEDED | status::NEEDS_ATTENTION) {
            return Ok(Progress::Settled);
        }
        if refund.psp_status == psp::NOT_SUBMITTED {
            // What a plan bought goes before its money.
            if !self.take_back_purchase(tenant, &refund).await? {
                return Ok(Progress::Settled);
            }
            refund = self.refund(tenant, id).await?;
        }
        match refund.psp_status {
            psp::NOT_SUBMITTED => {
                self.submit_refund(tenant, &refund).await?;
                refund = self.refund(tenant, id).await?;
            }
            psp::PROCESSING => {
                self.poll_refund(tenant, &refund).await?;
                refund = self.refund(tenant, id).await?;
            }
            _ => {}
        }
        if refund.status == status::NEEDS_ATTENTION {
            return Ok(Progress::Settled);
        }
        if !refund.cash_settled() {
            return Ok(Progress::Waiting);
        }
        if refund.status == status::PENDING {
            // Stored value or points only: straight to compensation.
            repo::refunds::set_status(
                &self.db,
                tenant,
                id,
                &[status::PENDING],
                status::PROCESSING,
                self.now_ms(),
            )
            .await?;
        }
        if !self.compensate(tenant, &refund).await? {
            return Ok(Progress::Settled);
        }
        self.finish_refund(tenant, id).await?;
        Ok(Progress::Settled)
    }

    /// The refund `id` as stored.
    pub(crate) async fn refund(&self, tenant: TenantId, id: Uuid) -> Result<Refund, AppError> {
        Ok(repo::refunds::get(&self.db, tenant, id, false)
            .await?
            .ok_or(AfterSaleError::RefundNotFound)?)
    }

    /// Submits the cash part to WeChat and records what it answered.
    async fn submit_refund(&self, tenant: TenantId, refund: &Refund) -> Result<(), AppError> {
        let merchant = self.merchants.get(&self.db, tenant).await?;
        let payment = match refund.payment_id {
            Some(id) => repo::payments::attempts::get(&self.db, tenant, id, false).await?,
            None => None,
        }
        .ok_or_else(|| AppError::Internal(format!("refund {} without payment", refund.id)))?;
        let request = RefundRequest {
            transaction_id: (!payment.psp_transaction_id.is_empty())
                .then(|| payment.psp_transaction_id.clone()),
            out_trade_no: payment
                .psp_transaction_id
                .is_empty()
                .then(|| payment.out_trade_no.clone()),
            out_refund_no: refund.refund_no.clone(),
            reason: Some("售后退款".to_owned()),
            notify_url: Some(merchant.notify_url.clone()),
            amount: RefundAmountRequest {
                refund: refund.cash_fen,
                total: payment.amount_fen,
                currency: "CNY".to_owned(),
            },
        };
        let answer = merchant
            .client
            .refund(&request)
            .await
            .map_err(|e| PaymentError::ProviderUnavailable(format!("refund: {e}")))?;
        self.apply_refund_answer(tenant, answer, "SUBMIT").await
    }

    /// Asks WeChat where the cash part is and applies the answer.
    pub(crate) async fn poll_refund(
        &self,
        tenant: TenantId,
        refund: &Refund,
    ) -> Result<(), AppError> {
        let merchant = self.merchants.get(&self.db, tenant).await?;
        let answer = merchant
            .client
            .query_refund(&refund.refund_no)
            .await
            .map_err(|e| PaymentError::ProviderUnavailable(format!("refund query: {e}")))?;
        self.apply_refund_answer(tenant, answer, "QUERY").await
    }

    /// Applies an answer of the refund API or its query in a transaction of its own.
    async fn apply_refund_answer(
        &self,
        tenant: TenantId,
        answer: siyu_wechatpay::model::Refund,
        event_type: &str,
    ) -> Result<(), AppError> {
        let p = PspRefund::from_wechat(&answer, event_type, "");
        let txn = siyu_store::db::begin_write(&self.db).await?;
        inbox::apply_refund(&txn, tenant, &p, self.now_ms()).await?;
        txn.commit().await?;
        Ok(())
    }
}
