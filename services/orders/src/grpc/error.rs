//! What each [`AppError`] tells a caller: code, `ErrorInfo` reason and metadata, `BadRequest`
//! field violations — one exhaustive match, no catch-all; `siyu_server` renders it the same way
//! in every service (internal errors logged and masked).

use siyu_server::{Described, ServiceError};
use tonic::Code;

use crate::AppError;

impl ServiceError for AppError {
    fn domain(&self) -> &'static str {
        "orders.siyu"
    }

    fn describe(&self) -> Described {
        use AppError as E;
        match self {
            E::InvalidInput(fields) => Described::invalid("INVALID_ARGUMENT", fields.clone()),
            // The page request as a whole: callers resend the list call without a token.
            E::BadPage(err) => Described::invalid(
                "INVALID_ARGUMENT",
                [(err.field().to_owned(), err.to_string())],
            ),
            E::IdempotencyKeyReused => {
                Described::new(Code::AlreadyExists, "IDEMPOTENCY_KEY_REUSED")
                    .message("the idempotency key was used for a different request")
            }
            E::CheckoutInProgress => Described::new(Code::Aborted, "CHECKOUT_IN_PROGRESS")
                .message("a checkout with this key is running; retry shortly"),
            E::IdempotencyKeyRequired => Described::invalid(
                "IDEMPOTENCY_KEY_REQUIRED",
                [(
                    siyu_server::metadata::IDEMPOTENCY_KEY.to_owned(),
                    "is required for checkout".to_owned(),
                )],
            ),
            E::OrderNotFound => Described::new(Code::NotFound, "ORDER_NOT_FOUND"),
            E::MemberRequired => Described::new(Code::FailedPrecondition, "MEMBER_REQUIRED"),
            E::CartEmpty => Described::new(Code::FailedPrecondition, "CART_EMPTY"),
            E::StoredValueDisabled => {
                Described::new(Code::FailedPrecondition, "STORED_VALUE_DISABLED")
            }
            E::TopUpPlanNotFound => Described::new(Code::NotFound, "TOP_UP_PLAN_NOT_FOUND"),
            E::PaidPlanNotFound => Described::new(Code::NotFound, "PAID_PLAN_NOT_FOUND"),
            E::PlanNotOnSale => Described::new(Code::FailedPrecondition, "PLAN_NOT_ON_SALE"),
            E::Undeliverable(reason) => Described::new(Code::FailedPrecondition, reason.clone()),
            E::PriceChanged { expected, current } => {
                Described::new(Code::FailedPrecondition, "PRICE_CHANGED")
                    .meta("expected_payable", expected)
                    .meta("current_payable", current)
            }
            E::IllegalTransition { from } => {
                // `from_status` as order.proto names it; `order_status` as earlier clients read it.
                Described::new(Code::FailedPrecondition, "ILLEGAL_TRANSITION")
                    .meta("order_status", status_name(*from))
                    .meta("from_status", status_name(*from))
            }
            E::StoreOutOfScope(id) => {
                Described::new(Code::PermissionDenied, "STORE_OUT_OF_SCOPE").meta("store_id", id)
            }
            E::AfterSaleInProgress => {
                Described::new(Code::FailedPrecondition, "AFTER_SALE_IN_PROGRESS")
                    .message("an after-sale case of the order is open; resolve it first")
            }
            E::PickupCodeInvalid => Described::new(Code::NotFound, "PICKUP_CODE_INVALID"),
            E::PickupCodeAttemptsExceeded => {
                Described::new(Code::ResourceExhausted, "PICKUP_CODE_ATTEMPTS_EXCEEDED")
                    .message("ten wrong codes in ten minutes; wait before trying again")
            }
            E::SettingsVersionConflict { current } => {
                Described::new(Code::Aborted, "SETTINGS_VERSION_CONFLICT")
                    .meta("current_version", current)
                    .message("the settings changed; re-read and retry")
            }
            E::OrderAlreadyPaid => Described::new(Code::FailedPrecondition, "ORDER_ALREADY_PAID")
                .meta("order_status", "ORDER_STATUS_PAID"),
            // Another service's refusal is the caller's answer: same code, reason and details.
            E::Refused {
                code,
                reason,
                meta,
                fields,
                ..
            } => {
                let mut d = Described::new(*code, reason.clone());
                for (k, v) in meta {
                    d = d.meta(k.clone(), v);
                }
                for (f, why) in fields {
                    d = d.field(f.clone(), why.clone());
                }
                d
            }
            E::PeerUnavailable { service, .. } => Described::new(
                Code::Unavailable,
                match *service {
                    "catalog" => "CATALOG_UNAVAILABLE",
                    "membership" => "MEMBERSHIP_UNAVAILABLE",
                    _ => "IDENTITY_UNAVAILABLE",
                },
            ),
            E::NotAConsumer => Described::new(Code::PermissionDenied, "NOT_A_CONSUMER"),
            E::CartLineNotFound(id) => {
                Described::new(Code::NotFound, "CART_LINE_NOT_FOUND").meta("line_id", id)
            }
            E::CartLineLimitExceeded { limit } => {
                Described::new(Code::FailedPrecondition, "CART_LINE_LIMIT_EXCEEDED")
                    .meta("limit", limit)
            }
            E::CartQuantityLimitExceeded { limit } => {
                Described::new(Code::FailedPrecondition, "CART_QUANTITY_LIMIT_EXCEEDED")
                    .meta("limit", limit)
            }
            E::SkuNotFound(id) => {
                Described::new(Code::NotFound, "SKU_NOT_FOUND").meta("sku_id", id)
            }
            E::SkuNotSellable { sku_id, reason } => {
                Described::new(Code::FailedPrecondition, "SKU_NOT_SELLABLE")
                    .meta("sku_id", sku_id)
                    .meta("unsellable_reason", reason)
            }
            E::StoreUnavailable(id) => {
                Described::new(Code::FailedPrecondition, "STORE_UNAVAILABLE").meta("store_id", id)
            }
            E::FulfilmentModeDisabled(mode) => {
                Described::new(Code::FailedPrecondition, "FULFILMENT_MODE_DISABLED")
                    .meta("mode", mode)
            }
            E::SameCityOutOfRange { max_meters } => {
                Described::new(Code::FailedPrecondition, "SAME_CITY_OUT_OF_RANGE")
                    .meta("max_distance_meters", max_meters)
            }
            E::Payment(err) => super::payments::error::describe(err),
            E::AfterSale(err) => super::after_sales::error::describe(err),
            E::Reconciliation(err) => super::reconciliation::error::describe(err),
            E::Store(err) => Described::store(err),
            E::Internal(_) => Described::new(Code::Internal, "INTERNAL"),
        }
    }
}

siyu_server::status_from!(AppError);

/// The contract's name of a status, for error metadata.
fn status_name(s: crate::app::orders::status::OrderStatus) -> &'static str {
    siyu_proto::orders::v1::OrderStatus::try_from(i32::from(s.number()))
        .map_or("ORDER_STATUS_UNSPECIFIED", |s| s.as_str_name())
}
