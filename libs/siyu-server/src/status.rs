//! Rich error statuses: a stable `ErrorInfo` reason for programs, `BadRequest` field
//! violations for forms, and a masked `INTERNAL` for everything a client cannot act on.
//!
//! Each service maps its error enum to `Status` in one exhaustive match using these builders,
//! so every service speaks the same error dialect and the gateway can translate it uniformly.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// A failure with a machine-readable reason, built into a `Status` with `ErrorInfo` details.
///
/// ```ignore
/// Failure::new(Code::FailedPrecondition, "catalog.siyu", "INSUFFICIENT_STOCK")
///     .message("not enough stock")
///     .meta("sku_id", sku.to_string())
///     .into()
/// ```
#[derive(Debug, Clone)]
pub struct Failure {
    code: Code,
    domain: String,
    reason: String,
    message: Option<String>,
    metadata: HashMap<String, String>,
}

impl Failure {
    /// A failure of `code` with `reason` (UPPER_SNAKE, stable) in `domain` (e.g. `catalog.siyu`).
    pub fn new(code: Code, domain: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            code,
            domain: domain.into(),
            reason: reason.into(),
            message: None,
            metadata: HashMap::new(),
        }
    }

    /// A human-readable message; defaults to the reason. Never put PII or secrets here.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Adds a metadata entry to the `ErrorInfo` (e.g. the SKU that was short).
    pub fn meta(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
}

impl From<Failure> for Status {
    fn from(failure: Failure) -> Self {
        let message = failure.message.unwrap_or_else(|| failure.reason.clone());
        let details =
            ErrorDetails::with_error_info(failure.reason, failure.domain, failure.metadata);
        Status::with_error_details(failure.code, message, details)
    }
}

/// `INVALID_ARGUMENT` with one field violation per `(field, description)` pair.
///
/// Field paths use the proto field names (`lines[0].quantity`) so clients can map them onto
/// their forms.
pub fn invalid_argument<I, F, D>(violations: I) -> Status
where
    I: IntoIterator<Item = (F, D)>,
    F: Into<String>,
    D: Into<String>,
{
    let mut details = ErrorDetails::new();
    let mut fields = Vec::new();
    for (field, description) in violations {
        let field = field.into();
        fields.push(field.clone());
        details.add_bad_request_violation(field, description);
    }
    let message = format!("invalid argument: {}", fields.join(", "));
    Status::with_error_details(Code::InvalidArgument, message, details)
}

/// A masked `INTERNAL`: the cause is logged with the current span, the client learns nothing
/// it could misuse.
pub fn internal(cause: &dyn std::fmt::Display) -> Status {
    tracing::error!(error = %cause, "internal error");
    Status::internal("internal error")
}

/// `UNAVAILABLE` for a dependency that is down (database, cache, another service); the client
/// may retry with backoff.
pub fn unavailable(what: &str) -> Status {
    tracing::warn!(dependency = what, "dependency unavailable");
    Status::unavailable(format!("{what} is unavailable, retry later"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_carry_reason_domain_and_metadata() {
        let status: Status = Failure::new(
            Code::FailedPrecondition,
            "catalog.siyu",
            "INSUFFICIENT_STOCK",
        )
        .message("not enough stock")
        .meta("sku_id", "sku-1")
        .into();
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(status.message(), "not enough stock");
        let info = status.get_details_error_info().unwrap();
        assert_eq!(info.reason, "INSUFFICIENT_STOCK");
        assert_eq!(info.domain, "catalog.siyu");
        assert_eq!(
            info.metadata.get("sku_id").map(String::as_str),
            Some("sku-1")
        );
    }

    #[test]
    fn field_violations_name_each_field() {
        let status = invalid_argument([
            ("lines[0].quantity", "must be at least 1"),
            ("order_id", "is not a valid id"),
        ]);
        assert_eq!(status.code(), Code::InvalidArgument);
        let violations = status.get_details_bad_request().unwrap().field_violations;
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["lines[0].quantity", "order_id"]);
    }

    #[test]
    fn internal_errors_are_masked() {
        let status = internal(&"connection to 10.0.0.5:5432 refused (password=hunter2)");
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error");
    }
}
