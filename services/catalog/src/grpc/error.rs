//! What each [`AppError`] tells a caller — code, `ErrorInfo` reason and metadata, `BadRequest`
//! field violations — in one exhaustive match, no catch-all; `siyu_server` renders it the same
//! way in every service (internal errors logged and masked).

use siyu_server::{Described, ServiceError};
use tonic::Code;

use crate::AppError;

impl ServiceError for AppError {
    fn domain(&self) -> &'static str {
        "catalog.siyu"
    }

    fn describe(&self) -> Described {
        use AppError as E;
        use Code::{AlreadyExists, FailedPrecondition as Precondition, NotFound};
        match self {
            E::InvalidInput(fields) => Described::invalid("INVALID_ARGUMENT", fields.clone()),
            // The page request as a whole: callers resend the list call without a token.
            E::BadPage(err) => {
                Described::invalid("INVALID_ARGUMENT", [("page".into(), err.to_string())])
            }
            E::PriceInvalid { field, description } => {
                Described::invalid("PRICE_INVALID", [(field.clone(), description.clone())])
                    .meta("field", field)
                    .message(format!("{field}: {description}"))
            }
            E::SpecMismatch { field, description } => {
                Described::invalid("SPEC_MISMATCH", [(field.clone(), description.clone())])
                    .meta("field", field)
                    .message(format!("{field}: {description}"))
            }
            E::SameLocation => Described::invalid(
                "SAME_LOCATION",
                [(
                    "to_location_id".into(),
                    "must differ from from_location_id".into(),
                )],
            )
            .meta("field", "to_location_id"),
            E::OutOfScope(why) => {
                Described::new(Code::PermissionDenied, "PERMISSION_DENIED").message(why)
            }
            E::LocationNotFound => Described::new(NotFound, "LOCATION_NOT_FOUND"),
            E::CategoryNotFound => Described::new(NotFound, "CATEGORY_NOT_FOUND"),
            E::ProductNotFound => Described::new(NotFound, "PRODUCT_NOT_FOUND"),
            E::SkuNotFound { sku_id } => {
                Described::new(NotFound, "SKU_NOT_FOUND").meta("sku_id", sku_id)
            }
            E::ReservationNotFound => Described::new(NotFound, "RESERVATION_NOT_FOUND"),
            E::TransferNotFound => Described::new(NotFound, "TRANSFER_NOT_FOUND"),
            E::LocationExists => Described::new(AlreadyExists, "LOCATION_EXISTS"),
            E::CategoryNameTaken => Described::new(AlreadyExists, "CATEGORY_NAME_TAKEN"),
            E::SkuCodeTaken { index } => {
                Described::new(AlreadyExists, "SKU_CODE_TAKEN").meta("sku_index", index)
            }
            E::BarcodeTaken { index } => {
                Described::new(AlreadyExists, "BARCODE_TAKEN").meta("sku_index", index)
            }
            E::LocationNotActive => Described::new(Precondition, "LOCATION_NOT_ACTIVE"),
            E::LocationNotEmpty => Described::new(Precondition, "LOCATION_NOT_EMPTY"),
            E::CategoryTooDeep => Described::new(Precondition, "CATEGORY_TOO_DEEP"),
            E::CategoryCycle => Described::new(Precondition, "CATEGORY_CYCLE"),
            E::CategoryNotEmpty => Described::new(Precondition, "CATEGORY_NOT_EMPTY"),
            E::ProductIncomplete { missing } => {
                Described::new(Precondition, "PRODUCT_INCOMPLETE").meta("missing", missing)
            }
            E::ProductNotOnSale => Described::new(Precondition, "PRODUCT_NOT_ON_SALE"),
            E::ProductNotDraft => Described::new(Precondition, "PRODUCT_NOT_DRAFT"),
            E::SkuNotSellable { sku_id } => {
                Described::new(Precondition, "SKU_NOT_SELLABLE").meta("sku_id", sku_id)
            }
            E::InsufficientStock {
                sku_id,
                requested,
                available,
            } => Described::new(Precondition, "INSUFFICIENT_STOCK")
                .meta("sku_id", sku_id)
                .meta("requested", requested)
                .meta("available", available)
                .message("not enough stock"),
            E::StockBelowReserved { reserved } => {
                Described::new(Precondition, "STOCK_BELOW_RESERVED").meta("reserved", reserved)
            }
            E::StockVersionMismatch => Described::new(Precondition, "STOCK_VERSION_MISMATCH"),
            E::ReservationReleased => Described::new(Precondition, "RESERVATION_RELEASED"),
            E::ReservationExpired => Described::new(Precondition, "RESERVATION_EXPIRED"),
            E::ReservationConfirmed => Described::new(Precondition, "RESERVATION_CONFIRMED"),
            E::ReservationNotConfirmed => Described::new(Precondition, "RESERVATION_NOT_CONFIRMED"),
            E::ReservationBusy => Described::new(Code::Unavailable, "RESERVATION_BUSY")
                .message("the reservation is changing, retry"),
            E::RestockExceedsSold => Described::new(Precondition, "RESTOCK_EXCEEDS_SOLD"),
            E::TransferNotCreated => Described::new(Precondition, "TRANSFER_NOT_CREATED"),
            E::TransferNotShipped => Described::new(Precondition, "TRANSFER_NOT_SHIPPED"),
            E::TransferAlreadyShipped => Described::new(Precondition, "TRANSFER_ALREADY_SHIPPED"),
            E::Store(err) => Described::store(err),
            E::Internal(_) => Described::new(Code::Internal, "INTERNAL"),
        }
    }
}

siyu_server::status_from!(AppError);

#[cfg(test)]
mod tests {
    use tonic::Status;
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn field_errors_carry_error_info_and_the_field() {
        let status = Status::from(AppError::invalid("lines[0].quantity", "must be at least 1"));
        assert_eq!(status.code(), Code::InvalidArgument);
        let info = status.get_details_error_info().unwrap();
        assert_eq!(
            (info.reason.as_str(), info.domain.as_str()),
            ("INVALID_ARGUMENT", "catalog.siyu")
        );
        let fields = status.get_details_bad_request().unwrap().field_violations;
        assert_eq!(fields[0].field, "lines[0].quantity");
    }

    #[test]
    fn short_stock_names_the_sku_and_the_counts() {
        let sku = uuid::Uuid::nil();
        let status = Status::from(AppError::InsufficientStock {
            sku_id: sku,
            requested: 3,
            available: 1,
        });
        let info = status.get_details_error_info().unwrap();
        assert_eq!(info.metadata["sku_id"], sku.to_string());
        assert_eq!(info.metadata["available"], "1");
    }
}
