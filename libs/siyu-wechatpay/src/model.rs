//! Request and answer bodies, with WeChat Pay's field names. Amounts are fen (`i64`).

use serde::{Deserialize, Serialize};

use crate::error::WechatPayError;

/// `POST /v3/pay/transactions/jsapi` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsapiPrepayRequest {
    /// The mini-program AppID bound to the merchant.
    pub appid: String,
    /// The merchant id; must equal the one in `Authorization`.
    pub mchid: String,
    /// Shown in the user's bill (≤ 127 bytes).
    pub description: String,
    /// 6–32 chars of `[0-9A-Za-z_-|*]`, unique per merchant.
    pub out_trade_no: String,
    /// RFC3339 with an offset, e.g. `2026-12-07T20:00:00+08:00`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_expire: Option<String>,
    /// Echoed in the query and the callback once paid.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub attach: Option<String>,
    /// HTTPS callback URL without a query string.
    pub notify_url: String,
    /// Coupon tag.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub goods_tag: Option<String>,
    /// The amount.
    pub amount: Amount,
    /// The paying user.
    pub payer: Payer,
}

/// An order amount: fen and currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    /// Fen, ≥ 1.
    pub total: i64,
    /// `CNY`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub currency: Option<String>,
}

impl Amount {
    /// `total` fen in CNY.
    pub fn cny(total: i64) -> Self {
        Self {
            total,
            currency: Some("CNY".into()),
        }
    }
}

/// The paying user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    /// The openid under the same appid.
    pub openid: String,
}

/// The prepay answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepayResponse {
    /// Valid for 2 hours; call prepay again with identical parameters to refresh it.
    pub prepay_id: String,
}

/// `trade_state`; unknown values are tolerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TradeState {
    /// Paid.
    Success,
    /// A refund was initiated.
    Refund,
    /// Not paid (also after a failed attempt).
    NotPay,
    /// Closed.
    Closed,
    /// Reversed (micropay).
    Revoked,
    /// Paying (micropay).
    UserPaying,
    /// Failed (micropay).
    PayError,
    /// Accepted (seen in the Java SDK).
    Accept,
    /// A value this crate does not know.
    #[serde(other)]
    Unknown,
}

/// The amount block of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TransactionAmount {
    /// Order total, fen.
    #[serde(default)]
    pub total: i64,
    /// What the user paid after discounts, fen.
    #[serde(default)]
    pub payer_total: Option<i64>,
    /// `CNY`.
    #[serde(default)]
    pub currency: Option<String>,
    /// The user's currency.
    #[serde(default)]
    pub payer_currency: Option<String>,
}

/// A transaction, from a query or a decrypted `TRANSACTION.SUCCESS` callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// AppID.
    pub appid: String,
    /// Merchant id.
    pub mchid: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// WeChat's order number, only once paid.
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// `JSAPI`, …
    #[serde(default)]
    pub trade_type: Option<String>,
    /// The state.
    pub trade_state: TradeState,
    /// A description of the state.
    #[serde(default)]
    pub trade_state_desc: Option<String>,
    /// Paying bank, once paid.
    #[serde(default)]
    pub bank_type: Option<String>,
    /// The merchant's attach, once paid.
    #[serde(default)]
    pub attach: Option<String>,
    /// RFC3339 payment time, once paid.
    #[serde(default)]
    pub success_time: Option<String>,
    /// The payer, once paid.
    #[serde(default)]
    pub payer: Option<Payer>,
    /// Amounts.
    #[serde(default)]
    pub amount: Option<TransactionAmount>,
}

impl Transaction {
    /// Checks a (verified) transaction against the local order: merchant, app, order
    /// number and total. A verified but foreign or altered notification is still wrong.
    pub fn ensure_matches(
        &self,
        mchid: &str,
        appid: &str,
        out_trade_no: &str,
        total: i64,
    ) -> Result<(), WechatPayError> {
        check("mchid", mchid, &self.mchid)?;
        check("appid", appid, &self.appid)?;
        check("out_trade_no", out_trade_no, &self.out_trade_no)?;
        let actual = self.amount.as_ref().map_or(0, |a| a.total);
        if actual != total {
            return Err(WechatPayError::Mismatch {
                field: "amount.total",
                expected: total.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(())
    }
}

fn check(field: &'static str, expected: &str, actual: &str) -> Result<(), WechatPayError> {
    if expected == actual {
        Ok(())
    } else {
        Err(WechatPayError::Mismatch {
            field,
            expected: expected.into(),
            actual: actual.into(),
        })
    }
}

/// `POST /v3/refund/domestic/refunds` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// WeChat's order number (recommended) …
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub transaction_id: Option<String>,
    /// … or the merchant's; exactly one of the two.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub out_trade_no: Option<String>,
    /// The idempotency key of the refund: retry with the same one.
    pub out_refund_no: String,
    /// Shown to the user.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// Callback URL for the refund result.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub notify_url: Option<String>,
    /// Amounts.
    pub amount: RefundAmountRequest,
}

/// The amount block of a refund request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAmountRequest {
    /// Fen to refund.
    pub refund: i64,
    /// The original order total, fen.
    pub total: i64,
    /// `CNY`.
    pub currency: String,
}

/// `status` of a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RefundStatus {
    /// Accepted, in progress.
    Processing,
    /// Refunded.
    Success,
    /// Closed; a new out_refund_no is needed to refund again.
    Closed,
    /// Failed (e.g. the card was cancelled); handle by hand.
    Abnormal,
    /// A value this crate does not know.
    #[serde(other)]
    Unknown,
}

/// The amount block of a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RefundAmount {
    /// Order total, fen.
    #[serde(default)]
    pub total: i64,
    /// Refunded, fen.
    #[serde(default)]
    pub refund: i64,
    /// What the user paid, fen.
    #[serde(default)]
    pub payer_total: Option<i64>,
    /// What goes back to the user, fen.
    #[serde(default)]
    pub payer_refund: Option<i64>,
    /// `CNY`.
    #[serde(default)]
    pub currency: Option<String>,
}

/// A refund, from the refund API, its query, or a decrypted `REFUND.*` callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// WeChat's refund number.
    pub refund_id: String,
    /// The merchant's refund number.
    pub out_refund_no: String,
    /// WeChat's order number.
    pub transaction_id: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// Status; in callbacks the field is `refund_status`.
    #[serde(alias = "refund_status")]
    pub status: RefundStatus,
    /// `ORIGINAL`, `BALANCE`, …
    #[serde(default)]
    pub channel: Option<String>,
    /// Where the money went, e.g. `支付用户零钱`.
    #[serde(default)]
    pub user_received_account: Option<String>,
    /// Only when SUCCESS.
    #[serde(default)]
    pub success_time: Option<String>,
    /// When it was accepted.
    #[serde(default)]
    pub create_time: Option<String>,
    /// Merchant id (callbacks only).
    #[serde(default)]
    pub mchid: Option<String>,
    /// Amounts.
    pub amount: RefundAmount,
}

/// `bill_type` of the trade bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillType {
    /// Payments and refunds.
    All,
    /// Payments only.
    Success,
    /// Refunds only.
    Refund,
}

impl BillType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "ALL",
            Self::Success => "SUCCESS",
            Self::Refund => "REFUND",
        }
    }
}

/// The answer of `GET /v3/bill/tradebill`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeBillResponse {
    /// `SHA1`.
    pub hash_type: String,
    /// Lower-case hex SHA1 of the file.
    pub hash_value: String,
    /// Where to download it (valid 5 minutes, signed request, unsigned answer).
    pub download_url: String,
}
