//! The one error type of this crate; services map it to their own errors at the call site.

use thiserror::Error;

/// Everything that can go wrong in the store: database, cache, bus, idempotency and jobs.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The backend could not be reached (connection refused, pool timeout, server gone).
    /// Services answer `UNAVAILABLE`: the caller may retry.
    #[error("{backend} unavailable: {message}")]
    Unavailable {
        /// Which backend: `database`, `cache` or `bus`.
        backend: &'static str,
        /// The underlying cause, without secrets.
        message: String,
    },
    /// A database statement failed for a reason other than connectivity.
    #[error("database error: {0}")]
    Db(#[source] sea_orm::DbErr),
    /// A cache command failed.
    #[error("cache error: {0}")]
    Cache(String),
    /// A bus operation failed.
    #[error("bus error: {0}")]
    Bus(String),
    /// The URL names a scheme this crate does not support, or cannot be parsed.
    #[error("unsupported or malformed url for {what}: {reason}")]
    BadUrl {
        /// What the URL was for: `database`, `cache` or `bus`.
        what: &'static str,
        /// Why it was refused (never the URL itself: it may carry a password).
        reason: String,
    },
    /// An idempotency key was reused with a different request; services answer `ALREADY_EXISTS`.
    #[error("idempotency key reused with a different request")]
    KeyReused,
    /// A job or lease was completed by an owner that no longer holds it (the lease expired
    /// and another runner may have claimed the row).
    #[error("lease lost on {what}")]
    LeaseLost {
        /// The job id or lease name.
        what: String,
    },
    /// A stored row could not be decoded (a bug or manual tampering).
    #[error("corrupt row in {table}: {reason}")]
    Corrupt {
        /// The table the row came from.
        table: &'static str,
        /// What was wrong.
        reason: String,
    },
}

impl StoreError {
    /// True when retrying later may succeed (the backend was unreachable).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

impl From<sea_orm::DbErr> for StoreError {
    fn from(err: sea_orm::DbErr) -> Self {
        use sea_orm::{DbErr, RuntimeErr, SqlxError};
        let lost = match &err {
            DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => true,
            // A connection that dies mid-statement surfaces as an exec/query error.
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                matches!(
                    e.as_ref(),
                    SqlxError::Io(_)
                        | SqlxError::PoolTimedOut
                        | SqlxError::PoolClosed
                        | SqlxError::WorkerCrashed
                )
            }
            _ => false,
        };
        if lost {
            Self::Unavailable {
                backend: "database",
                message: err.to_string(),
            }
        } else {
            Self::Db(err)
        }
    }
}

impl From<redis::RedisError> for StoreError {
    fn from(err: redis::RedisError) -> Self {
        if err.is_io_error()
            || err.is_connection_dropped()
            || err.is_connection_refusal()
            || err.is_timeout()
        {
            Self::Unavailable {
                backend: "cache",
                message: err.to_string(),
            }
        } else {
            Self::Cache(err.to_string())
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
