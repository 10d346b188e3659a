//! [`AppError`]: everything catalog refuses or fails with, named after the fact. What each one
//! tells a caller (code, reason, details) is decided once, in `grpc/error.rs`.

use siyu_server::PageError;
use siyu_store::StoreError;
use uuid::Uuid;

/// Every error of the service; mapped to `Status` once, in `grpc/error.rs`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Malformed input: (proto field path, description) per field.
    #[error("invalid input")]
    InvalidInput(Vec<(String, String)>),
    /// A page size out of range or a page token this list did not issue.
    #[error("bad page: {0}")]
    BadPage(PageError),
    /// A price that cannot be (≤ 0, not CNY, absurd, sale above list, member above sale).
    #[error("invalid price at {field}")]
    PriceInvalid {
        /// The proto field path.
        field: String,
        /// What is wrong.
        description: String,
    },
    /// SKU specs that are not exactly one known value per spec dimension, or repeat a
    /// combination.
    #[error("spec mismatch at {field}")]
    SpecMismatch {
        /// The proto field path.
        field: String,
        /// What is wrong.
        description: String,
    },
    /// A transfer to the location it leaves from.
    #[error("a transfer needs two locations")]
    SameLocation,
    /// The caller holds none of the method's roles on the org unit acted on (or on the HQ
    /// root, for a tenant-wide act), or acts beyond what its role may change.
    #[error("out of scope: {0}")]
    OutOfScope(String),
    /// No such location in the tenant (or not a store where a store is needed).
    #[error("location not found")]
    LocationNotFound,
    /// No such category in the tenant (or hidden from the caller).
    #[error("category not found")]
    CategoryNotFound,
    /// No such product in the tenant (storefront: none on sale and in the assortment).
    #[error("product not found")]
    ProductNotFound,
    /// No such SKU in the tenant.
    #[error("sku {sku_id} not found")]
    SkuNotFound {
        /// The SKU asked for.
        sku_id: Uuid,
    },
    /// The order has no reservation.
    #[error("reservation not found")]
    ReservationNotFound,
    /// No such transfer in the tenant.
    #[error("transfer not found")]
    TransferNotFound,
    /// A store with this id already exists in the tenant.
    #[error("location exists")]
    LocationExists,
    /// A sibling category already has the name.
    #[error("category name taken")]
    CategoryNameTaken,
    /// Another SKU of the tenant has the SKU code.
    #[error("sku code taken (sku {index})")]
    SkuCodeTaken {
        /// The SKU's index in the request.
        index: usize,
    },
    /// Another SKU of the tenant has the barcode.
    #[error("barcode taken (sku {index})")]
    BarcodeTaken {
        /// The SKU's index in the request.
        index: usize,
    },
    /// The location is suspended or closed.
    #[error("location not active")]
    LocationNotActive,
    /// Closing a location that still holds stock or reservations.
    #[error("location not empty")]
    LocationNotEmpty,
    /// A category (or a moved subtree) would be deeper than 5 levels.
    #[error("category too deep")]
    CategoryTooDeep,
    /// Moving a category under itself or one of its descendants.
    #[error("category cycle")]
    CategoryCycle,
    /// Deleting a category that still has children or products.
    #[error("category not empty")]
    CategoryNotEmpty,
    /// Publishing a product without what a product on sale needs.
    #[error("product incomplete: {missing}")]
    ProductIncomplete {
        /// What is missing, comma-separated (`enabled_sku`, `image`).
        missing: String,
    },
    /// Taking a product off sale that is not on sale.
    #[error("product not on sale")]
    ProductNotOnSale,
    /// Deleting a product that is not a never-published draft.
    #[error("product not a draft")]
    ProductNotDraft,
    /// Reserving a disabled SKU or one whose product is not on sale.
    #[error("sku {sku_id} not sellable")]
    SkuNotSellable {
        /// The SKU.
        sku_id: Uuid,
    },
    /// Not enough available stock for a line.
    #[error("insufficient stock of {sku_id}")]
    InsufficientStock {
        /// The short SKU.
        sku_id: Uuid,
        /// Units asked for.
        requested: i32,
        /// Units available where they were asked for.
        available: i32,
    },
    /// An adjustment would put on-hand below the reserved quantity.
    #[error("stock below reserved")]
    StockBelowReserved {
        /// Units reserved at the pair.
        reserved: i32,
    },
    /// AdjustStock with an `expected_version` the pair no longer has.
    #[error("stock version mismatch")]
    StockVersionMismatch,
    /// Confirming a reservation that was released.
    #[error("reservation released")]
    ReservationReleased,
    /// Confirming a reservation that expired.
    #[error("reservation expired")]
    ReservationExpired,
    /// Releasing a reservation that was confirmed (paid).
    #[error("reservation confirmed")]
    ReservationConfirmed,
    /// Restocking a return of an order whose reservation was never confirmed.
    #[error("reservation not confirmed")]
    ReservationNotConfirmed,
    /// A concurrent transition of the same reservation is still running; retry.
    #[error("reservation busy")]
    ReservationBusy,
    /// Restocking more than was sold of a SKU (or a SKU the order did not sell).
    #[error("restock exceeds sold")]
    RestockExceedsSold,
    /// Shipping a transfer that was cancelled.
    #[error("transfer not created")]
    TransferNotCreated,
    /// Receiving a transfer that was not shipped.
    #[error("transfer not shipped")]
    TransferNotShipped,
    /// Cancelling a transfer that was shipped.
    #[error("transfer already shipped")]
    TransferAlreadyShipped,
    /// The database (or an idempotency record) refused or could not be reached.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A bug or corrupt data; logged, answered masked.
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    /// Malformed input in one field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidInput(vec![(field.into(), description.into())])
    }

    /// The same price or spec refusal, naming `field` instead (a check shared by requests that
    /// name their fields differently).
    #[must_use]
    pub fn at(self, field: impl Into<String>) -> Self {
        let field = field.into();
        match self {
            Self::PriceInvalid { description, .. } => Self::PriceInvalid { field, description },
            Self::SpecMismatch { description, .. } => Self::SpecMismatch { field, description },
            other => other,
        }
    }

    /// True for failures of the infrastructure (database unreachable, a bug, a transition
    /// still running) rather than refusals: an event that met one is worth redelivering.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Store(_) | Self::Internal(_) | Self::ReservationBusy
        )
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        StoreError::from(err).into()
    }
}

impl From<PageError> for AppError {
    fn from(err: PageError) -> Self {
        Self::BadPage(err)
    }
}
