//! WeChat's wire conventions shared by every emulated API: the `errcode` table, the `rid`
//! suffix on messages, HTTP 200 for errors, and the content type WeChat sends.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// The content type WeChat's `api.weixin.qq.com` answers JSON with (note `encoding`, not
/// `charset`); connectors must not depend on it, so we mimic it rather than "fix" it.
pub const WECHAT_CONTENT_TYPE: &str = "application/json; encoding=utf-8";

/// The WeChat error codes the sandbox emits, with WeChat's own messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WxCode {
    /// 40001: the access token is unknown or was superseded.
    InvalidCredential,
    /// 40002: `grant_type` is not the one this API takes.
    InvalidGrantType,
    /// 40013: no app with this appid.
    InvalidAppid,
    /// 40029: the code is unknown, expired or belongs to another app.
    InvalidCode,
    /// 40125: the secret does not match the appid.
    InvalidAppsecret,
    /// 40163: the code was already exchanged once.
    CodeBeenUsed,
    /// 41001: no `access_token` query parameter.
    AccessTokenMissing,
    /// 41002: no `appid` parameter.
    AppidMissing,
    /// 41004: no `secret` parameter.
    AppsecretMissing,
    /// 41008: no `js_code` parameter.
    CodeMissing,
    /// 42001: the access token's lifetime is over.
    AccessTokenExpired,
    /// 47001: the POST body is not the JSON the API expects.
    DataFormatError,
}

impl WxCode {
    /// The numeric `errcode`.
    pub fn errcode(self) -> i64 {
        match self {
            Self::InvalidCredential => 40001,
            Self::InvalidGrantType => 40002,
            Self::InvalidAppid => 40013,
            Self::InvalidCode => 40029,
            Self::InvalidAppsecret => 40125,
            Self::CodeBeenUsed => 40163,
            Self::AccessTokenMissing => 41001,
            Self::AppidMissing => 41002,
            Self::AppsecretMissing => 41004,
            Self::CodeMissing => 41008,
            Self::AccessTokenExpired => 42001,
            Self::DataFormatError => 47001,
        }
    }

    /// WeChat's `errmsg` text, before the `, rid: …` suffix.
    pub fn errmsg(self) -> &'static str {
        match self {
            Self::InvalidCredential => "invalid credential, access_token is invalid or not latest",
            Self::InvalidGrantType => "invalid grant_type",
            Self::InvalidAppid => "invalid appid",
            Self::InvalidCode => "invalid code",
            Self::InvalidAppsecret => "invalid appsecret",
            Self::CodeBeenUsed => "code been used",
            Self::AccessTokenMissing => "access_token missing",
            Self::AppidMissing => "appid missing",
            Self::AppsecretMissing => "appsecret missing",
            Self::CodeMissing => "missing code",
            Self::AccessTokenExpired => "access_token expired",
            Self::DataFormatError => "data format error",
        }
    }
}

/// A WeChat JSON answer: always HTTP 200 (WeChat reports failures in `errcode`, not the status).
#[derive(Debug)]
pub struct WxJson(pub Value);

impl IntoResponse for WxJson {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::OK, self.0.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(WECHAT_CONTENT_TYPE),
        );
        response
    }
}

/// The request id WeChat appends to messages: the unix time in hex, then two random words.
pub fn rid(now: DateTime<Utc>, a: u32, b: u32) -> String {
    // WeChat's first rid segment is the request's unix time in hex; keep that so a rid read in
    // a log still dates the call.
    let secs = u32::try_from(now.timestamp()).unwrap_or(u32::MAX);
    format!("{secs:08x}-{a:08x}-{b:08x}")
}

/// The error body WeChat sends: `{"errcode": 40029, "errmsg": "invalid code, rid: …"}`.
pub fn error_body(code: WxCode, rid: &str) -> Value {
    json!({ "errcode": code.errcode(), "errmsg": format!("{}, rid: {rid}", code.errmsg()) })
}

/// The query parameters of a call, leniently: WeChat answers malformed queries with an
/// `errcode` for the missing field, never with an HTTP 400, so a bad query reads as empty.
pub(crate) fn query_params(uri: &Uri) -> HashMap<String, String> {
    Query::try_from_uri(uri)
        .map(|Query(params)| params)
        .unwrap_or_default()
}

/// A parameter that is present and not empty.
pub(crate) fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rid_starts_with_the_time_in_hex() {
        let now = DateTime::from_timestamp(0x652d_44d0, 0).unwrap();
        assert_eq!(
            rid(now, 0x1d0a_f18b, 0x5b06_9232),
            "652d44d0-1d0af18b-5b069232"
        );
    }

    #[test]
    fn error_body_has_wechat_fields() {
        let body = error_body(WxCode::CodeBeenUsed, "x");
        assert_eq!(
            body,
            json!({ "errcode": 40163, "errmsg": "code been used, rid: x" })
        );
    }
}
