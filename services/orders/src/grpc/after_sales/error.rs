//! What each [`AfterSaleError`] tells a caller: code, reason, metadata.

use siyu_server::Described;
use tonic::Code;

use crate::app::after_sales::AfterSaleError;

/// The code, reason and metadata of `err`.
pub fn describe(err: &AfterSaleError) -> Described {
    use AfterSaleError as E;
    match err {
        E::NotFound => Described::new(Code::NotFound, "AFTER_SALE_NOT_FOUND"),
        E::RefundNotFound => Described::new(Code::NotFound, "REFUND_NOT_FOUND"),
        E::OrderLineNotFound(id) => {
            Described::new(Code::NotFound, "ORDER_LINE_NOT_FOUND").meta("order_line_id", id)
        }
        E::OrderNotPaid => Described::new(Code::FailedPrecondition, "ORDER_NOT_PAID"),
        E::WindowClosed => Described::new(Code::FailedPrecondition, "AFTER_SALE_WINDOW_CLOSED"),
        E::KindNotAllowed => {
            Described::new(Code::FailedPrecondition, "AFTER_SALE_KIND_NOT_ALLOWED")
        }
        E::ExceedsQuantity { line, refundable } => {
            Described::new(Code::FailedPrecondition, "REFUND_EXCEEDS_PAID")
                .meta("order_line_id", line)
                .meta("refundable_quantity", refundable)
        }
        E::ExceedsAmount {
            line,
            refundable_fen,
        } => {
            let d = Described::new(Code::FailedPrecondition, "REFUND_EXCEEDS_PAID")
                .meta("refundable_amount", refundable_fen);
            match line {
                Some(line) => d.meta("order_line_id", line),
                None => d,
            }
        }
        E::IllegalTransition(status) => {
            let name = siyu_proto::orders::v1::AfterSaleStatus::try_from(i32::from(*status))
                .map_or("AFTER_SALE_STATUS_UNSPECIFIED", |s| s.as_str_name());
            Described::new(Code::FailedPrecondition, "ILLEGAL_TRANSITION")
                .meta("after_sale_status", name)
        }
        E::TopUpAlreadySpent { reversible_fen } => {
            Described::new(Code::FailedPrecondition, "TOP_UP_ALREADY_SPENT")
                .meta("reversible_amount", reversible_fen)
        }
        E::RefundNotRetryable => Described::new(Code::FailedPrecondition, "REFUND_NOT_RETRYABLE"),
    }
}
