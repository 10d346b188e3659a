//! One error dialect for every service: each service says, in one exhaustive match, what
//! code, reason and details each of its errors has ([`ServiceError`]); [`to_status`] builds
//! the `Status` the same way everywhere.
//!
//! Every answered error carries a `google.rpc.ErrorInfo` (reason and domain), invalid
//! arguments also a `google.rpc.BadRequest` naming each field; internal errors are logged with
//! their cause and answered masked.
//!
//! ```ignore
//! impl siyu_server::ServiceError for AppError {
//!     fn domain(&self) -> &'static str { "catalog.siyu" }
//!     fn code(&self) -> Code { match self { Self::SkuNotFound { .. } => Code::NotFound, … } }
//!     fn reason(&self) -> &str { match self { Self::SkuNotFound { .. } => "SKU_NOT_FOUND", … } }
//! }
//! siyu_server::status_from!(AppError);
//! ```

use std::collections::HashMap;

use siyu_store::StoreError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// What a service error tells its callers.
pub trait ServiceError: std::error::Error {
    /// The `ErrorInfo.domain` of the service (`catalog.siyu`).
    fn domain(&self) -> &'static str;
    /// The gRPC code. `INTERNAL`, `UNKNOWN` and `DATA_LOSS` are logged and masked.
    fn code(&self) -> Code;
    /// The stable `ErrorInfo.reason` (`INSUFFICIENT_STOCK`).
    fn reason(&self) -> &str;
    /// `ErrorInfo.metadata` (the SKU that was short); none by default.
    fn metadata(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// `BadRequest` field violations as (proto field path, description); none by default.
    fn violations(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// The status message; by default "invalid argument: <fields>" for field violations and
    /// the reason otherwise. Never PII or secrets.
    fn message(&self) -> Option<String> {
        None
    }
}

/// The `Status` of `err`: `ErrorInfo` always, `BadRequest` when it names fields, masked and
/// logged when internal.
pub fn to_status<E: ServiceError + ?Sized>(err: &E) -> Status {
    let code = err.code();
    match code {
        Code::Internal | Code::Unknown | Code::DataLoss => {
            tracing::error!(error = %err, source = ?std::error::Error::source(err), "internal error");
            return Status::internal("internal error");
        }
        Code::Unavailable => tracing::warn!(error = %err, "dependency unavailable"),
        _ => {}
    }
    let metadata: HashMap<String, String> = err.metadata().into_iter().collect();
    let mut details = ErrorDetails::with_error_info(err.reason(), err.domain(), metadata);
    let violations = err.violations();
    let fields: Vec<&str> = violations.iter().map(|(f, _)| f.as_str()).collect();
    let message = err.message().unwrap_or_else(|| {
        if fields.is_empty() {
            err.reason().to_owned()
        } else {
            format!("invalid argument: {}", fields.join(", "))
        }
    });
    for (field, description) in &violations {
        details.add_bad_request_violation(field.clone(), description.clone());
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

/// The code and reason of a store failure, the same in every service: a reused idempotency
/// key is `ALREADY_EXISTS IDEMPOTENCY_KEY_REUSED`, a database that cannot be reached
/// `UNAVAILABLE`, anything else internal.
pub fn store_code(err: &StoreError) -> (Code, &'static str) {
    match err {
        StoreError::KeyReused => (Code::AlreadyExists, "IDEMPOTENCY_KEY_REUSED"),
        err if err.is_unavailable() => (Code::Unavailable, "UNAVAILABLE"),
        _ => (Code::Internal, "INTERNAL"),
    }
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
        fn code(&self) -> Code {
            match self {
                Self::Short { .. } => Code::FailedPrecondition,
                Self::Bad => Code::InvalidArgument,
                Self::Broken => Code::Internal,
            }
        }
        fn reason(&self) -> &str {
            match self {
                Self::Short { .. } => "INSUFFICIENT_STOCK",
                Self::Bad => "INVALID_ARGUMENT",
                Self::Broken => "INTERNAL",
            }
        }
        fn metadata(&self) -> Vec<(String, String)> {
            match self {
                Self::Short { sku } => vec![("sku_id".into(), sku.clone())],
                Self::Bad | Self::Broken => vec![],
            }
        }
        fn violations(&self) -> Vec<(String, String)> {
            match self {
                Self::Bad => vec![("lines[0].quantity".into(), "must be at least 1".into())],
                Self::Short { .. } | Self::Broken => vec![],
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
