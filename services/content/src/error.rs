//! [`AppError`]: everything content refuses or fails with, named after the fact. What each one
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
    /// The body set does not match the item's kind (a banner body on an article).
    #[error("body does not match kind")]
    BodyKindMismatch {
        /// The proto field path of the body.
        field: String,
    },
    /// A field longer than the contract allows (the markdown body above 200,000 chars).
    #[error("{field} too large")]
    ContentTooLarge {
        /// The proto field path.
        field: String,
        /// The limit, in characters.
        max: usize,
    },
    /// The content fails the content check: raw HTML, a script or an unsafe link.
    #[error("content rejected at {field}: {why}")]
    ContentRejected {
        /// The proto field path.
        field: String,
        /// What was found.
        why: String,
    },
    /// No such content item in the tenant (or outside the caller's scope).
    #[error("content not found")]
    ContentNotFound {
        /// The id, when the request named several (placements).
        content_id: Option<Uuid>,
    },
    /// The item exists but not this version.
    #[error("content version {version} not found")]
    ContentVersionNotFound {
        /// The version asked for.
        version: i32,
    },
    /// The etag the caller sent is not the current one.
    #[error("concurrent modification")]
    ConcurrentModification,
    /// An archived item cannot be edited, or is no longer shown to consumers.
    #[error("content archived")]
    ContentArchived,
    /// UnscheduleContent on an item that is not SCHEDULED.
    #[error("content not scheduled")]
    ContentNotScheduled,
    /// No such slot in the tenant.
    #[error("slot not found")]
    SlotNotFound,
    /// Another slot of the tenant has the code.
    #[error("slot code taken")]
    SlotCodeTaken,
    /// An item of a kind the slot's layout does not show.
    #[error("content {content_id} does not fit the slot's layout")]
    SlotKindMismatch {
        /// The placed item.
        content_id: Uuid,
    },
    /// No such share link in the tenant (or not one of the caller's).
    #[error("share link not found")]
    ShareLinkNotFound,
    /// No live link has the scene code (unknown or disabled).
    #[error("scene code not found")]
    SceneCodeNotFound,
    /// The scene code's link is past its expiry.
    #[error("scene code expired")]
    SceneCodeExpired,
    /// A share link names no source (or not the one its kind needs).
    #[error("share source required at {field}")]
    SourceRequired {
        /// The proto field path.
        field: String,
    },
    /// The caller's role does not allow this (a guide naming another guide).
    #[error("permission denied")]
    PermissionDenied,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A broken invariant or an unreadable stored value (logged, masked to the caller).
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    /// One field violation.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidInput(vec![(field.into(), description.into())])
    }

    /// CONTENT_NOT_FOUND for a request naming one item.
    pub fn content_not_found() -> Self {
        Self::ContentNotFound { content_id: None }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Store(StoreError::from(err))
    }
}

impl From<PageError> for AppError {
    fn from(err: PageError) -> Self {
        Self::BadPage(err)
    }
}
