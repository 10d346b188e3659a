//! What each [`AppError`] tells a caller: code, `ErrorInfo` reason and metadata, `BadRequest`
//! field violations. One exhaustive match per question, no catch-all; `siyu_server` renders
//! them the same way in every service (internal errors logged and masked).

use siyu_server::ServiceError;
use siyu_server::error::store_code;
use siyu_store::StoreError;
use tonic::Code;

use crate::AppError;

impl ServiceError for AppError {
    fn domain(&self) -> &'static str {
        "catalog.siyu"
    }

    fn code(&self) -> Code {
        use AppError as E;
        match self {
            E::InvalidInput(_)
            | E::BadPage(_)
            | E::PriceInvalid { .. }
            | E::SpecMismatch { .. }
            | E::SameLocation => Code::InvalidArgument,
            E::OutOfScope(_) => Code::PermissionDenied,
            E::LocationNotFound
            | E::CategoryNotFound
            | E::ProductNotFound
            | E::SkuNotFound { .. }
            | E::ReservationNotFound
            | E::TransferNotFound => Code::NotFound,
            E::LocationExists
            | E::CategoryNameTaken
            | E::SkuCodeTaken { .. }
            | E::BarcodeTaken { .. } => Code::AlreadyExists,
            E::LocationNotActive
            | E::LocationNotEmpty
            | E::CategoryTooDeep
            | E::CategoryCycle
            | E::CategoryNotEmpty
            | E::ProductIncomplete { .. }
            | E::ProductNotOnSale
            | E::ProductNotDraft
            | E::SkuNotSellable { .. }
            | E::InsufficientStock { .. }
            | E::StockBelowReserved { .. }
            | E::StockVersionMismatch
            | E::ReservationReleased
            | E::ReservationExpired
            | E::ReservationConfirmed
            | E::ReservationNotConfirmed
            | E::RestockExceedsSold
            | E::TransferNotCreated
            | E::TransferNotShipped
            | E::TransferAlreadyShipped => Code::FailedPrecondition,
            E::ReservationBusy => Code::Unavailable,
            E::Store(err) => store_code(err).0,
            E::Internal(_) => Code::Internal,
        }
    }

    fn reason(&self) -> &str {
        use AppError as E;
        match self {
            E::InvalidInput(_) | E::BadPage(_) => "INVALID_ARGUMENT",
            E::PriceInvalid { .. } => "PRICE_INVALID",
            E::SpecMismatch { .. } => "SPEC_MISMATCH",
            E::SameLocation => "SAME_LOCATION",
            E::OutOfScope(_) => "PERMISSION_DENIED",
            E::LocationNotFound => "LOCATION_NOT_FOUND",
            E::CategoryNotFound => "CATEGORY_NOT_FOUND",
            E::ProductNotFound => "PRODUCT_NOT_FOUND",
            E::SkuNotFound { .. } => "SKU_NOT_FOUND",
            E::ReservationNotFound => "RESERVATION_NOT_FOUND",
            E::TransferNotFound => "TRANSFER_NOT_FOUND",
            E::LocationExists => "LOCATION_EXISTS",
            E::CategoryNameTaken => "CATEGORY_NAME_TAKEN",
            E::SkuCodeTaken { .. } => "SKU_CODE_TAKEN",
            E::BarcodeTaken { .. } => "BARCODE_TAKEN",
            E::LocationNotActive => "LOCATION_NOT_ACTIVE",
            E::LocationNotEmpty => "LOCATION_NOT_EMPTY",
            E::CategoryTooDeep => "CATEGORY_TOO_DEEP",
            E::CategoryCycle => "CATEGORY_CYCLE",
            E::CategoryNotEmpty => "CATEGORY_NOT_EMPTY",
            E::ProductIncomplete { .. } => "PRODUCT_INCOMPLETE",
            E::ProductNotOnSale => "PRODUCT_NOT_ON_SALE",
            E::ProductNotDraft => "PRODUCT_NOT_DRAFT",
            E::SkuNotSellable { .. } => "SKU_NOT_SELLABLE",
            E::InsufficientStock { .. } => "INSUFFICIENT_STOCK",
            E::StockBelowReserved { .. } => "STOCK_BELOW_RESERVED",
            E::StockVersionMismatch => "STOCK_VERSION_MISMATCH",
            E::ReservationReleased => "RESERVATION_RELEASED",
            E::ReservationExpired => "RESERVATION_EXPIRED",
            E::ReservationConfirmed => "RESERVATION_CONFIRMED",
            E::ReservationNotConfirmed => "RESERVATION_NOT_CONFIRMED",
            E::ReservationBusy => "RESERVATION_BUSY",
            E::RestockExceedsSold => "RESTOCK_EXCEEDS_SOLD",
            E::TransferNotCreated => "TRANSFER_NOT_CREATED",
            E::TransferNotShipped => "TRANSFER_NOT_SHIPPED",
            E::TransferAlreadyShipped => "TRANSFER_ALREADY_SHIPPED",
            E::Store(err) => store_code(err).1,
            E::Internal(_) => "INTERNAL",
        }
    }

    fn metadata(&self) -> Vec<(String, String)> {
        use AppError as E;
        let meta = |pairs: &[(&str, String)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect()
        };
        match self {
            E::SkuNotFound { sku_id } | E::SkuNotSellable { sku_id } => {
                meta(&[("sku_id", sku_id.to_string())])
            }
            E::InsufficientStock {
                sku_id,
                requested,
                available,
            } => meta(&[
                ("sku_id", sku_id.to_string()),
                ("requested", requested.to_string()),
                ("available", available.to_string()),
            ]),
            E::StockBelowReserved { reserved } => meta(&[("reserved", reserved.to_string())]),
            E::ProductIncomplete { missing } => meta(&[("missing", missing.clone())]),
            E::SkuCodeTaken { index } | E::BarcodeTaken { index } => {
                meta(&[("sku_index", index.to_string())])
            }
            E::PriceInvalid { field, .. } | E::SpecMismatch { field, .. } => {
                meta(&[("field", field.clone())])
            }
            E::SameLocation => meta(&[("field", "to_location_id".to_owned())]),
            E::InvalidInput(_)
            | E::BadPage(_)
            | E::OutOfScope(_)
            | E::LocationNotFound
            | E::CategoryNotFound
            | E::ProductNotFound
            | E::ReservationNotFound
            | E::TransferNotFound
            | E::LocationExists
            | E::CategoryNameTaken
            | E::LocationNotActive
            | E::LocationNotEmpty
            | E::CategoryTooDeep
            | E::CategoryCycle
            | E::CategoryNotEmpty
            | E::ProductNotOnSale
            | E::ProductNotDraft
            | E::StockVersionMismatch
            | E::ReservationReleased
            | E::ReservationExpired
            | E::ReservationConfirmed
            | E::ReservationNotConfirmed
            | E::ReservationBusy
            | E::RestockExceedsSold
            | E::TransferNotCreated
            | E::TransferNotShipped
            | E::TransferAlreadyShipped
            | E::Store(_)
            | E::Internal(_) => Vec::new(),
        }
    }

    fn violations(&self) -> Vec<(String, String)> {
        use AppError as E;
        match self {
            E::InvalidInput(fields) => fields.clone(),
            // The page request as a whole: callers resend the list call without a token.
            E::BadPage(err) => vec![("page".to_owned(), err.to_string())],
            E::PriceInvalid { field, description } | E::SpecMismatch { field, description } => {
                vec![(field.clone(), description.clone())]
            }
            E::SameLocation => vec![(
                "to_location_id".to_owned(),
                "must differ from from_location_id".to_owned(),
            )],
            E::OutOfScope(_)
            | E::LocationNotFound
            | E::CategoryNotFound
            | E::ProductNotFound
            | E::SkuNotFound { .. }
            | E::ReservationNotFound
            | E::TransferNotFound
            | E::LocationExists
            | E::CategoryNameTaken
            | E::SkuCodeTaken { .. }
            | E::BarcodeTaken { .. }
            | E::LocationNotActive
            | E::LocationNotEmpty
            | E::CategoryTooDeep
            | E::CategoryCycle
            | E::CategoryNotEmpty
            | E::ProductIncomplete { .. }
            | E::ProductNotOnSale
            | E::ProductNotDraft
            | E::SkuNotSellable { .. }
            | E::InsufficientStock { .. }
            | E::StockBelowReserved { .. }
            | E::StockVersionMismatch
            | E::ReservationReleased
            | E::ReservationExpired
            | E::ReservationConfirmed
            | E::ReservationNotConfirmed
            | E::ReservationBusy
            | E::RestockExceedsSold
            | E::TransferNotCreated
            | E::TransferNotShipped
            | E::TransferAlreadyShipped
            | E::Store(_)
            | E::Internal(_) => Vec::new(),
        }
    }

    fn message(&self) -> Option<String> {
        use AppError as E;
        match self {
            E::OutOfScope(why) => Some(why.clone()),
            E::InsufficientStock { .. } => Some("not enough stock".to_owned()),
            E::PriceInvalid { field, description } | E::SpecMismatch { field, description } => {
                Some(format!("{field}: {description}"))
            }
            E::ReservationBusy => Some("the reservation is changing, retry".to_owned()),
            E::Store(err) => store_message(err),
            E::InvalidInput(_)
            | E::BadPage(_)
            | E::SameLocation
            | E::LocationNotFound
            | E::CategoryNotFound
            | E::ProductNotFound
            | E::SkuNotFound { .. }
            | E::ReservationNotFound
            | E::TransferNotFound
            | E::LocationExists
            | E::CategoryNameTaken
            | E::SkuCodeTaken { .. }
            | E::BarcodeTaken { .. }
            | E::LocationNotActive
            | E::LocationNotEmpty
            | E::CategoryTooDeep
            | E::CategoryCycle
            | E::CategoryNotEmpty
            | E::ProductIncomplete { .. }
            | E::ProductNotOnSale
            | E::ProductNotDraft
            | E::SkuNotSellable { .. }
            | E::StockBelowReserved { .. }
            | E::StockVersionMismatch
            | E::ReservationReleased
            | E::ReservationExpired
            | E::ReservationConfirmed
            | E::ReservationNotConfirmed
            | E::RestockExceedsSold
            | E::TransferNotCreated
            | E::TransferNotShipped
            | E::TransferAlreadyShipped
            | E::Internal(_) => None,
        }
    }
}

/// What a caller may act on after a store failure (the default message is the reason).
fn store_message(err: &StoreError) -> Option<String> {
    if matches!(err, StoreError::KeyReused) {
        Some("idempotency key reused with a different request".to_owned())
    } else if err.is_unavailable() {
        Some("database is unavailable, retry later".to_owned())
    } else {
        None
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
