//! The crate's errors: WeChat Pay's own error answers, signature failures, transport.

/// An error answer of WeChat Pay: the HTTP status and the body's `code` and `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status (400, 401, 403, 404, 429, 500 …).
    pub status: u16,
    /// The error code, e.g. `ORDER_NOT_EXIST`.
    pub code: ApiCode,
    /// The human-readable message WeChat Pay sent.
    pub message: String,
    /// The optional `detail` object (for PARAM_ERROR it names the field).
    pub detail: Option<serde_json::Value>,
}

/// The error codes a caller acts on; anything else is kept verbatim in [`ApiCode::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiCode {
    /// 400: a field is malformed or missing.
    ParamError,
    /// 400: the request is well formed but breaks a business rule.
    InvalidRequest,
    /// 401: the request signature (or its timestamp, or the serial) was refused.
    SignError,
    /// 403: the caller may not do this.
    NoAuth,
    /// 404: no such order.
    OrderNotExist,
    /// 404: no such resource (refund on an unpaid or unknown order).
    ResourceNotExists,
    /// The order is already paid (`ORDERPAID` or `ORDER_PAID`: both spellings are seen).
    OrderPaid,
    /// 400: the order is closed.
    OrderClosed,
    /// 403: the out_trade_no was used with other parameters.
    OutTradeNoUsed,
    /// 403: the merchant balance cannot cover the refund.
    NotEnough,
    /// 429: rate limited; for refunds the acceptance state is unknown, so query first.
    FrequencyLimited,
    /// 500: transient; retry with identical parameters.
    SystemError,
    /// 400: the bill is still being generated.
    StatementCreating,
    /// 400: no bill for that day.
    NoStatementExist,
    /// Any other code, verbatim.
    Other(String),
}

impl ApiCode {
    /// Reads a wire code.
    pub fn parse(code: &str) -> Self {
        match code {
            "PARAM_ERROR" => Self::ParamError,
            "INVALID_REQUEST" => Self::InvalidRequest,
            "SIGN_ERROR" => Self::SignError,
            "NO_AUTH" => Self::NoAuth,
            "ORDER_NOT_EXIST" => Self::OrderNotExist,
            "RESOURCE_NOT_EXISTS" => Self::ResourceNotExists,
            "ORDERPAID" | "ORDER_PAID" => Self::OrderPaid,
            "ORDER_CLOSED" => Self::OrderClosed,
            "OUT_TRADE_NO_USED" => Self::OutTradeNoUsed,
            "NOT_ENOUGH" => Self::NotEnough,
            "FREQUENCY_LIMITED" | "RATELIMIT_EXCEEDED" => Self::FrequencyLimited,
            "SYSTEM_ERROR" | "BANK_ERROR" | "SERVICE_UNAVAILABLE" => Self::SystemError,
            "STATEMENT_CREATING" => Self::StatementCreating,
            "NO_STATEMENT_EXIST" => Self::NoStatementExist,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl ApiError {
    /// Whether the same request may be sent again unchanged (5xx, rate limits).
    pub fn is_retryable(&self) -> bool {
        self.status >= 500 || matches!(self.code, ApiCode::SystemError | ApiCode::FrequencyLimited)
    }
}

/// Why a response or callback signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A `Wechatpay-*` header is missing or not text.
    #[error("missing or unreadable header {0}")]
    MissingHeader(&'static str),
    /// The timestamp is not a number.
    #[error("malformed Wechatpay-Timestamp")]
    MalformedTimestamp,
    /// The timestamp is 5 minutes or more away from now.
    #[error("Wechatpay-Timestamp is outside the 5-minute window")]
    Expired,
    /// `Wechatpay-Serial` names no key we hold.
    #[error("no platform certificate or public key with serial {0}")]
    UnknownSerial(String),
    /// A signature probe (`WECHATPAY/SIGNTEST/…`): verified as usual, it always fails.
    #[error("signature probe refused")]
    Probe,
    /// An unsupported `Wechatpay-Signature-Type`.
    #[error("unsupported signature type {0}")]
    UnsupportedType(String),
    /// The signature is not Base64 or does not match the message.
    #[error("signature does not verify")]
    Mismatch,
}

/// Everything the client and the pure functions can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WechatPayError {
    /// WeChat Pay answered with an error body.
    #[error("WeChat Pay refused the call: {} {:?} {}", .0.status, .0.code, .0.message)]
    Api(ApiError),
    /// A response or callback signature did not verify.
    #[error("signature verification failed")]
    Signature(#[from] SignatureError),
    /// AES-GCM decryption failed: almost always a wrong APIv3 key or a tampered resource.
    #[error("cannot decrypt the resource (wrong APIv3 key or tampered data)")]
    Decrypt,
    /// A key, certificate or configuration value cannot be used.
    #[error("invalid key or configuration: {0}")]
    Config(String),
    /// The HTTP exchange failed (connect, timeout, read).
    #[error("HTTP transport failed")]
    Http(#[from] reqwest::Error),
    /// A body was not the JSON or text expected.
    #[error("malformed body: {0}")]
    Malformed(String),
    /// A downloaded bill's SHA1 does not match `hash_value`.
    #[error("bill hash mismatch")]
    BillHashMismatch,
    /// A validly signed notification or answer disagrees with the local order.
    #[error("{field} mismatch: expected {expected}, got {actual}")]
    Mismatch {
        /// Which field (`amount.total`, `mchid`, `appid`, `out_trade_no`).
        field: &'static str,
        /// What the local order says.
        expected: String,
        /// What WeChat Pay said.
        actual: String,
    },
}

impl WechatPayError {
    /// The API error, if WeChat Pay answered with one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(error) => Some(error),
            _ => None,
        }
    }
}
