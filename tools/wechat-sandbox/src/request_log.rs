//! The request log: every call the suite made to an emulated WeChat API, for test assertions.
//!
//! It is recorded by one middleware around the protocol routes (not the `/sandbox` control
//! API), so every present and future module (login, pay) is logged the same way. Values are
//! kept verbatim: this is test data about test secrets, read back over the control API, and it
//! never goes to the tracing logs.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use axum::body::{Body, to_bytes};
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::state::AppState;

/// Largest request or response body the recorder buffers; WeChat's own limits are far lower.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// One call the suite made to the sandbox, as `GET /sandbox/requests` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// A UUIDv7, so entries sort by arrival.
    pub id: String,
    /// When the sandbox received it, on the sandbox clock.
    pub at: DateTime<Utc>,
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path without the query, e.g. `/sns/jscode2session`.
    pub path: String,
    /// Query parameters.
    pub query: BTreeMap<String, String>,
    /// The request body: parsed JSON, a JSON string for a non-JSON body, or absent when empty.
    pub body: Option<Value>,
    /// The `errcode` the sandbox answered; 0 for a success that carries no `errcode`.
    pub errcode: i64,
    /// The HTTP status of the answer (WeChat Pay reports errors by status, login APIs by errcode).
    #[serde(default)]
    pub status: u16,
    /// The WeChat Pay error `code` (e.g. `SIGN_ERROR`), absent for successes and login APIs.
    #[serde(default)]
    pub code: Option<String>,
}

/// A bounded, in-memory list of [`RecordedRequest`]s.
#[derive(Debug)]
pub(crate) struct RequestLog {
    entries: Mutex<VecDeque<RecordedRequest>>,
    capacity: usize,
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(VecDeque::new()),
            capacity: capacity.max(1),
        }
    }

    fn push(&self, entry: RecordedRequest) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// Entries in arrival order, optionally only those for one path.
    pub(crate) fn list(&self, path: Option<&str>) -> Vec<RecordedRequest> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .iter()
            .filter(|e| path.is_none_or(|p| e.path == p))
            .cloned()
            .collect()
    }

    pub(crate) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// Middleware recording each protocol call with the `errcode` it was answered with.
pub(crate) async fn record(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let at = state.clock.now();
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let query: BTreeMap<String, String> = Query::try_from_uri(&parts.uri)
        .map(|Query(q)| q)
        .unwrap_or_default();
    let method = parts.method.to_string();
    let path = parts.uri.path().to_owned();
    let body = parse_body(&bytes);

    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;

    let (parts, body_out) = response.into_parts();
    let Ok(out) = to_bytes(body_out, MAX_BODY_BYTES).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let answer = serde_json::from_slice::<Value>(&out).ok();
    let errcode = answer
        .as_ref()
        .and_then(|v| v.get("errcode").and_then(Value::as_i64))
        .unwrap_or(0);
    let code = answer
        .as_ref()
        .and_then(|v| v.get("code").and_then(Value::as_str))
        .map(str::to_owned);
    state.log.push(RecordedRequest {
        id: siyu_core::id::new_string(),
        at,
        method,
        path,
        query,
        body,
        errcode,
        status: parts.status.as_u16(),
        code,
    });
    Response::from_parts(parts, Body::from(out))
}

fn parse_body(bytes: &[u8]) -> Option<Value> {
    if bytes.is_empty() {
        return None;
    }
    Some(
        serde_json::from_slice(bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> RecordedRequest {
        RecordedRequest {
            id: siyu_core::id::new_string(),
            at: DateTime::from_timestamp(0, 0).unwrap(),
            method: "GET".into(),
            path: path.into(),
            query: BTreeMap::new(),
            body: None,
            errcode: 0,
            status: 200,
            code: None,
        }
    }

    #[test]
    fn the_log_is_bounded_and_filterable() {
        let log = RequestLog::new(2);
        log.push(entry("/a"));
        log.push(entry("/b"));
        log.push(entry("/a"));
        assert_eq!(log.list(None).len(), 2);
        assert_eq!(log.list(Some("/a")).len(), 1);
        log.clear();
        assert!(log.list(None).is_empty());
    }

    #[test]
    fn bodies_are_json_or_text() {
        assert_eq!(parse_body(b""), None);
        assert_eq!(
            parse_body(br#"{"code":"x"}"#),
            Some(serde_json::json!({"code": "x"}))
        );
        assert_eq!(
            parse_body(b"not json"),
            Some(Value::String("not json".into()))
        );
    }
}
