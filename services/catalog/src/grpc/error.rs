//! The one mapping from [`AppError`] to `Status`; exhaustive, no catch-all.

use siyu_server::status::{Failure, internal, invalid_argument, unavailable};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::app::AppError;

/// ErrorInfo domain of catalog's errors.
pub const DOMAIN: &str = "catalog.siyu";

impl From<AppError> for Status {
    fn from(err: AppError) -> Self {
        match err {
            AppError::InvalidArgument(v) => invalid_argument(v),
            AppError::PermissionDenied(m) => {
                Failure::new(Code::PermissionDenied, DOMAIN, "PERMISSION_DENIED")
                    .message(m)
                    .into()
            }
            AppError::NotFound(reason) => Failure::new(Code::NotFound, DOMAIN, reason).into(),
            AppError::SkuNotFound { sku_id } => {
                Failure::new(Code::NotFound, DOMAIN, "SKU_NOT_FOUND")
                    .meta("sku_id", sku_id)
                    .into()
            }
            AppError::SkuNotSellable { sku_id } => {
                Failure::new(Code::FailedPrecondition, DOMAIN, "SKU_NOT_SELLABLE")
                    .meta("sku_id", sku_id)
                    .into()
            }
            AppError::InsufficientStock {
                sku_id,
                requested,
                available,
            } => Failure::new(Code::FailedPrecondition, DOMAIN, "INSUFFICIENT_STOCK")
                .message("not enough stock")
                .meta("sku_id", sku_id)
                .meta("requested", requested.to_string())
                .meta("available", available.to_string())
                .into(),
            AppError::StockBelowReserved { reserved } => {
                Failure::new(Code::FailedPrecondition, DOMAIN, "STOCK_BELOW_RESERVED")
                    .meta("reserved", reserved.to_string())
                    .into()
            }
            AppError::Precondition(reason) => {
                Failure::new(Code::FailedPrecondition, DOMAIN, reason).into()
            }
            AppError::Incomplete(missing) => {
                Failure::new(Code::FailedPrecondition, DOMAIN, "PRODUCT_INCOMPLETE")
                    .meta("missing", missing)
                    .into()
            }
            AppError::AlreadyExists(reason) => {
                Failure::new(Code::AlreadyExists, DOMAIN, reason).into()
            }
            AppError::Rejected {
                reason,
                field,
                description,
            } => {
                let mut details = ErrorDetails::with_error_info(
                    reason,
                    DOMAIN,
                    [("field".to_owned(), field.clone())],
                );
                details.add_bad_request_violation(field.clone(), description.clone());
                Status::with_error_details(
                    Code::InvalidArgument,
                    format!("{field}: {description}"),
                    details,
                )
            }
            AppError::Taken { reason, index } => Failure::new(Code::AlreadyExists, DOMAIN, reason)
                .meta("sku_index", index.to_string())
                .into(),
            AppError::IdempotencyKeyReused => {
                Failure::new(Code::AlreadyExists, DOMAIN, "IDEMPOTENCY_KEY_REUSED")
                    .message("idempotency key reused with a different request")
                    .into()
            }
            AppError::Unavailable(m) => {
                tracing::warn!(cause = %m, "unavailable");
                unavailable("database")
            }
            AppError::Internal(m) => internal(&m),
        }
    }
}
