//! RFC 6749 §5.2 error bodies for the token endpoints: OAuth client libraries read `error`,
//! not RFC 9457 members. Server-side failures (5xx, 429) stay problems. The OpenAPI document
//! describes both (`OAuthError` for 400/401/403/408/413).

use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};

use super::Problem;

/// The token endpoint's answer for `problem`.
pub fn oauth_response(problem: Problem) -> Response {
    let (status, error) = match (problem.status, problem.reason.as_str()) {
        (_, "UNSUPPORTED_GRANT_TYPE") => (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
        (_, "INVALID_SCOPE") => (StatusCode::BAD_REQUEST, "invalid_scope"),
        (_, "IP_NOT_ALLOWED") => (StatusCode::BAD_REQUEST, "unauthorized_client"),
        (_, "INVALID_CLIENT" | "CLIENT_REVOKED") => (StatusCode::UNAUTHORIZED, "invalid_client"),
        (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, _) => (problem.status, "invalid_client"),
        // The request never reached the grant: its status says more than a 400 would.
        (StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT, _) => {
            (problem.status, "invalid_request")
        }
        (status, _) if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS => {
            (StatusCode::BAD_REQUEST, "invalid_request")
        }
        _ => return problem.into_response(),
    };
    let body = serde_json::json!({
        "error": error,
        "error_description": problem.detail,
        "reason": problem.reason,
    });
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
    }
    response
}
