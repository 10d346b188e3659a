//! What each [`AppError`] tells a caller: code, `ErrorInfo` reason and metadata, `BadRequest`
//! field violations — one exhaustive match, no catch-all; `siyu_server` renders it the same way
//! in every service (internal errors logged and masked).

use siyu_server::{Described, ServiceError};
use tonic::Code;

use crate::AppError;

impl ServiceError for AppError {
    fn domain(&self) -> &'static str {
        "content.siyu"
    }

    fn describe(&self) -> Described {
        use AppError as E;
        match self {
            E::InvalidInput(fields) => Described::invalid("INVALID_ARGUMENT", fields.clone()),
            // The page request as a whole: callers resend the list call without a token.
            E::BadPage(err) => Described::invalid(
                "INVALID_ARGUMENT",
                [(err.field().to_owned(), err.to_string())],
            ),
            E::BodyKindMismatch { field } => Described::invalid(
                "BODY_KIND_MISMATCH",
                [(field.clone(), "does not match kind".to_owned())],
            ),
            E::ContentTooLarge { field, max } => Described::invalid(
                "CONTENT_TOO_LARGE",
                [(field.clone(), format!("at most {max} characters"))],
            )
            .meta("field", field)
            .meta("max_chars", max),
            E::ContentRejected { field, why } => {
                Described::invalid("CONTENT_REJECTED", [(field.clone(), why.clone())])
                    .meta("field", field)
            }
            E::ContentNotFound { content_id } => {
                let d = Described::new(Code::NotFound, "CONTENT_NOT_FOUND");
                match content_id {
                    Some(id) => d.meta("content_id", id),
                    None => d,
                }
            }
            E::ContentVersionNotFound { version } => {
                Described::new(Code::NotFound, "CONTENT_VERSION_NOT_FOUND").meta("version", version)
            }
            E::ConcurrentModification => Described::new(Code::Aborted, "CONCURRENT_MODIFICATION")
                .message("the item changed since it was read; re-read and retry"),
            E::ContentArchived => Described::new(Code::FailedPrecondition, "CONTENT_ARCHIVED"),
            E::ContentNotScheduled => {
                Described::new(Code::FailedPrecondition, "CONTENT_NOT_SCHEDULED")
            }
            E::SlotNotFound => Described::new(Code::NotFound, "SLOT_NOT_FOUND"),
            E::SlotCodeTaken => Described::new(Code::AlreadyExists, "SLOT_CODE_TAKEN"),
            E::SlotKindMismatch { content_id } => Described::invalid(
                "SLOT_KIND_MISMATCH",
                [(
                    "placements".to_owned(),
                    format!("content {content_id} does not fit the slot's layout"),
                )],
            )
            .meta("content_id", content_id),
            E::ShareLinkNotFound => Described::new(Code::NotFound, "SHARE_LINK_NOT_FOUND"),
            E::SceneCodeNotFound => Described::new(Code::NotFound, "SCENE_CODE_NOT_FOUND"),
            E::SceneCodeExpired => Described::new(Code::FailedPrecondition, "SCENE_CODE_EXPIRED"),
            E::SourceRequired { field } => Described::invalid(
                "SOURCE_REQUIRED",
                [(field.clone(), "name what the link promotes".to_owned())],
            ),
            E::PermissionDenied => Described::new(Code::PermissionDenied, "PERMISSION_DENIED"),
            E::Store(err) => Described::store(err),
            E::Internal(_) => Described::new(Code::Internal, "INTERNAL"),
        }
    }
}

siyu_server::status_from!(AppError);
