//! [`AppError`]: everything membership refuses or fails with, named after the fact. What each
//! one tells a caller (code, reason, details) is decided once, in `grpc/error.rs`.

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
    /// A birthday that is not a real date, or lies in the future.
    #[error("invalid birthday at {field}")]
    InvalidBirthday {
        /// The proto field path.
        field: String,
    },
    /// A card number that is not 8 to 20 digits, or one a consumer may not choose.
    #[error("invalid card number: {0}")]
    InvalidCardNumber(String),
    /// An update-mask path the message does not have (or may not change).
    #[error("unknown field path {0}")]
    UnknownFieldPath(String),
    /// An amount in another currency than CNY.
    #[error("currency not supported at {field}")]
    CurrencyNotSupported {
        /// The proto field path.
        field: String,
    },
    /// The caller may not act on this member, unit or with this purpose.
    #[error("out of scope: {0}")]
    OutOfScope(String),
    /// The caller may not change this field (a consumer changing a set birthday).
    #[error("field {0} not editable")]
    FieldNotEditable(String),
    /// No such member in the tenant (or not the consumer's own).
    #[error("member not found")]
    MemberNotFound,
    /// No such segment in the tenant.
    #[error("segment not found")]
    SegmentNotFound,
    /// No such earning rule in the tenant.
    #[error("earning rule not found")]
    EarningRuleNotFound,
    /// No such top-up plan in the tenant.
    #[error("top-up plan not found")]
    TopUpPlanNotFound,
    /// No top-up was credited for the order.
    #[error("top-up not found")]
    TopUpNotFound,
    /// The order has no hold of the kind.
    #[error("hold not found")]
    HoldNotFound,
    /// Another member of the tenant has the card number.
    #[error("card number taken")]
    CardNumberTaken,
    /// A business key already applied to a different request.
    #[error("ledger key {key} conflicts")]
    LedgerKeyConflict {
        /// The business key.
        key: String,
    },
    /// A repeated hold of an order with another member or amount.
    #[error("hold mismatch")]
    HoldMismatch,
    /// The member is frozen.
    #[error("member frozen")]
    MemberFrozen,
    /// The member is closed.
    #[error("member closed")]
    MemberClosed,
    /// A dynamic member code past its validity.
    #[error("member code expired")]
    MemberCodeExpired,
    /// The rule is disabled or outside its window.
    #[error("earning rule disabled")]
    EarningRuleDisabled,
    /// The rule's daily cap is used up.
    #[error("earning cap reached")]
    EarningCapReached,
    /// The tenant has no enabled CHECK_IN rule in force.
    #[error("check-in disabled")]
    CheckInDisabled,
    /// Another enabled rule of the trigger overlaps in time.
    #[error("earning rule overlap")]
    EarningRuleOverlap,
    /// Not enough available points.
    #[error("points insufficient")]
    PointsInsufficient {
        /// Points available.
        available: i64,
        /// Points asked for.
        requested: i64,
    },
    /// Not enough available stored value.
    #[error("stored value insufficient")]
    StoredValueInsufficient {
        /// Fen available (principal + bonus, or the account adjusted).
        available: i64,
        /// Fen asked for.
        requested: i64,
    },
    /// The tenant has not enabled stored value.
    #[error("stored value disabled")]
    StoredValueDisabled,
    /// The order's hold was captured, or released without `revive`.
    #[error("hold already settled")]
    HoldAlreadySettled,
    /// Capturing a released hold.
    #[error("hold already released")]
    HoldAlreadyReleased,
    /// Releasing a captured hold.
    #[error("hold already captured")]
    HoldAlreadyCaptured,
    /// Refunding a hold that was not captured.
    #[error("hold not captured")]
    HoldNotCaptured,
    /// Refunds beyond what was captured.
    #[error("refund exceeds captured")]
    RefundExceedsCaptured,
    /// `amount_paid` is not the plan's pay amount.
    #[error("top-up amount mismatch")]
    TopUpAmountMismatch,
    /// The top-up's stored value was already spent (or reversed).
    #[error("top-up already spent")]
    TopUpAlreadySpent {
        /// The largest amount that could be reversed now, fen.
        reversible_amount: i64,
    },
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
