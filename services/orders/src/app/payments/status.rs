//! Asking WeChat Pay about an attempt (QueryPayment; a found success goes through the inbox
//! keyed by the transaction id, as a notification would) and closing an unpaid attempt.

use siyu_core::{Ctx, PrincipalKind, TenantId};
use siyu_wechatpay::WechatPayError;
use siyu_wechatpay::error::ApiCode;
use siyu_wechatpay::model::{TradeState, Transaction};
use uuid::Uuid;

use super::inbox::{self, PspPayment};
use super::notify::{parse_time, trade_state};
use super::{Outcome, Payment, PaymentError, PaymentStatus, Provider, order_link};
use crate::AppError;
use crate::app::App;
use crate::repo::payments::attempts;

impl App {
    /// QueryPayment: the PSP's word on the attempt, applied. Returns the payment after it and
    /// whether anything changed. Stored-value and NONE payments are returned as recorded.
    pub async fn query_payment(
        &self,
        ctx: &Ctx,
        payment_id: Uuid,
    ) -> Result<(Payment, bool), AppError> {
        let payment = self.visible_payment(ctx, payment_id).await?;
        if ctx.principal.kind == siyu_core::PrincipalKind::Consumer
            && let Some(limits) = &self.limits
        {
            // A page polling after wx.requestPayment must not turn into a stream of PSP calls.
            let once = siyu_store::RateLimit {
                rate: 1,
                per: std::time::Duration::from_secs(5),
                burst: 1,
            };
            let key = format!("query:{}:{payment_id}", ctx.tenant);
            let decision = limits
                .rate_limit(&key, once)
                .await
                .map_err(|e| AppError::Internal(format!("limits: {e}")))?;
            if !decision.allowed {
                return Err(PaymentError::QueryRateLimited.into());
            }
        }
        self.query_and_apply(ctx.tenant, payment).await
    }

    /// The same, for the service itself (prepay found the order paid, jobs).
    pub async fn query_payment_as_service(
        &self,
        tenant: TenantId,
        payment_id: Uuid,
    ) -> Result<(Payment, bool), AppError> {
        let payment = attempts::get(&self.db, tenant, payment_id, false)
            .await?
            .ok_or(PaymentError::PaymentNotFound)?;
        self.query_and_apply(tenant, payment).await
    }

    /// ClosePayment: closes an unpaid attempt at WeChat and locally (→ CLOSED with `reason`).
    /// A closed payment is returned unchanged; a paid one is applied and refused with
    /// PAYMENT_ALREADY_SUCCEEDED.
    pub async fn close_payment(
        &self,
        ctx: &Ctx,
        payment_id: Uuid,
        reason: &str,
    ) -> Result<Payment, AppError> {
        let payment = self.visible_payment(ctx, payment_id).await?;
        match payment.status {
            PaymentStatus::Closed | PaymentStatus::Failed => return Ok(payment),
            PaymentStatus::Succeeded => return Err(PaymentError::AlreadySucceeded.into()),
            PaymentStatus::Created | PaymentStatus::Pending => {}
        }
        let tenant = ctx.tenant;
        if payment.provider == Provider::WechatPay && !payment.prepay_id.is_empty() {
            let merchant = self.merchants.get(&self.db, tenant).await?;
            match merchant.client.close(&payment.out_trade_no).await {
                Ok(()) => {}
                Err(WechatPayError::Api(e)) if e.code == ApiCode::OrderNotExist => {}
                Err(WechatPayError::Api(e)) if e.code == ApiCode::OrderPaid => {}
                Err(e) => return Err(PaymentError::ProviderUnavailable(e.to_string()).into()),
            }
            // Closing is not proof of closure: the payer may have paid just before.
            let (after, _) = self.query_and_apply(tenant, payment.clone()).await?;
            if after.status == PaymentStatus::Succeeded {
                return Err(PaymentError::AlreadySucceeded.into());
            }
        }
        let recorded = match ctx.principal.kind {
            PrincipalKind::Staff => format!("STAFF: {reason}"),
            _ if reason.is_empty() => "CLOSED".to_owned(),
            _ => reason.to_owned(),
        };
        attempts::finish_unpaid(
            &self.db,
            tenant,
            payment.id,
            PaymentStatus::Closed,
            &recorded,
            "CLOSED",
            self.now_ms(),
        )
        .await?;
        attempts::get(&self.db, tenant, payment.id, false)
            .await?
            .ok_or_else(|| AppError::Internal("payment vanished".into()))
    }

    async fn query_and_apply(
        &self,
        tenant: TenantId,
        payment: Payment,
    ) -> Result<(Payment, bool), AppError> {
        if payment.provider != Provider::WechatPay || payment.out_trade_no.is_empty() {
            return Ok((payment, false));
        }
        let merchant = self.merchants.get(&self.db, tenant).await?;
        let t = match merchant
            .client
            .query_by_out_trade_no(&payment.out_trade_no)
            .await
        {
            Ok(t) => t,
            Err(WechatPayError::Api(e)) if e.code == ApiCode::OrderNotExist => {
                return Ok((payment, false));
            }
            Err(e) => return Err(PaymentError::ProviderUnavailable(e.to_string()).into()),
        };
        let now_ms = self.now_ms();
        let changed = match t.trade_state {
            TradeState::Success => {
                let p = psp_payment(&t)?;
                let txn = siyu_store::db::begin_write(&self.db).await?;
                let (outcome, _) = inbox::apply_payment(&txn, tenant, &p, now_ms).await?;
                txn.commit().await?;
                outcome == Outcome::Applied
            }
            TradeState::PayError if payment.status.is_open() => {
                attempts::finish_unpaid(
                    &self.db,
                    tenant,
                    payment.id,
                    PaymentStatus::Failed,
                    "PSP_PAYERROR",
                    "PAYERROR",
                    now_ms,
                )
                .await?
                    > 0
            }
            TradeState::Closed | TradeState::Revoked if payment.status.is_open() => {
                attempts::finish_unpaid(
                    &self.db,
                    tenant,
                    payment.id,
                    PaymentStatus::Closed,
                    "EXPIRED",
                    trade_state(t.trade_state),
                    now_ms,
                )
                .await?
                    > 0
            }
            state => {
                let state = trade_state(state);
                if state != payment.psp_trade_state {
                    attempts::set_trade_state(&self.db, tenant, payment.id, state, now_ms).await?;
                }
                false
            }
        };
        let after = attempts::get(&self.db, tenant, payment.id, false)
            .await?
            .ok_or_else(|| AppError::Internal("payment vanished".into()))?;
        Ok((after, changed))
    }

    /// The payment as `ctx` may see it (its order's visibility), else PAYMENT_NOT_FOUND.
    pub async fn visible_payment(&self, ctx: &Ctx, payment_id: Uuid) -> Result<Payment, AppError> {
        let payment = attempts::get(&self.db, ctx.tenant, payment_id, false)
            .await?
            .ok_or(PaymentError::PaymentNotFound)?;
        let order = order_link::order(&self.db, ctx.tenant, payment.order_id, false).await?;
        if order.is_some_and(|o| order_link::may_see(ctx, &o)) {
            Ok(payment)
        } else {
            Err(PaymentError::PaymentNotFound.into())
        }
    }
}

/// A query answer as the inbox reads it.
fn psp_payment(t: &Transaction) -> Result<PspPayment, AppError> {
    let transaction_id = t
        .transaction_id
        .clone()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| AppError::Internal("a paid transaction without transaction_id".into()))?;
    let amount = t.amount.clone().unwrap_or_default();
    Ok(PspPayment {
        event_type: "QUERY".into(),
        psp_notification_id: String::new(),
        transaction_id,
        mch_id: t.mchid.clone(),
        out_trade_no: t.out_trade_no.clone(),
        trade_state: trade_state(t.trade_state).to_owned(),
        amount_fen: amount.total,
        currency: amount.currency,
        bank_type: t.bank_type.clone().unwrap_or_default(),
        paid_at_ms: t.success_time.as_deref().and_then(parse_time),
    })
}
