//! Payments (`siyu.payments.v1`): WeChat Pay attempts of orders, the notification inbox that
//! every PSP answer goes through, and the merchants that collect the money.
//!
//! - [`merchant`]: a tenant's merchant (credentials from identity, cached), its notify route
//!   and its WeChat Pay client;
//! - [`prepay`]: a WeChat attempt's JSAPI prepay and the signed `wx.requestPayment` parameters;
//! - [`notify`]: verified callbacks → the inbox → payment success;
//! - [`inbox`]: the one path by which a PSP success is applied (notification or query);
//! - [`late`]: a success for an order no longer waiting for it, revived or refunded;
//! - [`order_link`]: what a payment reads of and changes on its order;
//! - [`records`]: reads (one payment, lists, the inbox) and the caller rules on them;
//! - [`status`]: asking WeChat (query) and closing an attempt.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod error;
pub mod inbox;
pub mod late;
pub mod merchant;
pub mod notify;
pub mod order_link;
pub mod prepay;
pub mod records;
pub mod status;

pub use error::PaymentError;

/// Who collects a payment's money (the `PaymentProvider` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// WeChat Pay JSAPI.
    WechatPay = 1,
    /// The member's stored value.
    StoredValue = 2,
    /// Nothing to collect.
    None = 3,
}

impl TryFrom<i16> for Provider {
    type Error = String;

    fn try_from(v: i16) -> Result<Self, String> {
        match v {
            1 => Ok(Self::WechatPay),
            2 => Ok(Self::StoredValue),
            3 => Ok(Self::None),
            other => Err(format!("payment provider {other}")),
        }
    }
}

/// Where a payment is (the `PaymentStatus` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// Recorded, no prepay yet.
    Created = 1,
    /// Waiting for the payer.
    Pending = 2,
    /// Money collected.
    Succeeded = 3,
    /// The PSP reported a failure.
    Failed = 4,
    /// Closed without money.
    Closed = 5,
}

impl PaymentStatus {
    /// Not final: the attempt may still be paid.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Created | Self::Pending)
    }
}

impl TryFrom<i16> for PaymentStatus {
    type Error = String;

    fn try_from(v: i16) -> Result<Self, String> {
        match v {
            1 => Ok(Self::Created),
            2 => Ok(Self::Pending),
            3 => Ok(Self::Succeeded),
            4 => Ok(Self::Failed),
            5 => Ok(Self::Closed),
            other => Err(format!("payment status {other}")),
        }
    }
}

/// How a late (or second) success is being resolved (the `LatePaymentResolution` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LateResolution {
    /// Not resolved yet.
    Pending = 1,
    /// The order was revived.
    Revived = 2,
    /// Refunded in full.
    Refunded = 3,
    /// A second payment of a paid order, refunded.
    DuplicateRefunded = 4,
}

/// The record of a success for an order that was cancelled (or already paid).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatePayment {
    /// When the late success was detected.
    pub detected_at_ms: i64,
    /// Where its resolution is.
    pub resolution: LateResolution,
    /// The automatic refund, once made.
    #[serde(default)]
    pub refund_id: String,
    /// Why revival was not possible.
    #[serde(default)]
    pub revive_failure_reason: String,
    /// When it was resolved.
    #[serde(default)]
    pub resolved_at_ms: Option<i64>,
}

/// One payment attempt of an order, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// The payment id.
    pub id: Uuid,
    /// The order.
    pub order_id: Uuid,
    /// The order number.
    pub order_no: String,
    /// Attempt number per order, from 1.
    pub attempt_no: i32,
    /// Who collects.
    pub provider: Provider,
    /// Where it is.
    pub status: PaymentStatus,
    /// Amount to collect, fen.
    pub amount_fen: i64,
    /// The merchant order number sent to the PSP.
    pub out_trade_no: String,
    /// The app of the prepay.
    pub app_id: String,
    /// The merchant id.
    pub mch_id: String,
    /// The payer's openid in `app_id`.
    pub payer_openid: String,
    /// The prepay id.
    pub prepay_id: String,
    /// When the prepay id stops being usable.
    pub prepay_expires_at_ms: Option<i64>,
    /// The PSP transaction id, once paid.
    pub psp_transaction_id: String,
    /// The PSP trade state last seen.
    pub psp_trade_state: String,
    /// The payer's bank type, once paid.
    pub bank_type: String,
    /// When the PSP received the money.
    pub paid_at_ms: Option<i64>,
    /// When the attempt stops being payable (the order's payment deadline).
    pub expires_at_ms: Option<i64>,
    /// When it was closed.
    pub closed_at_ms: Option<i64>,
    /// Why it was closed or failed.
    pub close_reason: String,
    /// Sum of succeeded refunds, fen.
    pub refunded_fen: i64,
    /// Set when it succeeded after its order was cancelled, or twice.
    pub late_payment: Option<LatePayment>,
    /// Created.
    pub created_at_ms: i64,
    /// Last change.
    pub updated_at_ms: i64,
}

/// The kind of an inbox record (the `NotificationKind` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// A payment.
    Payment = 1,
    /// A refund.
    Refund = 2,
}

impl TryFrom<i16> for NotificationKind {
    type Error = String;

    fn try_from(v: i16) -> Result<Self, String> {
        match v {
            1 => Ok(Self::Payment),
            2 => Ok(Self::Refund),
            other => Err(format!("notification kind {other}")),
        }
    }
}

/// What a verified notification or query result did (the `NotificationOutcome` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Applied.
    Applied = 1,
    /// Seen before: no effect.
    Duplicate = 2,
    /// Nothing to do.
    Ignored = 3,
    /// Amount or currency differ from the payment: nothing applied.
    AmountMismatch = 4,
    /// No local payment with that out_trade_no.
    UnknownReference = 5,
}

impl TryFrom<i16> for Outcome {
    type Error = String;

    fn try_from(v: i16) -> Result<Self, String> {
        match v {
            1 => Ok(Self::Applied),
            2 => Ok(Self::Duplicate),
            3 => Ok(Self::Ignored),
            4 => Ok(Self::AmountMismatch),
            5 => Ok(Self::UnknownReference),
            other => Err(format!("notification outcome {other}")),
        }
    }
}

/// One inbox record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The record id.
    pub id: Uuid,
    /// The PSP's notification id (empty for a query result).
    pub psp_notification_id: String,
    /// Payment or refund.
    pub kind: NotificationKind,
    /// The PSP event type, or `QUERY`.
    pub event_type: String,
    /// The inbox key: the PSP transaction id (payments).
    pub psp_key: String,
    /// The resource's out_trade_no.
    pub out_trade_no: String,
    /// The resource's out_refund_no.
    pub out_refund_no: String,
    /// The local payment, when found.
    pub payment_id: Option<Uuid>,
    /// The local refund, when found.
    pub refund_id: Option<Uuid>,
    /// The state the PSP reported.
    pub psp_state: String,
    /// The amount the PSP reported, fen.
    pub amount_fen: i64,
    /// What the first delivery did.
    pub outcome: Outcome,
    /// Deliveries of this key.
    pub delivery_count: i32,
    /// First delivery.
    pub first_received_at_ms: i64,
    /// Last delivery.
    pub last_received_at_ms: i64,
}

/// The signed parameters of `wx.requestPayment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatPayParams {
    /// appId.
    pub app_id: String,
    /// timeStamp, seconds.
    pub time_stamp: String,
    /// nonceStr.
    pub nonce_str: String,
    /// package: `prepay_id=…`.
    pub package: String,
    /// signType: `RSA`.
    pub sign_type: String,
    /// paySign.
    pub pay_sign: String,
}

impl From<siyu_wechatpay::sign::RequestPayment> for WechatPayParams {
    fn from(p: siyu_wechatpay::sign::RequestPayment) -> Self {
        Self {
            app_id: p.app_id,
            time_stamp: p.time_stamp,
            nonce_str: p.nonce_str,
            package: p.package,
            sign_type: p.sign_type,
            pay_sign: p.pay_sign,
        }
    }
}
