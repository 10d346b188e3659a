//! Step 11 of checkout: start the order's payment. Something to pay through the PSP → a WeChat
//! Pay prepay and the signed `wx.requestPayment` parameters (the PSP failing keeps the order:
//! the client retries the payment, the unpaid timeout releases it if never paid). Nothing to
//! pay → no PSP: the stored value (if used) is captured and the order is paid by it, or a NONE
//! payment pays it at once.

use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::App;
use crate::app::orders::model::Order;
use crate::app::orders::paid::{PaidBy, mark_paid};
use crate::app::orders::status::OrderStatus;
use crate::app::payments::prepay::{Prepaid, PrepayOrder};
use crate::app::payments::{Payment, PaymentError, PaymentStatus, Provider};
use crate::repo::payments::attempts;

/// What the client does after checkout.
#[derive(Debug, Clone)]
pub enum NextAction {
    /// Call `wx.requestPayment` with these parameters.
    RequestPayment(Box<Prepaid>),
    /// Nothing to pay through the PSP: the order is (being) paid.
    Nothing,
    /// The PSP could not be reached: create the payment again later.
    RetryPayment,
}

impl App {
    /// Starts `order`'s payment (see the module docs). `stored_value_fen` is what its stored
    /// value covers; `app_id` the mini-program the payer pays in (empty: the default).
    pub async fn start_payment(
        &self,
        tenant: TenantId,
        order: &Order,
        stored_value_fen: i64,
        app_id: &str,
        description: &str,
    ) -> Result<NextAction, AppError> {
        if order.status != OrderStatus::PendingPayment {
            return Ok(NextAction::Nothing);
        }
        if order.payable_fen == 0 {
            let provider = if stored_value_fen > 0 {
                // The stored-value payment succeeds on capture, never on hold.
                self.capture_stored_value(tenant, order.id).await?;
                Provider::StoredValue
            } else {
                Provider::None
            };
            self.pay_without_psp(tenant, order, provider, stored_value_fen)
                .await?;
            return Ok(NextAction::Nothing);
        }
        let prepay = PrepayOrder {
            order_id: order.id,
            order_no: order.order_no.clone(),
            user_id: order.user_id,
            amount_fen: order.payable_fen,
            deadline_ms: order.payment_deadline_ms.unwrap_or(order.created_at_ms),
            description: description.chars().take(40).collect(),
            app_id: (!app_id.is_empty()).then(|| app_id.to_owned()),
        };
        match self.prepay(tenant, &prepay).await {
            Ok(prepaid) => Ok(NextAction::RequestPayment(Box::new(prepaid))),
            // Configuration the client cannot fix by retrying is the answer itself.
            Err(AppError::Payment(
                e @ (PaymentError::PayerOpenidUnknown | PaymentError::PayConfigMissing(_)),
            )) => Err(AppError::Payment(e)),
            Err(e) => {
                tracing::warn!(error = %e, order = %order.id, "prepay failed; the client retries");
                Ok(NextAction::RetryPayment)
            }
        }
    }

    /// Records a payment of `provider` that succeeded without the PSP and marks the order paid.
    async fn pay_without_psp(
        &self,
        tenant: TenantId,
        order: &Order,
        provider: Provider,
        amount_fen: i64,
    ) -> Result<Uuid, AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let now = self.now_ms();
        let payment = Payment {
            id: siyu_core::id::new(),
            order_id: order.id,
            order_no: order.order_no.clone(),
            attempt_no: attempts::next_attempt_no(&txn, tenant, order.id).await?,
            provider,
            status: PaymentStatus::Succeeded,
            amount_fen,
            out_trade_no: String::new(),
            app_id: String::new(),
            mch_id: String::new(),
            payer_openid: String::new(),
            prepay_id: String::new(),
            prepay_expires_at_ms: None,
            psp_transaction_id: String::new(),
            psp_trade_state: String::new(),
            bank_type: String::new(),
            paid_at_ms: Some(now),
            expires_at_ms: None,
            closed_at_ms: None,
            close_reason: String::new(),
            refunded_fen: 0,
            late_payment: None,
            created_at_ms: now,
            updated_at_ms: now,
        };
        attempts::insert(&txn, tenant, &payment).await?;
        let by = PaidBy {
            payment_id: payment.id,
            provider: match provider {
                Provider::StoredValue => siyu_proto::events::v1::OrderPaymentProvider::StoredValue,
                _ => siyu_proto::events::v1::OrderPaymentProvider::None,
            } as i32,
            transaction_id: String::new(),
            paid_fen: 0,
            paid_at_ms: now,
        };
        mark_paid(&txn, tenant, order.id, &by, now).await?;
        txn.commit().await?;
        Ok(payment.id)
    }
}
