//! A WeChat attempt's JSAPI prepay and the signed `wx.requestPayment` parameters.
//!
//! One open WeChat attempt per order: [`App::prepay`] reuses it (re-signing a live prepay id,
//! or prepaying again with identical parameters once the 2-hour prepay id expired) or records
//! attempt N+1 (`out_trade_no` = the order number for attempt 1, `<order_no>_<N>` after).

use chrono::{DateTime, Duration};
use siyu_core::{Ctx, TenantId};
use siyu_wechatpay::WechatPayError;
use siyu_wechatpay::error::ApiCode;
use siyu_wechatpay::model::{Amount, JsapiPrepayRequest, Payer};
use uuid::Uuid;

use super::{Payment, PaymentError, PaymentStatus, Provider, WechatPayParams, order_link};
use crate::AppError;
use crate::app::App;
use crate::repo::payments::attempts;

/// How long WeChat keeps a prepay id usable.
pub const PREPAY_TTL_MS: i64 = 2 * 3600 * 1000;
/// A prepay id this close to expiry is renewed rather than handed out.
const PREPAY_MARGIN_MS: i64 = 60 * 1000;

/// What a WeChat attempt is prepaid for: the order as checkout created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepayOrder {
    /// The order id.
    pub order_id: Uuid,
    /// The order number (attempt 1's out_trade_no).
    pub order_no: String,
    /// The buyer (whose openid pays).
    pub user_id: Uuid,
    /// Cash to collect, fen (> 0).
    pub amount_fen: i64,
    /// The order's payment deadline (ms): the prepay's `time_expire`.
    pub deadline_ms: i64,
    /// What the payer sees (≤ 127 bytes).
    pub description: String,
    /// The app the payer pays in; `None`: the merchant's bound app.
    pub app_id: Option<String>,
}

/// An open WeChat attempt and its signed parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepaid {
    /// The attempt (PENDING, with its prepay id).
    pub payment: Payment,
    /// The parameters for `wx.requestPayment`.
    pub params: WechatPayParams,
}

impl App {
    /// The open WeChat attempt of `order` with freshly signed `wx.requestPayment` parameters:
    /// reused when there is one, else recorded; prepaid at WeChat unless its prepay id is
    /// still live. Runs its own short transactions (no PSP call holds one open).
    ///
    /// # Errors
    /// `PAY_CONFIG_MISSING`, `PAYER_OPENID_UNKNOWN`, `PAYMENT_ALREADY_SUCCEEDED` (WeChat says
    /// the out_trade_no was paid), `PAYMENT_PROVIDER_UNAVAILABLE`, identity's refusals.
    pub async fn prepay(&self, tenant: TenantId, order: &PrepayOrder) -> Result<Prepaid, AppError> {
        let merchant = self.merchants.get(&self.db, tenant).await?;
        let app_id = order
            .app_id
            .clone()
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| merchant.app_id.clone());
        let attempt = self.open_attempt(tenant, order).await?;
        let now_ms = self.now_ms();
        let live = !attempt.prepay_id.is_empty()
            && attempt.app_id == app_id
            && attempt
                .prepay_expires_at_ms
                .is_some_and(|at| at - PREPAY_MARGIN_MS > now_ms);
        if live {
            let params = merchant
                .client
                .request_payment(&app_id, &attempt.prepay_id)
                .into();
            return Ok(Prepaid {
                payment: attempt,
                params,
            });
        }
        let openid = self
            .merchants
            .directory()
            .openid(tenant, order.user_id, &app_id)
            .await?
            .filter(|o| !o.is_empty())
            .ok_or(PaymentError::PayerOpenidUnknown)?;
        let request = JsapiPrepayRequest {
            appid: app_id.clone(),
            mchid: merchant.mch_id.clone(),
            description: order.description.clone(),
            out_trade_no: attempt.out_trade_no.clone(),
            time_expire: Some(beijing(order.deadline_ms)),
            attach: None,
            notify_url: merchant.notify_url.clone(),
            goods_tag: None,
            amount: Amount::cny(attempt.amount_fen),
            payer: Payer {
                openid: openid.clone(),
            },
        };
        let prepay_id = match merchant.client.jsapi_prepay(&request).await {
            Ok(answer) => answer.prepay_id,
            Err(WechatPayError::Api(e)) if e.code == ApiCode::OrderPaid => {
                self.query_payment_as_service(tenant, attempt.id).await?;
                return Err(PaymentError::AlreadySucceeded.into());
            }
            Err(e) => return Err(PaymentError::ProviderUnavailable(e.to_string()).into()),
        };
        let now_ms = self.now_ms();
        let expires = now_ms + PREPAY_TTL_MS;
        attempts::set_prepay(
            &self.db,
            tenant,
            attempt.id,
            &app_id,
            &merchant.mch_id,
            &openid,
            &prepay_id,
            expires,
            now_ms,
        )
        .await?;
        let payment = attempts::get(&self.db, tenant, attempt.id, false)
            .await?
            .ok_or_else(|| AppError::Internal("payment vanished".into()))?;
        let params = merchant.client.request_payment(&app_id, &prepay_id).into();
        Ok(Prepaid { payment, params })
    }

    /// CreatePayment: the consumer's own PENDING_PAYMENT order, before its deadline, with
    /// something to pay, gets its open WeChat attempt and signed parameters.
    pub async fn create_payment(
        &self,
        ctx: &Ctx,
        order_id: Uuid,
        app_id: Option<String>,
    ) -> Result<Prepaid, AppError> {
        let order = order_link::visible_order(&self.db, ctx, order_id).await?;
        if order.status != order_link::PENDING_PAYMENT {
            return Err(PaymentError::OrderNotPendingPayment(order.status).into());
        }
        let deadline_ms = order.payment_deadline_ms.unwrap_or(i64::MAX);
        if deadline_ms <= self.now_ms() {
            return Err(PaymentError::DeadlinePassed.into());
        }
        if order.payable_fen <= 0 {
            return Err(PaymentError::NothingToPay.into());
        }
        let app_id = match app_id {
            Some(a) => Some(a),
            None => attempts::of_order(&self.db, ctx.tenant, order_id)
                .await?
                .into_iter()
                .find(|p| p.provider == Provider::WechatPay && !p.app_id.is_empty())
                .map(|p| p.app_id),
        };
        let input = PrepayOrder {
            order_id,
            order_no: order.order_no.clone(),
            user_id: order.user_id,
            amount_fen: order.payable_fen,
            deadline_ms,
            description: format!("订单 {}", order.order_no),
            app_id,
        };
        self.prepay(ctx.tenant, &input).await
    }

    /// The order's open WeChat attempt, or a new CREATED one.
    async fn open_attempt(
        &self,
        tenant: TenantId,
        order: &PrepayOrder,
    ) -> Result<Payment, AppError> {
        for _ in 0..3 {
            let attempts = attempts::of_order(&self.db, tenant, order.order_id).await?;
            if let Some(open) = attempts
                .iter()
                .find(|p| p.provider == Provider::WechatPay && p.status.is_open())
            {
                return Ok(open.clone());
            }
            let attempt_no = attempts.iter().map(|p| p.attempt_no).max().unwrap_or(0) + 1;
            let now_ms = self.now_ms();
            let payment = Payment {
                id: siyu_core::id::new(),
                order_id: order.order_id,
                order_no: order.order_no.clone(),
                attempt_no,
                provider: Provider::WechatPay,
                status: PaymentStatus::Created,
                amount_fen: order.amount_fen,
                out_trade_no: if attempt_no == 1 {
                    order.order_no.clone()
                } else {
                    format!("{}_{attempt_no}", order.order_no)
                },
                app_id: String::new(),
                mch_id: String::new(),
                payer_openid: String::new(),
                prepay_id: String::new(),
                prepay_expires_at_ms: None,
                psp_transaction_id: String::new(),
                psp_trade_state: String::new(),
                bank_type: String::new(),
                paid_at_ms: None,
                expires_at_ms: Some(order.deadline_ms),
                closed_at_ms: None,
                close_reason: String::new(),
                refunded_fen: 0,
                late_payment: None,
                created_at_ms: now_ms,
                updated_at_ms: now_ms,
            };
            match attempts::insert(&self.db, tenant, &payment).await {
                Ok(()) => return Ok(payment),
                // A concurrent request recorded this attempt number first: take it.
                Err(AppError::Store(siyu_store::StoreError::Db(e)))
                    if matches!(
                        e.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        Err(AppError::Internal("no attempt could be recorded".into()))
    }
}

/// `ms` as WeChat's `time_expire`: RFC 3339 in Beijing time, whole seconds.
pub fn beijing(ms: i64) -> String {
    let local = DateTime::from_timestamp_millis(ms).unwrap_or_default() + Duration::hours(8);
    format!("{}+08:00", local.format("%Y-%m-%dT%H:%M:%S"))
}
