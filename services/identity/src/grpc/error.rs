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
            E::AlreadyExistsWithMeta { reason, meta } => Described {
                metadata: metadata(meta),
                ..Described::new(Code::AlreadyExists, *reason)
            },
            E::AppNotFound => Described::new(Code::NotFound, "APP_NOT_FOUND"),
            E::AuditEntryNotFound => Described::new(Code::NotFound, "AUDIT_ENTRY_NOT_FOUND"),
            E::ExportNotFound => Described::new(Code::NotFound, "EXPORT_NOT_FOUND"),
            E::GuideCodeNotFound => Described::new(Code::NotFound, "GUIDE_CODE_NOT_FOUND"),
            E::IdentityNotFound => Described::new(Code::NotFound, "IDENTITY_NOT_FOUND"),
            E::MergeNotFound => Described::new(Code::NotFound, "MERGE_NOT_FOUND"),
            E::OrgUnitNotFound => Described::new(Code::NotFound, "ORG_UNIT_NOT_FOUND"),
            E::PartnerClientNotFound => Described::new(Code::NotFound, "PARTNER_CLIENT_NOT_FOUND"),
            E::RoleGrantNotFound => Described::new(Code::NotFound, "ROLE_GRANT_NOT_FOUND"),
            E::SessionNotFound => Described::new(Code::NotFound, "SESSION_NOT_FOUND"),
            E::StaffNotFound => Described::new(Code::NotFound, "STAFF_NOT_FOUND"),
            E::TenantNotFound => Described::new(Code::NotFound, "TENANT_NOT_FOUND"),
            E::UserNotFound => Described::new(Code::NotFound, "USER_NOT_FOUND"),
            E::AppIdTaken => Described::new(Code::AlreadyExists, "APP_ID_TAKEN"),
            E::EmployeeNoTaken => Described::new(Code::AlreadyExists, "EMPLOYEE_NO_TAKEN"),
            E::LoginNameTaken => Described::new(Code::AlreadyExists, "LOGIN_NAME_TAKEN"),
            E::OrgUnitCodeTaken => Described::new(Code::AlreadyExists, "ORG_UNIT_CODE_TAKEN"),
            E::TenantCodeTaken => Described::new(Code::AlreadyExists, "TENANT_CODE_TAKEN"),
            E::AppDisabled => Described::new(Code::FailedPrecondition, "APP_DISABLED"),
            E::AppInUse => Described::new(Code::FailedPrecondition, "APP_IN_USE"),
            E::CannotModifySelf => Described::new(Code::FailedPrecondition, "CANNOT_MODIFY_SELF"),
            E::ClientRevoked => Described::new(Code::FailedPrecondition, "CLIENT_REVOKED"),
            E::ExportExpired => Described::new(Code::FailedPrecondition, "EXPORT_EXPIRED"),
            E::ExportNotReady => Described::new(Code::FailedPrecondition, "EXPORT_NOT_READY"),
            E::GuideAccountDisabled => Described::new(Code::FailedPrecondition, "ACCOUNT_DISABLED"),
            E::IdentityKindSingleValued => {
                Described::new(Code::FailedPrecondition, "IDENTITY_KIND_SINGLE_VALUED")
            }
            E::LastLoginIdentity => Described::new(Code::FailedPrecondition, "LAST_LOGIN_IDENTITY"),
            E::LastTenantAdmin => Described::new(Code::FailedPrecondition, "LAST_TENANT_ADMIN"),
            E::MergeAlreadyReversed => {
                Described::new(Code::FailedPrecondition, "MERGE_ALREADY_REVERSED")
            }
            E::MergeConflict => Described::new(Code::FailedPrecondition, "MERGE_CONFLICT"),
            E::MergeNotReversible => {
                Described::new(Code::FailedPrecondition, "MERGE_NOT_REVERSIBLE")
            }
            E::OrgInvalidParent => Described::new(Code::FailedPrecondition, "ORG_INVALID_PARENT"),
            E::OrgMoveCycle => Described::new(Code::FailedPrecondition, "ORG_MOVE_CYCLE"),
            E::OrgRootImmutable => Described::new(Code::FailedPrecondition, "ORG_ROOT_IMMUTABLE"),
            E::OrgUnitDisabled => Described::new(Code::FailedPrecondition, "ORG_UNIT_DISABLED"),
            E::OrgUnitHasActiveChildren => {
                Described::new(Code::FailedPrecondition, "ORG_UNIT_HAS_ACTIVE_CHILDREN")
            }
            E::PasswordChangeRequired => {
                Described::new(Code::FailedPrecondition, "PASSWORD_CHANGE_REQUIRED")
            }
            E::PayConfigAppNotFound => Described::new(Code::FailedPrecondition, "APP_NOT_FOUND"),
            E::PayConfigMissing => Described::new(Code::FailedPrecondition, "PAY_CONFIG_MISSING"),
            E::PhoneNotBound => Described::new(Code::FailedPrecondition, "PHONE_NOT_BOUND"),
            E::PlatformTenant => Described::new(Code::FailedPrecondition, "PLATFORM_TENANT"),
            E::StaffNotGuide => Described::new(Code::FailedPrecondition, "STAFF_NOT_GUIDE"),
            E::TenantSuspended => Described::new(Code::FailedPrecondition, "TENANT_SUSPENDED"),
            E::TotpAlreadyEnabled => {
                Described::new(Code::FailedPrecondition, "TOTP_ALREADY_ENABLED")
            }
            E::TotpNotEnrolled => Described::new(Code::FailedPrecondition, "TOTP_NOT_ENROLLED"),
            E::UserErased => Described::new(Code::FailedPrecondition, "USER_ERASED"),
            E::ConcurrentModification => Described::new(Code::Aborted, "CONCURRENT_MODIFICATION"),
            E::ChallengeInvalid => Described::new(Code::Unauthenticated, "CHALLENGE_INVALID"),
            E::InvalidClient => Described::new(Code::Unauthenticated, "INVALID_CLIENT"),
            E::InvalidCredentials => Described::new(Code::Unauthenticated, "INVALID_CREDENTIALS"),
            E::OtpExpired => Described::new(Code::Unauthenticated, "OTP_EXPIRED"),
            E::RefreshTokenExpired => {
                Described::new(Code::Unauthenticated, "REFRESH_TOKEN_EXPIRED")
            }
            E::RefreshTokenInvalid => {
                Described::new(Code::Unauthenticated, "REFRESH_TOKEN_INVALID")
            }
            E::RefreshTokenReused => Described::new(Code::Unauthenticated, "REFRESH_TOKEN_REUSED"),
            E::ServiceCredentialsInvalid => {
                Described::new(Code::Unauthenticated, "SERVICE_CREDENTIALS_INVALID")
            }
            E::SessionRevoked => Described::new(Code::Unauthenticated, "SESSION_REVOKED"),
            E::WechatCodeInvalid => Described::new(Code::Unauthenticated, "WECHAT_CODE_INVALID"),
            E::WechatPhoneCodeInvalid => {
                Described::new(Code::Unauthenticated, "WECHAT_PHONE_CODE_INVALID")
            }
            E::AccountDisabled => Described::new(Code::PermissionDenied, "ACCOUNT_DISABLED"),
            E::IpNotAllowed => Described::new(Code::PermissionDenied, "IP_NOT_ALLOWED"),
            E::PermissionDenied => Described::new(Code::PermissionDenied, "PERMISSION_DENIED"),
            E::PlatformTokenNotAllowed => {
                Described::new(Code::PermissionDenied, "PLATFORM_TOKEN_NOT_ALLOWED")
            }
            E::RevokedClientGrant => Described::new(Code::PermissionDenied, "CLIENT_REVOKED"),
            E::RoleNotGrantable => Described::new(Code::PermissionDenied, "ROLE_NOT_GRANTABLE"),
            E::UserBlocked => Described::new(Code::PermissionDenied, "USER_BLOCKED"),
            E::SmsUnavailable => Described::new(Code::Unavailable, "SMS_UNAVAILABLE"),
            E::WechatUnavailable => Described::new(Code::Unavailable, "WECHAT_UNAVAILABLE"),
            E::SigningKeyRotationInProgress => {
                Described::new(Code::FailedPrecondition, "SIGNING_KEY_ROTATION_IN_PROGRESS")
            }
            E::AccountLocked { until } => {
                Described::new(Code::FailedPrecondition, "ACCOUNT_LOCKED")
                    .meta("locked_until", until)
            }
            E::UserMerged { kept_user_id } => {
                Described::new(Code::FailedPrecondition, "USER_MERGED")
                    .meta("kept_user_id", kept_user_id)
            }
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
            E::ResourceExhausted { reason, meta } => Described {
                metadata: metadata(meta),
                ..Described::new(Code::ResourceExhausted, *reason)
            },
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
