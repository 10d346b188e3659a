//! Wire forms of payments: domain → prost, and the few request fields parsed here.

use prost_types::Timestamp;
use siyu_proto::common::v1::Money;
use siyu_proto::payments::v1 as pb;
use uuid::Uuid;

use crate::AppError;
use crate::app::payments::{LatePayment, Notification, Payment, WechatPayParams};

/// A required UUID field.
pub fn id(field: &str, value: &str) -> Result<Uuid, AppError> {
    if value.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    Uuid::parse_str(value).map_err(|_| AppError::invalid(field, "must be a UUID"))
}

/// An optional UUID field (empty = none).
pub fn opt_id(field: &str, value: &str) -> Result<Option<Uuid>, AppError> {
    if value.is_empty() {
        Ok(None)
    } else {
        id(field, value).map(Some)
    }
}

/// An optional timestamp in ms.
pub fn opt_time(field: &str, value: Option<&Timestamp>) -> Result<Option<i64>, AppError> {
    value
        .map(|t| {
            chrono::DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(u32::MAX))
                .map(|d| d.timestamp_millis())
                .ok_or_else(|| AppError::invalid(field, "not a valid timestamp"))
        })
        .transpose()
}

fn ts(ms: i64) -> Timestamp {
    Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

fn cny(fen: i64) -> Money {
    Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    }
}

impl From<&LatePayment> for pb::LatePayment {
    fn from(l: &LatePayment) -> Self {
        Self {
            detected_at: Some(ts(l.detected_at_ms)),
            resolution: l.resolution as i32,
            refund_id: l.refund_id.clone(),
            revive_failure_reason: l.revive_failure_reason.clone(),
            resolved_at: l.resolved_at_ms.map(ts),
        }
    }
}

impl From<&Payment> for pb::Payment {
    fn from(p: &Payment) -> Self {
        Self {
            payment_id: p.id.to_string(),
            order_id: p.order_id.to_string(),
            order_no: p.order_no.clone(),
            attempt_no: p.attempt_no,
            provider: p.provider as i32,
            status: p.status as i32,
            amount: Some(cny(p.amount_fen)),
            out_trade_no: p.out_trade_no.clone(),
            app_id: p.app_id.clone(),
            merchant_id: p.mch_id.clone(),
            prepay_id: p.prepay_id.clone(),
            psp_transaction_id: p.psp_transaction_id.clone(),
            psp_trade_state: p.psp_trade_state.clone(),
            bank_type: p.bank_type.clone(),
            hold_id: String::new(),
            paid_at: p.paid_at_ms.map(ts),
            expires_at: p.expires_at_ms.map(ts),
            closed_at: p.closed_at_ms.map(ts),
            close_reason: p.close_reason.clone(),
            refunded_amount: Some(cny(p.refunded_fen)),
            late_payment: p.late_payment.as_ref().map(Into::into),
            created_at: Some(ts(p.created_at_ms)),
            updated_at: Some(ts(p.updated_at_ms)),
        }
    }
}

impl From<&Notification> for pb::PaymentNotification {
    fn from(n: &Notification) -> Self {
        Self {
            notification_id: n.id.to_string(),
            psp_notification_id: n.psp_notification_id.clone(),
            provider: pb::PaymentProvider::WechatPayJsapi as i32,
            kind: n.kind as i32,
            event_type: n.event_type.clone(),
            psp_id: n.psp_key.clone(),
            out_trade_no: n.out_trade_no.clone(),
            out_refund_no: n.out_refund_no.clone(),
            payment_id: n.payment_id.map(|i| i.to_string()).unwrap_or_default(),
            refund_id: n.refund_id.map(|i| i.to_string()).unwrap_or_default(),
            psp_state: n.psp_state.clone(),
            amount: Some(cny(n.amount_fen)),
            outcome: n.outcome as i32,
            delivery_count: n.delivery_count,
            first_received_at: Some(ts(n.first_received_at_ms)),
            last_received_at: Some(ts(n.last_received_at_ms)),
        }
    }
}

impl From<&WechatPayParams> for pb::WechatPayParams {
    fn from(p: &WechatPayParams) -> Self {
        Self {
            app_id: p.app_id.clone(),
            time_stamp: p.time_stamp.clone(),
            nonce_str: p.nonce_str.clone(),
            package: p.package.clone(),
            sign_type: p.sign_type.clone(),
            pay_sign: p.pay_sign.clone(),
        }
    }
}
