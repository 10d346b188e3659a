//! [`AppError`]: everything orders refuses or fails with, named after the fact. What each one
//! tells a caller (code, reason, details) is decided once, in `grpc/error.rs`.

use std::collections::BTreeMap;

use siyu_server::PageError;
use siyu_store::StoreError;

/// Every error of the service; mapped to `Status` once, in `grpc/error.rs`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Malformed input: (proto field path, description) per field.
    #[error("invalid input")]
    InvalidInput(Vec<(String, String)>),
    /// A page size out of range or a page token this list did not issue.
    #[error("bad page: {0}")]
    BadPage(PageError),
    /// The checkout key was used for another request.
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    /// The checkout of this key is running right now.
    #[error("checkout in progress")]
    CheckoutInProgress,
    /// A checkout without an idempotency key.
    #[error("idempotency key required")]
    IdempotencyKeyRequired,
    /// No such order in the tenant (or not the caller's to see).
    #[error("order not found")]
    OrderNotFound,
    /// Coupons, points, stored value or a plan asked for by someone who is not a member.
    #[error("member required")]
    MemberRequired,
    /// A cart checkout with no selected, sellable line.
    #[error("cart empty")]
    CartEmpty,
    /// Stored value asked for while the tenant has it off.
    #[error("stored value disabled")]
    StoredValueDisabled,
    /// No top-up plan with the id in the tenant.
    #[error("top-up plan not found")]
    TopUpPlanNotFound,
    /// No paid plan with the id in the tenant.
    #[error("paid plan not found")]
    PaidPlanNotFound,
    /// The plan exists but cannot be bought now (off sale or outside its window).
    #[error("plan not on sale")]
    PlanNotOnSale,
    /// The fulfilment cannot serve the order (the quote's undeliverable reason).
    #[error("undeliverable: {0}")]
    Undeliverable(String),
    /// The payable differs from what the consumer saw.
    #[error("price changed: expected {expected}, now {current}")]
    PriceChanged {
        /// What the consumer saw, fen.
        expected: i64,
        /// What it is now, fen.
        current: i64,
    },
    /// The order's status does not allow the change.
    #[error("illegal transition from {from:?}")]
    IllegalTransition {
        /// The status it is in.
        from: crate::app::orders::status::OrderStatus,
    },
    /// A named store outside the staff's org subtree.
    #[error("store {0} out of scope")]
    StoreOutOfScope(uuid::Uuid),
    /// An open after-sale case blocks the fulfilment step.
    #[error("after-sale in progress")]
    AfterSaleInProgress,
    /// No open pickup order of the store has the code (or it names another order).
    #[error("pickup code invalid")]
    PickupCodeInvalid,
    /// Ten wrong pickup codes by this staff at this store in ten minutes.
    #[error("pickup code attempts exceeded")]
    PickupCodeAttemptsExceeded,
    /// The order settings changed since `expected_version` was read.
    #[error("settings version conflict: current {current}")]
    SettingsVersionConflict {
        /// The current version.
        current: i64,
    },
    /// Closing the PSP attempt found the order paid: it is PAID and cannot be cancelled.
    #[error("order already paid")]
    OrderAlreadyPaid,
    /// A refusal of another service that the caller must see as is (INSUFFICIENT_STOCK,
    /// COUPON_UNAVAILABLE, POINTS_INSUFFICIENT…): its code, reason and metadata pass through.
    #[error("{service} refused: {reason}")]
    Refused {
        /// The service that refused (`catalog`, `membership`, `identity`).
        service: &'static str,
        /// The gRPC code it answered.
        code: tonic::Code,
        /// Its `ErrorInfo` reason.
        reason: String,
        /// Its `ErrorInfo` metadata.
        meta: BTreeMap<String, String>,
        /// Its field violations, if it refused the input.
        fields: Vec<(String, String)>,
    },
    /// Another service could not be reached or failed (`CATALOG_UNAVAILABLE`…): retry.
    #[error("{service} unavailable: {detail}")]
    PeerUnavailable {
        /// The service (`catalog`, `membership`, `identity`).
        service: &'static str,
        /// What went wrong, for the log.
        detail: String,
    },
    /// A cart RPC by a principal that is not a consumer.
    #[error("not a consumer")]
    NotAConsumer,
    /// A line id that is not in the caller's cart.
    #[error("cart line {0} not found")]
    CartLineNotFound(uuid::Uuid),
    /// Adding the SKU would make the cart hold more than `limit` lines.
    #[error("cart line limit {limit} exceeded")]
    CartLineLimitExceeded {
        /// The limit.
        limit: usize,
    },
    /// The line's resulting quantity would be above `limit`.
    #[error("cart quantity limit {limit} exceeded")]
    CartQuantityLimitExceeded {
        /// The limit.
        limit: i32,
    },
    /// Catalog does not know the SKU.
    #[error("sku {0} not found")]
    SkuNotFound(uuid::Uuid),
    /// The SKU cannot be bought for the cart's store and channel (catalog's reason).
    #[error("sku {sku_id} not sellable: {reason}")]
    SkuNotSellable {
        /// The SKU.
        sku_id: uuid::Uuid,
        /// Catalog's unsellable reason.
        reason: String,
    },
    /// The store is unknown, disabled, or does not offer the mode.
    #[error("store {0} unavailable")]
    StoreUnavailable(uuid::Uuid),
    /// The tenant turned the fulfilment mode off in its order settings.
    #[error("fulfilment mode {0} disabled")]
    FulfilmentModeDisabled(&'static str),
    /// The address is beyond the same-city radius of the store.
    #[error("address beyond {max_meters} m of the store")]
    SameCityOutOfRange {
        /// The radius, metres.
        max_meters: i32,
    },
    /// A payments refusal or failure (told to callers in `grpc/payments/error.rs`).
    #[error(transparent)]
    Payment(#[from] crate::app::payments::PaymentError),
    /// An after-sales or refund refusal (told to callers in `grpc/after_sales/error.rs`).
    #[error(transparent)]
    AfterSale(#[from] crate::app::after_sales::AfterSaleError),
    /// A reconciliation refusal (told to callers in `grpc/reconciliation/error.rs`).
    #[error(transparent)]
    Reconciliation(#[from] crate::app::reconciliation::ReconciliationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A broken invariant or an unreadable stored value (logged, masked to the caller).
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    /// One field violation.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidInput(vec![(field.into(), description.into())])
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Store(StoreError::from(err))
    }
}

impl From<PageError> for AppError {
    fn from(err: PageError) -> Self {
        Self::BadPage(err)
    }
}
