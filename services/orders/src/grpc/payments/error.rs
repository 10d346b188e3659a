//! What each [`PaymentError`] tells a caller: code, reason, metadata.

use siyu_server::Described;
use tonic::Code;

use crate::app::payments::PaymentError;

/// The code, reason and metadata of `err`.
pub fn describe(err: &PaymentError) -> Described {
    use PaymentError as E;
    match err {
        E::PaymentNotFound => Described::new(Code::NotFound, "PAYMENT_NOT_FOUND"),
        E::OrderNotFound => Described::new(Code::NotFound, "ORDER_NOT_FOUND"),
        E::OrderNotPendingPayment(status) => {
            Described::new(Code::FailedPrecondition, "ORDER_NOT_PENDING_PAYMENT")
                .meta("order_status", order_status(*status))
        }
        E::DeadlinePassed => Described::new(Code::FailedPrecondition, "PAYMENT_DEADLINE_PASSED"),
        E::NothingToPay => Described::new(Code::FailedPrecondition, "NOTHING_TO_PAY"),
        E::PayerOpenidUnknown => Described::new(Code::FailedPrecondition, "PAYER_OPENID_UNKNOWN"),
        E::AlreadySucceeded => {
            Described::new(Code::FailedPrecondition, "PAYMENT_ALREADY_SUCCEEDED")
                .meta("payment_status", "PAYMENT_STATUS_SUCCEEDED")
        }
        E::PayConfigMissing(_) => Described::new(Code::FailedPrecondition, "PAY_CONFIG_MISSING"),
        E::ProviderUnavailable(_) => {
            Described::new(Code::Unavailable, "PAYMENT_PROVIDER_UNAVAILABLE")
        }
        E::NotifyRouteUnknown => Described::new(Code::NotFound, "NOTIFY_ROUTE_UNKNOWN"),
        E::NotGateway(_) => Described::new(Code::PermissionDenied, "PERMISSION_DENIED"),
        E::NotificationStale => Described::new(Code::Unauthenticated, "PAYMENT_NOTIFICATION_STALE"),
        E::SignatureInvalid(_) => {
            Described::new(Code::Unauthenticated, "PAYMENT_SIGNATURE_INVALID")
        }
        E::DecryptionFailed => Described::new(Code::InvalidArgument, "PAYMENT_DECRYPTION_FAILED"),
        E::NotificationMalformed(_) => {
            Described::new(Code::InvalidArgument, "PAYMENT_NOTIFICATION_MALFORMED")
        }
        E::QueryRateLimited => Described::new(Code::ResourceExhausted, "QUERY_RATE_LIMITED"),
    }
}

/// The `OrderStatus` name of a stored status number.
fn order_status(status: i16) -> &'static str {
    match status {
        1 => "ORDER_STATUS_PENDING_PAYMENT",
        2 => "ORDER_STATUS_PAID",
        3 => "ORDER_STATUS_PREPARING",
        4 => "ORDER_STATUS_SHIPPED",
        5 => "ORDER_STATUS_READY_FOR_PICKUP",
        6 => "ORDER_STATUS_COMPLETED",
        7 => "ORDER_STATUS_CANCELLED",
        8 => "ORDER_STATUS_CLOSED",
        _ => "ORDER_STATUS_UNSPECIFIED",
    }
}
