//! What payments refuse or fail with; one variant of [`crate::AppError`], told to callers in
//! `grpc/payments/error.rs`.

/// A refusal or failure of the payments side.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// No such payment in the caller's tenant (or not the caller's).
    #[error("payment not found")]
    PaymentNotFound,
    /// No such order in the caller's tenant (or not the caller's).
    #[error("order not found")]
    OrderNotFound,
    /// The order is not waiting for payment.
    #[error("order is not pending payment (status {0})")]
    OrderNotPendingPayment(i16),
    /// The order's payment deadline has passed.
    #[error("payment deadline passed")]
    DeadlinePassed,
    /// The order has nothing to collect through WeChat.
    #[error("nothing to pay")]
    NothingToPay,
    /// The payer has no openid in the app.
    #[error("payer openid unknown")]
    PayerOpenidUnknown,
    /// The PSP says the attempt was paid: the success was applied.
    #[error("payment already succeeded")]
    AlreadySucceeded,
    /// The tenant has no usable WeChat Pay configuration.
    #[error("pay config missing: {0}")]
    PayConfigMissing(String),
    /// WeChat Pay failed or timed out: retry.
    #[error("payment provider unavailable: {0}")]
    ProviderUnavailable(String),
    /// A notify route key this service did not issue.
    #[error("notify route unknown")]
    NotifyRouteUnknown,
    /// The notification's caller is not the gateway's service token.
    #[error("caller is not the gateway: {0}")]
    NotGateway(&'static str),
    /// The notification's timestamp is outside ±300 s.
    #[error("notification stale")]
    NotificationStale,
    /// The notification's signature does not verify (or a probe, or an unknown serial).
    #[error("signature invalid: {0}")]
    SignatureInvalid(String),
    /// The resource does not decrypt.
    #[error("decryption failed")]
    DecryptionFailed,
    /// A header is missing, the body is not the envelope, or the resource is unreadable.
    #[error("notification malformed: {0}")]
    NotificationMalformed(String),
    /// A consumer queried the same payment again within 5 seconds.
    #[error("query rate limited")]
    QueryRateLimited,
}
