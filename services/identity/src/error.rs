//! The one error type of the identity crate: the domain (`app`), the key ring and the event
//! builders all fail with it. Reasons are the stable `ErrorInfo.reason` strings the proto
//! comments document; `grpc/error.rs` maps each variant to a gRPC code.

use std::collections::BTreeMap;

/// Everything an identity operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: (proto field, description) pairs; `reason` defaults to INVALID_ARGUMENT.
    #[error("invalid argument ({reason})")]
    InvalidArgument {
        /// The ErrorInfo reason.
        reason: &'static str,
        /// Field violations.
        fields: Vec<(String, String)>,
    },
    /// Bad input whose ErrorInfo carries metadata (e.g. UNKNOWN_SCOPE names the `scope`).
    #[error("invalid argument ({reason})")]
    InvalidWithMeta {
        /// The ErrorInfo reason.
        reason: &'static str,
        /// The proto field.
        field: String,
        /// What is wrong with it.
        description: String,
        /// ErrorInfo metadata.
        meta: BTreeMap<String, String>,
    },
    /// The thing does not exist in the caller's tenant.
    #[error("not found ({0})")]
    NotFound(&'static str),
    /// A uniqueness rule was hit.
    #[error("already exists ({0})")]
    AlreadyExists(&'static str),
    /// A uniqueness rule was hit and the ErrorInfo names the holder (e.g. IDENTITY_ALREADY_LINKED
    /// with `user_id`).
    #[error("already exists ({reason})")]
    AlreadyExistsWithMeta {
        /// The ErrorInfo reason.
        reason: &'static str,
        /// ErrorInfo metadata.
        meta: BTreeMap<String, String>,
    },
    /// The state does not allow the operation.
    #[error("failed precondition ({0})")]
    FailedPrecondition(&'static str),
    /// The account is locked until the given time (RFC 3339).
    #[error("account locked")]
    AccountLocked {
        /// When the lock ends.
        until: String,
    },
    /// A concurrent change won (stale etag).
    #[error("aborted ({0})")]
    Aborted(&'static str),
    /// Credentials or tokens were refused.
    #[error("unauthenticated ({0})")]
    Unauthenticated(&'static str),
    /// The caller may not do this.
    #[error("permission denied ({0})")]
    PermissionDenied(&'static str),
    /// A rate or quota limit was hit.
    #[error("resource exhausted ({reason})")]
    ResourceExhausted {
        /// The ErrorInfo reason.
        reason: &'static str,
        /// ErrorInfo metadata (e.g. `retry_after_seconds`).
        meta: BTreeMap<String, String>,
    },
    /// A wrong OTP (UNAUTHENTICATED OTP_INVALID with `attempts_left`).
    #[error("otp invalid")]
    OtpInvalid {
        /// Attempts left before the OTP is void.
        attempts_left: i32,
    },
    /// A wrong or reused TOTP / recovery code (UNAUTHENTICATED TOTP_INVALID, with
    /// `attempts_left` when the failure counted toward the lockout).
    #[error("totp invalid")]
    TotpInvalid {
        /// Failures left before the account locks.
        attempts_left: Option<i32>,
    },
    /// The named user was merged into another (FAILED_PRECONDITION USER_MERGED).
    #[error("user merged")]
    UserMerged {
        /// The user it was merged into.
        kept_user_id: String,
    },
    /// The token verified, but its session (or partner client generation) was revoked since
    /// (UNAUTHENTICATED TOKEN_REVOKED).
    #[error("token revoked")]
    TokenRevoked,
    /// A page size out of range or a page token this list did not issue.
    #[error("bad page: {0}")]
    BadPage(#[from] siyu_server::PageError),
    /// A dependency (WeChat, database) is down.
    #[error("unavailable ({0})")]
    Unavailable(&'static str),
    /// Token verification failed (answered with siyu-auth's reasons).
    #[error("auth: {0}")]
    Auth(#[from] siyu_auth::AuthError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] siyu_store::StoreError),
    /// A bug or corrupt data; logged, answered masked.
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    /// INVALID_ARGUMENT with reason INVALID_ARGUMENT for one field.
    pub fn invalid(field: &str, description: &str) -> Self {
        Self::InvalidArgument {
            reason: "INVALID_ARGUMENT",
            fields: vec![(field.to_owned(), description.to_owned())],
        }
    }

    /// INVALID_ARGUMENT with a specific reason for one field.
    pub fn invalid_with(reason: &'static str, field: &str, description: &str) -> Self {
        Self::InvalidArgument {
            reason,
            fields: vec![(field.to_owned(), description.to_owned())],
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Store(siyu_store::StoreError::from(err))
    }
}

impl From<crate::crypto::CryptoError> for AppError {
    fn from(err: crate::crypto::CryptoError) -> Self {
        Self::Internal(err.to_string())
    }
}
