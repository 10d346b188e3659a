//! What each [`AppError`] tells a caller: code, `ErrorInfo` reason, domain and metadata,
//! `BadRequest` field violations. One exhaustive match per question, no catch-all;
//! `siyu_server` renders them the same way in every service (internal errors logged and
//! masked).

use siyu_server::ServiceError;
use siyu_server::error::store_code;
use siyu_store::StoreError;
use tonic::Code;

use crate::error::AppError;

/// The `ErrorInfo.domain` of identity's own failures.
pub const DOMAIN: &str = "identity.siyu";
/// The domain siyu-auth answers token failures in (its constant is not exported).
const AUTH_DOMAIN: &str = "auth.siyu";

impl ServiceError for AppError {
    fn domain(&self) -> &'static str {
        match self {
            // Token failures keep siyu-auth's domain, as every other service answers them.
            Self::Auth(_) => AUTH_DOMAIN,
            _ => DOMAIN,
        }
    }

    fn code(&self) -> Code {
        use AppError as E;
        match self {
            E::InvalidArgument { .. } | E::InvalidWithMeta { .. } | E::BadPage(_) => {
                Code::InvalidArgument
            }
            E::NotFound(_) => Code::NotFound,
            E::AlreadyExists(_) | E::AlreadyExistsWithMeta { .. } => Code::AlreadyExists,
            E::FailedPrecondition(_) | E::AccountLocked { .. } | E::UserMerged { .. } => {
                Code::FailedPrecondition
            }
            E::Aborted(_) => Code::Aborted,
            E::Unauthenticated(_)
            | E::TokenRevoked
            | E::OtpInvalid { .. }
            | E::TotpInvalid { .. } => Code::Unauthenticated,
            E::PermissionDenied(_) => Code::PermissionDenied,
            E::ResourceExhausted { .. } => Code::ResourceExhausted,
            E::Unavailable(_) => Code::Unavailable,
            E::Auth(err) => err.code(),
            E::Store(err) => store_code(err).0,
            E::Internal(_) => Code::Internal,
        }
    }

    fn reason(&self) -> &str {
        use AppError as E;
        match self {
            E::InvalidArgument { reason, .. }
            | E::InvalidWithMeta { reason, .. }
            | E::ResourceExhausted { reason, .. }
            | E::AlreadyExistsWithMeta { reason, .. } => reason,
            E::BadPage(_) => "INVALID_ARGUMENT",
            E::NotFound(reason)
            | E::AlreadyExists(reason)
            | E::FailedPrecondition(reason)
            | E::Aborted(reason)
            | E::Unauthenticated(reason)
            | E::PermissionDenied(reason)
            | E::Unavailable(reason) => reason,
            E::TokenRevoked => "TOKEN_REVOKED",
            E::AccountLocked { .. } => "ACCOUNT_LOCKED",
            E::OtpInvalid { .. } => "OTP_INVALID",
            E::TotpInvalid { .. } => "TOTP_INVALID",
            E::UserMerged { .. } => "USER_MERGED",
            E::Auth(err) => err.reason(),
            E::Store(err) => store_code(err).1,
            E::Internal(_) => "INTERNAL",
        }
    }

    fn metadata(&self) -> Vec<(String, String)> {
        use AppError as E;
        match self {
            E::InvalidWithMeta { meta, .. }
            | E::AlreadyExistsWithMeta { meta, .. }
            | E::ResourceExhausted { meta, .. } => {
                meta.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
            }
            E::AccountLocked { until } => vec![("locked_until".to_owned(), until.clone())],
            E::OtpInvalid { attempts_left } => {
                vec![("attempts_left".to_owned(), attempts_left.to_string())]
            }
            E::TotpInvalid {
                attempts_left: Some(left),
            } => vec![("attempts_left".to_owned(), left.to_string())],
            E::UserMerged { kept_user_id } => {
                vec![("kept_user_id".to_owned(), kept_user_id.clone())]
            }
            E::InvalidArgument { .. }
            | E::BadPage(_)
            | E::NotFound(_)
            | E::AlreadyExists(_)
            | E::FailedPrecondition(_)
            | E::Aborted(_)
            | E::Unauthenticated(_)
            | E::TokenRevoked
            | E::PermissionDenied(_)
            | E::TotpInvalid {
                attempts_left: None,
            }
            | E::Unavailable(_)
            | E::Auth(_)
            | E::Store(_)
            | E::Internal(_) => Vec::new(),
        }
    }

    fn violations(&self) -> Vec<(String, String)> {
        use AppError as E;
        match self {
            E::InvalidArgument { fields, .. } => fields.clone(),
            E::InvalidWithMeta {
                field, description, ..
            } => vec![(field.clone(), description.clone())],
            E::BadPage(err) => vec![(err.field().to_owned(), err.to_string())],
            E::NotFound(_)
            | E::AlreadyExists(_)
            | E::AlreadyExistsWithMeta { .. }
            | E::FailedPrecondition(_)
            | E::AccountLocked { .. }
            | E::Aborted(_)
            | E::Unauthenticated(_)
            | E::TokenRevoked
            | E::PermissionDenied(_)
            | E::ResourceExhausted { .. }
            | E::OtpInvalid { .. }
            | E::TotpInvalid { .. }
            | E::UserMerged { .. }
            | E::Unavailable(_)
            | E::Auth(_)
            | E::Store(_)
            | E::Internal(_) => Vec::new(),
        }
    }

    fn message(&self) -> Option<String> {
        use AppError as E;
        match self {
            // Token failures say only the category, as siyu-auth answers them.
            E::Auth(err) => Some(
                match err.code() {
                    Code::Unauthenticated => "authentication required",
                    Code::Unavailable => "authentication temporarily unavailable",
                    Code::PermissionDenied => "permission denied",
                    Code::NotFound => "not found",
                    _ => "internal error",
                }
                .to_owned(),
            ),
            E::Store(err) => store_message(err),
            E::InvalidArgument { .. }
            | E::InvalidWithMeta { .. }
            | E::BadPage(_)
            | E::NotFound(_)
            | E::AlreadyExists(_)
            | E::AlreadyExistsWithMeta { .. }
            | E::FailedPrecondition(_)
            | E::AccountLocked { .. }
            | E::Aborted(_)
            | E::Unauthenticated(_)
            | E::TokenRevoked
            | E::PermissionDenied(_)
            | E::ResourceExhausted { .. }
            | E::OtpInvalid { .. }
            | E::TotpInvalid { .. }
            | E::UserMerged { .. }
            | E::Unavailable(_)
            | E::Internal(_) => None,
        }
    }
}

/// What a caller may act on after a store failure (the default message is the reason).
fn store_message(err: &StoreError) -> Option<String> {
    if matches!(err, StoreError::KeyReused) {
        Some("idempotency key reused with a different request".to_owned())
    } else if err.is_unavailable() {
        Some("database is unavailable, retry later".to_owned())
    } else {
        None
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
