//! Errors as `application/problem+json` (RFC 9457): what every failure the caller sees looks
//! like, whether the gateway refused the request or the service answered a gRPC status.
//!
//! ```json
//! {"type": "urn:siyu:problem:TOKEN_EXPIRED", "title": "Unauthorized", "status": 401,
//!  "detail": "authentication required", "instance": "<request id>",
//!  "reason": "TOKEN_EXPIRED", "errors": [{"field": "phone", "description": "…"}]}
//! ```

pub(crate) mod grpc;
mod oauth;

use axum::response::{IntoResponse, Response};
use http::header::{ALLOW, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, StatusCode};
use serde::Serialize;

pub use self::oauth::oauth_response;

/// The media type of problem bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A failure answered to the caller. Boxed so that `Result<_, Problem>` stays one pointer
/// wide on the happy path; the fields are read and set through `Deref`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem(Box<ProblemDetails>);

/// The members of a [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemDetails {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable, machine-readable reason (`google.rpc.ErrorInfo.reason` or a gateway reason).
    pub reason: String,
    /// Human-readable explanation; never carries secrets or internal causes.
    pub detail: String,
    /// Field violations (`google.rpc.BadRequest`).
    pub errors: Vec<FieldError>,
    /// Seconds to wait before retrying (429, 503).
    pub retry_after: Option<u64>,
    /// Methods the path supports (405).
    pub allow: Vec<Method>,
    /// The request id, set by the handler before answering.
    pub instance: Option<String>,
}

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Field path in proto or JSON naming, as the service reported it.
    pub field: String,
    /// What is wrong with it.
    pub description: String,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<&'a str>,
    reason: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [FieldError],
}

impl std::ops::Deref for Problem {
    type Target = ProblemDetails;

    fn deref(&self) -> &ProblemDetails {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemDetails {
        &mut self.0
    }
}

impl Problem {
    /// A problem with `status`, `reason` and `detail`.
    pub fn new(status: StatusCode, reason: &str, detail: impl Into<String>) -> Self {
        Self(Box::new(ProblemDetails {
            status,
            reason: reason.to_owned(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            allow: Vec::new(),
            instance: None,
        }))
    }

    /// 400 with one field violation.
    pub fn bad_field(reason: &str, field: &str, description: impl Into<String>) -> Self {
        let description = description.into();
        let mut problem = Self::new(StatusCode::BAD_REQUEST, reason, description.clone());
        problem.errors.push(FieldError {
            field: field.to_owned(),
            description,
        });
        problem
    }

    /// 500 with nothing of the cause; the caller logs the cause.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "internal error",
        )
    }

    /// Sets `Retry-After`.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// Sets the request id.
    pub fn with_instance(mut self, request_id: &str) -> Self {
        self.instance = Some(request_id.to_owned());
        self
    }

    /// The JSON body.
    pub fn body(&self) -> Vec<u8> {
        let body = Body {
            kind: format!("urn:siyu:problem:{}", self.reason),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: &self.detail,
            instance: self.instance.as_deref(),
            reason: &self.reason,
            errors: &self.errors,
        };
        // Serializing plain strings and numbers cannot fail; an empty body beats a panic.
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if !self.allow.is_empty() {
            let allow: Vec<&str> = self.allow.iter().map(Method::as_str).collect();
            if let Ok(value) = HeaderValue::from_str(&allow.join(", ")) {
                headers.insert(ALLOW, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_the_rfc_9457_members_and_the_reason() {
        let problem = Problem::bad_field("INVALID_ARGUMENT", "phone", "not a mobile number")
            .with_instance("req-1");
        let json: serde_json::Value = serde_json::from_slice(&problem.body()).unwrap();
        assert_eq!(json["type"], "urn:siyu:problem:INVALID_ARGUMENT");
        assert_eq!(json["title"], "Bad Request");
        assert_eq!(json["status"], 400);
        assert_eq!(json["instance"], "req-1");
        assert_eq!(json["errors"][0]["field"], "phone");
    }
}
