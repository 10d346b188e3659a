//! WeChat Pay v3 wire conventions: real HTTP statuses, `{"code","message","detail"}` error
//! bodies, `Request-ID`, `Wechatpay-*` signature headers on every 2xx answer.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Offset as _, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::keys::SigningChoice;

/// The signature type every answer and callback declares.
pub(crate) const SIGNATURE_TYPE: &str = "WECHATPAY2-SHA256-RSA2048";
/// Prefix of a deliberately wrong probe signature.
pub(crate) const PROBE_PREFIX: &str = "WECHATPAY/SIGNTEST/";

/// A WeChat Pay error answer.
#[derive(Debug, Clone)]
pub(crate) struct PayError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) detail: Option<Value>,
}

impl PayError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            detail: None,
        }
    }

    /// 400 PARAM_ERROR naming the field, the way WeChat Pay words it.
    pub(crate) fn param(field: &str, message: impl Into<String>) -> Self {
        let mut error = Self::new(StatusCode::BAD_REQUEST, "PARAM_ERROR", message);
        error.detail = Some(json!({ "location": "body", "field": field }));
        error
    }

    /// 400 PARAM_ERROR for a missing required field.
    pub(crate) fn required(field: &str) -> Self {
        Self::param(
            field,
            format!("输入源“/body/{field}”映射到字段“{field}”必填性规则校验失败，此字段为必填项"),
        )
    }

    /// 401 SIGN_ERROR.
    pub(crate) fn sign(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "SIGN_ERROR", message)
    }

    /// 404 ORDER_NOT_EXIST.
    pub(crate) fn order_not_exist() -> Self {
        Self::new(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在")
    }

    pub(crate) fn body(&self) -> Value {
        let mut body = json!({ "code": self.code, "message": self.message });
        if let Some(detail) = &self.detail {
            body["detail"] = detail.clone();
        }
        body
    }
}

impl IntoResponse for PayError {
    fn into_response(self) -> Response {
        // Error answers are not signed: the SDKs turn non-2xx into errors before verifying.
        let mut response = (self.status, self.body().to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}

/// What signs one 2xx answer.
#[derive(Debug, Clone)]
pub(crate) struct AnswerSigning {
    pub(crate) choice: SigningChoice,
    pub(crate) timestamp: i64,
    pub(crate) nonce: String,
    pub(crate) request_id: String,
    /// Send a `WECHATPAY/SIGNTEST/` signature instead (a signature probe).
    pub(crate) probe: bool,
}

/// The `Wechatpay-*` headers over `body`.
pub(crate) fn signature_headers(signing: &AnswerSigning, body: &[u8]) -> HeaderMap {
    let mut message = format!("{}\n{}\n", signing.timestamp, signing.nonce).into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    let signature = signing.choice.signer.sign(&message);
    let signature = if signing.probe {
        format!("{PROBE_PREFIX}{signature}")
    } else {
        signature
    };
    let mut headers = HeaderMap::new();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    put("Wechatpay-Timestamp", &signing.timestamp.to_string());
    put("Wechatpay-Nonce", &signing.nonce);
    put("Wechatpay-Signature", &signature);
    put("Wechatpay-Serial", &signing.choice.serial);
    put("Wechatpay-Signature-Type", SIGNATURE_TYPE);
    put("Request-ID", &signing.request_id);
    headers
}

/// A signed 2xx answer; `None` for a 204 without body.
pub(crate) fn signed(signing: &AnswerSigning, status: StatusCode, body: Option<Value>) -> Response {
    let text = body.map(|b| b.to_string()).unwrap_or_default();
    let headers = signature_headers(signing, text.as_bytes());
    let mut response = (status, headers, text).into_response();
    if status != StatusCode::NO_CONTENT {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    response
}

/// RFC3339 in Beijing time with whole seconds, the shape WeChat Pay writes.
pub(crate) fn beijing(at: DateTime<Utc>) -> String {
    at.with_timezone(&china())
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// UTC+8.
pub(crate) fn china() -> FixedOffset {
    // 8 hours is always a valid offset; the fallback is never taken.
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}
