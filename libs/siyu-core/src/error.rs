//! Errors from parsing and arithmetic on core types.

/// What can go wrong with the core value types. Each variant names what was wrong so the
/// service edge can turn it into a field violation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// A field that must hold a UUID did not.
    #[error("{field} is not a valid id")]
    InvalidId {
        /// The offending field.
        field: String,
    },
    /// Money arithmetic overflowed `i64` minor units.
    #[error("money amount overflow")]
    MoneyOverflow,
    /// Two amounts of different currencies were combined.
    #[error("currency mismatch: {left} vs {right}")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: String,
        /// Currency of the right operand.
        right: String,
    },
    /// A currency code that is not three upper-case ASCII letters.
    #[error("invalid currency code")]
    InvalidCurrency,
    /// An allocation was asked with no weights or weights summing to zero or less.
    #[error("invalid allocation weights")]
    InvalidWeights,
    /// A page token that this service did not issue or cannot read.
    #[error("invalid page token")]
    InvalidPageToken,
    /// A page size outside the accepted range.
    #[error("page_size must be between 0 and {max}")]
    InvalidPageSize {
        /// The largest accepted page size.
        max: u32,
    },
}
