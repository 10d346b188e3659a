//! Domain logic of catalog and inventory in plain Rust: no tonic, no sea-orm entity types.
//!
//! Every operation takes the tenant (from the caller's `Ctx`) and runs inside a transaction the
//! caller opened (`begin_write`, or the one `Idempotency::run` opened), so the effect, its
//! movements, its outbox events and its idempotency record commit or roll back together.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use siyu_core::Clock;
use siyu_store::StoreError;

pub mod access;
pub mod allocation;
pub mod assortment;
pub mod categories;
pub mod domain;
pub mod expiry;
pub mod locations;
pub mod lowstock;
pub mod prices;
pub mod pricing;
pub mod product;
pub mod products;
pub mod reservations;
pub mod stock;
pub mod storefront;
pub mod sync;
pub mod transfers;

/// Absurd quantities are refused at the edge: no SKU moves a million units in one line.
pub const MAX_QUANTITY: i32 = 1_000_000;

/// Everything that can go wrong in the app layer; mapped to `Status` once, in `grpc/error.rs`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Malformed input: (proto field path, description) pairs.
    #[error("invalid argument")]
    InvalidArgument(Vec<(String, String)>),
    /// The caller may not do this.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// A resource of the caller's tenant does not exist (reason e.g. LOCATION_NOT_FOUND).
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// A SKU of the caller's tenant does not exist.
    #[error("sku not found")]
    SkuNotFound {
        /// The SKU.
        sku_id: String,
    },
    /// A SKU exists but cannot be sold (disabled, product not on sale).
    #[error("sku not sellable")]
    SkuNotSellable {
        /// The SKU.
        sku_id: String,
    },
    /// Not enough available stock for a line.
    #[error("insufficient stock")]
    InsufficientStock {
        /// The short SKU.
        sku_id: String,
        /// Units asked for.
        requested: i32,
        /// Units available where it was asked for.
        available: i32,
    },
    /// An adjustment would put on-hand below the reserved quantity.
    #[error("stock below reserved")]
    StockBelowReserved {
        /// Units reserved at the pair.
        reserved: i32,
    },
    /// A state precondition failed (reason e.g. LOCATION_NOT_ACTIVE, RESERVATION_EXPIRED).
    #[error("failed precondition: {0}")]
    Precondition(&'static str),
    /// PublishProduct without what a product on sale needs (FAILED_PRECONDITION
    /// PRODUCT_INCOMPLETE, metadata `missing`).
    #[error("product incomplete: {0}")]
    Incomplete(String),
    /// The resource already exists (reason e.g. LOCATION_EXISTS).
    #[error("already exists: {0}")]
    AlreadyExists(&'static str),
    /// Input refused with a documented reason (PRICE_INVALID, SPEC_MISMATCH…) and the field.
    #[error("rejected: {reason}")]
    Rejected {
        /// ErrorInfo reason.
        reason: &'static str,
        /// The proto field path.
        field: String,
        /// What is wrong.
        description: String,
    },
    /// A unique code of a SKU is taken (SKU_CODE_TAKEN, BARCODE_TAKEN).
    #[error("taken: {reason}")]
    Taken {
        /// ErrorInfo reason.
        reason: &'static str,
        /// The SKU's index in the request.
        index: usize,
    },
    /// The idempotency key was used before with another request.
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    /// The database (or bus) is unreachable; the caller may retry.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or corrupt data; logged, returned masked.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable { .. } => Self::Unavailable(err.to_string()),
            StoreError::KeyReused => Self::IdempotencyKeyReused,
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        StoreError::from(err).into()
    }
}

/// Shorthand for a reasoned `InvalidArgument` (`Rejected`).
pub fn rejected(
    reason: &'static str,
    field: impl Into<String>,
    description: impl Into<String>,
) -> AppError {
    AppError::Rejected {
        reason,
        field: field.into(),
        description: description.into(),
    }
}

/// Shorthand for a single-field `InvalidArgument`.
pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> AppError {
    AppError::InvalidArgument(vec![(field.into(), description.into())])
}

/// The app layer's handles: the database and the clock.
#[derive(Debug, Clone)]
pub struct App {
    /// The catalog database.
    pub db: DatabaseConnection,
    /// Source of "now".
    pub clock: Arc<dyn Clock>,
}

impl App {
    /// An app over `db` with `clock`.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    /// Now, in milliseconds since the epoch (how the schema stores compared timestamps).
    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }
}
