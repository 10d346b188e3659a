//! A gRPC `Status` from a service as a [`Problem`]: the HTTP status per code, the reason from
//! `google.rpc.ErrorInfo`, field violations from `google.rpc.BadRequest`, `Retry-After` from
//! `google.rpc.RetryInfo` (or `ErrorInfo.metadata.retry_after_seconds`).

use http::StatusCode;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

use super::{FieldError, Problem};

/// The HTTP status a gRPC code is answered with.
///
/// `FAILED_PRECONDITION` is 422: the request is well-formed but the state of the tenant or
/// resource forbids it (suspended tenant, merge conflict, captcha required); 409 is kept for
/// conflicts a retry with fresh data may resolve (`ALREADY_EXISTS`, `ABORTED`).
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::OutOfRange => StatusCode::BAD_REQUEST,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::FailedPrecondition => StatusCode::UNPROCESSABLE_ENTITY,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        // 499 (client closed request) is nginx's convention; http has no constant for it.
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Internal | Code::Unknown | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The generic reason when a service sent no `ErrorInfo`.
fn default_reason(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown | Code::Internal | Code::DataLoss => "INTERNAL",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "UPSTREAM_TIMEOUT",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Unavailable => "UNAVAILABLE",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

impl Problem {
    /// The problem for a service's status. Internal errors are masked: their message and
    /// details stay in the log (the caller logs `status`), never reach the client.
    pub fn from_status(status: &Status) -> Self {
        let code = status.code();
        let http = http_status(code);
        if http == StatusCode::INTERNAL_SERVER_ERROR {
            return Self::internal();
        }
        let details = status.get_error_details();
        let reason = details
            .error_info()
            .map(|info| info.reason.clone())
            .filter(|reason| !reason.is_empty())
            .unwrap_or_else(|| default_reason(code).to_owned());
        let detail = if status.message().is_empty() {
            http.canonical_reason().unwrap_or("error").to_owned()
        } else {
            status.message().to_owned()
        };
        let mut problem = Self::new(http, &reason, detail);
        if let Some(bad) = details.bad_request() {
            problem.errors = bad
                .field_violations
                .iter()
                .map(|v| FieldError {
                    field: v.field.clone(),
                    description: v.description.clone(),
                })
                .collect();
        }
        let retry = details
            .retry_info()
            .and_then(|info| info.retry_delay)
            .map(|delay| delay.as_secs_f64().ceil() as u64)
            .or_else(|| {
                details
                    .error_info()
                    .and_then(|info| info.metadata.get("retry_after_seconds"))
                    .and_then(|value| value.parse().ok())
            });
        if let Some(seconds) = retry {
            problem = problem.with_retry_after(seconds);
        }
        problem
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tonic_types::{ErrorDetails, FieldViolation};

    use super::*;

    #[test]
    fn reason_and_violations_pass_through_and_internals_are_masked() {
        let mut details =
            ErrorDetails::with_error_info("PHONE_INVALID", "identity.siyu", HashMap::new());
        details.set_bad_request(vec![FieldViolation::new("phone", "not a mobile number")]);
        let status = Status::with_error_details(Code::InvalidArgument, "bad phone", details);
        let problem = Problem::from_status(&status);
        assert_eq!(problem.status, StatusCode::BAD_REQUEST);
        assert_eq!(problem.reason, "PHONE_INVALID");
        assert_eq!(problem.errors[0].field, "phone");

        let problem = Problem::from_status(&Status::internal("db password is hunter2"));
        assert_eq!(problem.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!problem.detail.contains("hunter2"));
    }
}
