//! What each [`AppError`] tells a caller — code, `ErrorInfo` reason, domain and metadata,
//! `BadRequest` field violations — in one exhaustive match, no catch-all; `siyu_server`
//! renders it the same way in every service (internal errors logged and masked).

use siyu_server::{Described, ServiceError};
use tonic::Code;

use crate::error::AppError;

/// The `ErrorInfo.domain` of identity's own failures.
pub const DOMAIN: &str = "identity.siyu";

impl ServiceError for AppError {
    fn domain(&self) -> &'static str {
        match self {
            // Token failures keep siyu-auth's domain, as every other service answers them.
            Self::Auth(_) => siyu_auth::ERROR_DOMAIN,
            _ => DOMAIN,
        }
    }

    fn describe(&self) -> Described {
        use AppError as E;
        let metadata =
            |meta: &std::collections::BTreeMap<String, String>| meta.clone().into_iter().collect();
        match self {
            E::InvalidArgument { reason, fields } => Described::invalid(*reason, fields.clone()),
            E::InvalidWithMeta {
                reason,
                field,
                description,
                meta,
            } => Described {
                metadata: metadata(meta),
                ..Described::invalid(*reason, [(field.clone(), description.clone())])
            },
            E::BadPage(err) => {
                Described::invalid("INVALID_ARGUMENT", [(err.field().into(), err.to_string())])
            }
            E::NotFound(reason) => Described::new(Code::NotFound, *reason),
            E::AlreadyExists(reason) => Described::new(Code::AlreadyExists, *reason),
            E::AlreadyExistsWithMeta { reason, meta } => Described {
                metadata: metadata(meta),
                ..Described::new(Code::AlreadyExists, *reason)
            },
            E::FailedPrecondition(reason) => Described::new(Code::FailedPrecondition, *reason),
            E::AccountLocked { until } => {
                Described::new(Code::FailedPrecondition, "ACCOUNT_LOCKED")
                    .meta("locked_until", until)
            }
            E::UserMerged { kept_user_id } => {
                Described::new(Code::FailedPrecondition, "USER_MERGED")
                    .meta("kept_user_id", kept_user_id)
            }
            E::Aborted(reason) => Described::new(Code::Aborted, *reason),
            E::Unauthenticated(reason) => Described::new(Code::Unauthenticated, *reason),
            E::TokenRevoked => Described::new(Code::Unauthenticated, "TOKEN_REVOKED"),
            E::OtpInvalid { attempts_left } => Described::new(Code::Unauthenticated, "OTP_INVALID")
                .meta("attempts_left", attempts_left),
            E::TotpInvalid { attempts_left } => {
                let described = Described::new(Code::Unauthenticated, "TOTP_INVALID");
                match attempts_left {
                    Some(left) => described.meta("attempts_left", left),
                    None => described,
                }
            }
            E::PermissionDenied(reason) => Described::new(Code::PermissionDenied, *reason),
            E::ResourceExhausted { reason, meta } => Described {
                metadata: metadata(meta),
                ..Described::new(Code::ResourceExhausted, *reason)
            },
            E::Unavailable(reason) => Described::new(Code::Unavailable, *reason),
            // Token failures say only the category, as siyu-auth answers them.
            E::Auth(err) => Described::new(err.code(), err.reason()).message(match err.code() {
                Code::Unauthenticated => "authentication required",
                Code::Unavailable => "authentication temporarily unavailable",
                Code::PermissionDenied => "permission denied",
                Code::NotFound => "not found",
                _ => "internal error",
            }),
            E::Store(err) => Described::store(err),
            E::Internal(_) => Described::new(Code::Internal, "INTERNAL"),
        }
    }
}

siyu_server::status_from!(AppError);

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use tonic::Status;
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn field_errors_name_the_field_in_identitys_domain() {
        let status = Status::from(AppError::invalid("staff_id", "must be a UUID"));
        assert_eq!(status.code(), Code::InvalidArgument);
        let info = status.get_details_error_info().unwrap();
        assert_eq!(
            (info.reason.as_str(), info.domain.as_str()),
            ("INVALID_ARGUMENT", DOMAIN)
        );
        let fields = status.get_details_bad_request().unwrap().field_violations;
        assert_eq!(fields[0].field, "staff_id");
    }

    #[test]
    fn metadata_and_auth_domains_are_kept() {
        let status = Status::from(AppError::InvalidWithMeta {
            reason: "UNKNOWN_SCOPE",
            field: "scopes".into(),
            description: "unknown".into(),
            meta: BTreeMap::from([("scope".to_owned(), "x.y".to_owned())]),
        });
        let info = status.get_details_error_info().unwrap();
        assert_eq!(info.metadata["scope"], "x.y");
        let status = Status::from(AppError::Auth(siyu_auth::AuthError::Expired));
        let info = status.get_details_error_info().unwrap();
        assert_eq!(
            (info.reason.as_str(), info.domain.as_str()),
            ("TOKEN_EXPIRED", "auth.siyu")
        );
        let status = Status::from(AppError::Internal("db password=x".into()));
        assert_eq!(status.message(), "internal error");
    }
}
