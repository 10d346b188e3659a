//! One error dialect for every service: each service says, in one exhaustive match, what
//! each of its errors tells a caller ([`ServiceError::describe`] → [`Described`]);
//! [`to_status`] builds the `Status` the same way everywhere.
//!
//! Every answered error carries a `google.rpc.ErrorInfo` (reason and domain), invalid
//! arguments also a `google.rpc.BadRequest` naming each field; internal errors are logged with
//! their cause and answered masked.
//!
//! ```ignore
//! impl siyu_server::ServiceError for AppError {
//!     fn domain(&self) -> &'static str { "catalog.siyu" }
//!     fn describe(&self) -> Described {
//!         match self {
//!             Self::SkuNotFound { sku_id } => Described::new(Code::NotFound, "SKU_NOT_FOUND")
//!                 .meta("sku_id", sku_id),
//!             …
//!         }
//!     }
//! }
//! siyu_server::status_from!(AppError);
//! ```

use std::borrow::Cow;
use std::collections::HashMap;

use siyu_store::StoreError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// What an error tells a caller: its code, stable reason, `ErrorInfo` metadata, `BadRequest`
/// field violations and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    /// The gRPC code. `INTERNAL`, `UNKNOWN` and `DATA_LOSS` are logged and masked.
    pub code: Code,
    /// The stable `ErrorInfo.reason` (`INSUFFICIENT_STOCK`).
    pub reason: Cow<'static, str>,
    /// `ErrorInfo.metadata` (the SKU that was short).
    pub metadata: Vec<(String, String)>,
    /// `BadRequest` field violations as (proto field path, description).
    pub violations: Vec<(String, String)>,
    /// The status message; by default "invalid argument: <fields>" for field violations and
    /// the reason otherwise. Never PII or secrets.
    pub message: Option<String>,
}

impl Described {
    /// An error of `code` with `reason`.
    pub fn new(code: Code, reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            reason: reason.into(),
            metadata: Vec::new(),
            violations: Vec::new(),
            message: None,
        }
    }

    /// `INVALID_ARGUMENT` with `reason` and the field violations `fields`.
    pub fn invalid(
        reason: impl Into<Cow<'static, str>>,
        fields: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        Self {
            violations: fields.into_iter().collect(),
            ..Self::new(Code::InvalidArgument, reason)
        }
    }

    /// The code and reason of a store failure, the same in every service: a reused idempotency
    /// key is `ALREADY_EXISTS IDEMPOTENCY_KEY_REUSED`, a database that cannot be reached
    /// `UNAVAILABLE`, anything else internal.
    pub fn store(err: &StoreError) -> Self {
        match err {
            StoreError::KeyReused => Self::new(Code::AlreadyExists, "IDEMPOTENCY_KEY_REUSED")
                .message("idempotency key reused with a different request"),
            err if err.is_unavailable() => Self::new(Code::Unavailable, "UNAVAILABLE")
                .message("database is unavailable, retry later"),
            _ => Self::new(Code::Internal, "INTERNAL"),
        }
    }

    /// Adds an `ErrorInfo.metadata` entry.
    pub fn meta(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.metadata.push((key.into(), value.to_string()));
        self
    }

    /// Adds a field violation.
    pub fn field(mut self, field: impl Into<String>, description: impl Into<String>) -> Self {
        self.violations.push((field.into(), description.into()));
        self
    }

    /// Sets the status message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

/// What a service error tells its callers.
pub trait ServiceError: std::error::Error {
    /// The `ErrorInfo.domain` of the service (`catalog.siyu`).
    fn domain(&self) -> &'static str;
    /// Code, reason and details of this error: one exhaustive match over the service's error
    /// enum, no catch-all arm.
    fn describe(&self) -> Described;
}

/// The `Status` of `err`: `ErrorInfo` always, `BadRequest` when it names fields, masked and
/// logged when internal.
pub fn to_status<E: ServiceError + ?Sized>(err: &E) -> Status {
    let described = err.describe();
    let code = described.code;
    match code {
        Code::Internal | Code::Unknown | Code::DataLoss => {
            tracing::error!(error = %err, source = ?std::error::Error::source(err), "internal error");
            return Status::internal("internal error");
        }
        Code::Unavailable => tracing::warn!(error = %err, "dependency unavailable"),
        _ => {}
    }
    let Described {
        reason,
        metadata,
        violations,
        message,
        ..
    } = described;
    let metadata: HashMap<String, String> = metadata.into_iter().collect();
    let mut details = ErrorDetails::with_error_info(reason.as_ref(), err.domain(), metadata);
    let message = message.unwrap_or_else(|| {
        if violations.is_empty() {
            reason.clone().into_owned()
        } else {
            let fields: Vec<&str> = violations.iter().map(|(f, _)| f.as_str()).collect();
            format!("invalid argument: {}", fields.join(", "))
        }
    });
    for (field, description) in violations {
        details.add_bad_request_violation(field, description);
    }
    Status::with_error_details(code, message, details)
}

/// Implements `From<$error> for tonic::Status` through [`to_status`]; write it once next to
/// the service's [`ServiceError`] implementation.
#[macro_export]
macro_rules! status_from {
    ($error:ty) => {
        impl ::std::convert::From<$error> for ::tonic::Status {
            fn from(err: $error) -> Self {
                $crate::error::to_status(&err)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Demo {
        #[error("short")]
        Short { sku: String },
        #[error("bad")]
        Bad,
        #[error("db password=hunter2 refused")]
        Broken,
    }

    impl ServiceError for Demo {
        fn domain(&self) -> &'static str {
            "demo.siyu"
        }
        fn describe(&self) -> Described {
            match self {
                Self::Short { sku } => {
                    Described::new(Code::FailedPrecondition, "INSUFFICIENT_STOCK")
                        .meta("sku_id", sku)
                }
                Self::Bad => Described::invalid(
                    "INVALID_ARGUMENT",
                    [("lines[0].quantity".into(), "must be at least 1".into())],
                ),
                Self::Broken => Described::new(Code::Internal, "INTERNAL"),
            }
        }
    }

    #[test]
    fn every_error_carries_its_reason_and_domain() {
        let status = to_status(&Demo::Short { sku: "s1".into() });
        assert_eq!(status.code(), Code::FailedPrecondition);
        let info = status.get_details_error_info().unwrap();
        assert_eq!(
            (info.reason.as_str(), info.domain.as_str()),
            ("INSUFFICIENT_STOCK", "demo.siyu")
        );
        assert_eq!(info.metadata["sku_id"], "s1");
    }

    #[test]
    fn invalid_arguments_carry_field_violations_and_error_info() {
        let status = to_status(&Demo::Bad);
        assert_eq!(status.message(), "invalid argument: lines[0].quantity");
        assert_eq!(
            status.get_details_error_info().unwrap().reason,
            "INVALID_ARGUMENT"
        );
        let violations = status.get_details_bad_request().unwrap().field_violations;
        assert_eq!(violations[0].field, "lines[0].quantity");
    }

    #[test]
    fn internal_errors_are_masked() {
        let status = to_status(&Demo::Broken);
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error");
        assert!(status.get_details_error_info().is_none());
    }
}
