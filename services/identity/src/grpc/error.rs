//! `AppError` → `tonic::Status`, in one exhaustive match.

use std::collections::HashMap;

use siyu_server::status::{Failure, internal, unavailable};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::error::AppError;

/// The ErrorInfo domain of identity's own failures.
pub const DOMAIN: &str = "identity.siyu";

impl From<AppError> for Status {
    fn from(err: AppError) -> Self {
        match err {
            AppError::InvalidArgument { reason, fields } => {
                let mut details =
                    ErrorDetails::with_error_info(reason, DOMAIN, HashMap::<String, String>::new());
                let names: Vec<String> = fields.iter().map(|(f, _)| f.clone()).collect();
                for (field, description) in fields {
                    details.add_bad_request_violation(field, description);
                }
                Status::with_error_details(
                    Code::InvalidArgument,
                    format!("invalid argument: {}", names.join(", ")),
                    details,
                )
            }
            AppError::InvalidWithMeta {
                reason,
                field,
                description,
                meta,
            } => {
                let meta: HashMap<String, String> = meta.into_iter().collect();
                let mut details = ErrorDetails::with_error_info(reason, DOMAIN, meta);
                details.add_bad_request_violation(field.clone(), description);
                Status::with_error_details(
                    Code::InvalidArgument,
                    format!("invalid argument: {field}"),
                    details,
                )
            }
            AppError::NotFound(reason) => fail(Code::NotFound, reason),
            AppError::AlreadyExists(reason) => fail(Code::AlreadyExists, reason),
            AppError::AlreadyExistsWithMeta { reason, meta } => {
                let mut failure = Failure::new(Code::AlreadyExists, DOMAIN, reason);
                for (k, v) in meta {
                    failure = failure.meta(k, v);
                }
                failure.into()
            }
            AppError::FailedPrecondition(reason) => fail(Code::FailedPrecondition, reason),
            AppError::Aborted(reason) => fail(Code::Aborted, reason),
            AppError::AccountLocked { until } => {
                Failure::new(Code::FailedPrecondition, DOMAIN, "ACCOUNT_LOCKED")
                    .meta("locked_until", until)
                    .into()
            }
            AppError::OtpInvalid { attempts_left } => {
                Failure::new(Code::Unauthenticated, DOMAIN, "OTP_INVALID")
                    .meta("attempts_left", attempts_left.to_string())
                    .into()
            }
            AppError::TotpInvalid { attempts_left } => {
                let mut failure = Failure::new(Code::Unauthenticated, DOMAIN, "TOTP_INVALID");
                if let Some(left) = attempts_left {
                    failure = failure.meta("attempts_left", left.to_string());
                }
                failure.into()
            }
            AppError::UserMerged { kept_user_id } => {
                Failure::new(Code::FailedPrecondition, DOMAIN, "USER_MERGED")
                    .meta("kept_user_id", kept_user_id)
                    .into()
            }
            AppError::Unauthenticated(reason) => fail(Code::Unauthenticated, reason),
            AppError::PermissionDenied(reason) => fail(Code::PermissionDenied, reason),
            AppError::ResourceExhausted { reason, meta } => {
                let mut failure = Failure::new(Code::ResourceExhausted, DOMAIN, reason);
                for (k, v) in meta {
                    failure = failure.meta(k, v);
                }
                failure.into()
            }
            AppError::Unavailable(reason) => {
                tracing::warn!(reason, "dependency unavailable");
                fail(Code::Unavailable, reason)
            }
            AppError::Auth(err) => err.into(),
            AppError::Store(siyu_store::StoreError::KeyReused) => {
                fail(Code::AlreadyExists, "IDEMPOTENCY_KEY_REUSED")
            }
            AppError::Store(err) if err.is_unavailable() => unavailable("database"),
            AppError::Store(err) => internal(&err),
            AppError::Internal(message) => internal(&message),
        }
    }
}

fn fail(code: Code, reason: &'static str) -> Status {
    Failure::new(code, DOMAIN, reason).into()
}

/// UNAUTHENTICATED TOKEN_REVOKED: the token verified but its session was revoked.
pub fn token_revoked() -> Status {
    fail(Code::Unauthenticated, "TOKEN_REVOKED")
}
