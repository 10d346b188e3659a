//! What after-sales and refunds refuse; one variant of [`crate::AppError`], told to callers in
//! `grpc/after_sales/error.rs`.

use uuid::Uuid;

/// A refusal of after-sales or refunds.
#[derive(Debug, thiserror::Error)]
pub enum AfterSaleError {
    /// No such case in the tenant (or not the caller's to see).
    #[error("after-sale case not found")]
    NotFound,
    /// No such refund in the tenant (or not the caller's to see).
    #[error("refund not found")]
    RefundNotFound,
    /// A line id that is not on the order.
    #[error("order line {0} not found")]
    OrderLineNotFound(Uuid),
    /// The order was never paid (pending payment, or cancelled unpaid).
    #[error("order not paid")]
    OrderNotPaid,
    /// The order's after-sales window has passed.
    #[error("after-sale window closed")]
    WindowClosed,
    /// The kind does not fit the order (a return before shipment, a non-goods order).
    #[error("after-sale kind not allowed")]
    KindNotAllowed,
    /// More units than the line has left.
    #[error("line {line} has {refundable} refundable units")]
    ExceedsQuantity {
        /// The order line.
        line: Uuid,
        /// Units still refundable.
        refundable: i32,
    },
    /// More money than is left to refund.
    #[error("at most {refundable_fen} fen refundable")]
    ExceedsAmount {
        /// The order line, when one line is concerned.
        line: Option<Uuid>,
        /// Money still refundable, fen.
        refundable_fen: i64,
    },
    /// The case's status does not allow the change (the AfterSaleStatus number).
    #[error("illegal transition from case status {0}")]
    IllegalTransition(i16),
    /// A top-up whose stored value the member no longer holds in full.
    #[error("top-up already spent: {reversible_fen} fen reversible")]
    TopUpAlreadySpent {
        /// Principal that can still be taken back, fen.
        reversible_fen: i64,
    },
    /// RetryRefund of a refund that does not need attention.
    #[error("refund not retryable")]
    RefundNotRetryable,
}
