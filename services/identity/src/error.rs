//! The one error type of the identity crate: the domain (`app`), the key ring and the event
//! builders all fail with it. Variants name domain facts (`TenantNotFound`, `RefreshTokenReused`);
//! each one's doc says the gRPC code and the stable `ErrorInfo.reason` the proto comments
//! document, and `grpc/error.rs` describes them in one exhaustive match.

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
    /// A uniqueness rule was hit and the ErrorInfo names the holder (e.g. IDENTITY_ALREADY_LINKED
    /// with `user_id`).
    #[error("already exists ({reason})")]
    AlreadyExistsWithMeta {
        /// The ErrorInfo reason.
        reason: &'static str,
        /// ErrorInfo metadata.
        meta: BTreeMap<String, String>,
    },
    /// The account is locked until the given time (RFC 3339).
    #[error("account locked")]
    AccountLocked {
        /// When the lock ends.
        until: String,
    },
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
    // Absent in the caller's tenant (NOT_FOUND).
    /// NOT_FOUND APP_NOT_FOUND.
    #[error("app not found")]
    AppNotFound,
    /// NOT_FOUND AUDIT_ENTRY_NOT_FOUND.
    #[error("audit entry not found")]
    AuditEntryNotFound,
    /// NOT_FOUND EXPORT_NOT_FOUND.
    #[error("export not found")]
    ExportNotFound,
    /// NOT_FOUND GUIDE_CODE_NOT_FOUND.
    #[error("guide code not found")]
    GuideCodeNotFound,
    /// NOT_FOUND IDENTITY_NOT_FOUND.
    #[error("identity not found")]
    IdentityNotFound,
    /// NOT_FOUND MERGE_NOT_FOUND.
    #[error("merge not found")]
    MergeNotFound,
    /// NOT_FOUND ORG_UNIT_NOT_FOUND.
    #[error("org unit not found")]
    OrgUnitNotFound,
    /// NOT_FOUND PARTNER_CLIENT_NOT_FOUND.
    #[error("partner client not found")]
    PartnerClientNotFound,
    /// NOT_FOUND ROLE_GRANT_NOT_FOUND.
    #[error("role grant not found")]
    RoleGrantNotFound,
    /// NOT_FOUND SESSION_NOT_FOUND.
    #[error("session not found")]
    SessionNotFound,
    /// NOT_FOUND STAFF_NOT_FOUND.
    #[error("staff not found")]
    StaffNotFound,
    /// NOT_FOUND TENANT_NOT_FOUND.
    #[error("tenant not found")]
    TenantNotFound,
    /// NOT_FOUND USER_NOT_FOUND.
    #[error("user not found")]
    UserNotFound,
    // A uniqueness rule was hit (ALREADY_EXISTS).
    /// ALREADY_EXISTS APP_ID_TAKEN.
    #[error("app id taken")]
    AppIdTaken,
    /// ALREADY_EXISTS EMPLOYEE_NO_TAKEN.
    #[error("employee no taken")]
    EmployeeNoTaken,
    /// ALREADY_EXISTS LOGIN_NAME_TAKEN.
    #[error("login name taken")]
    LoginNameTaken,
    /// ALREADY_EXISTS ORG_UNIT_CODE_TAKEN.
    #[error("org unit code taken")]
    OrgUnitCodeTaken,
    /// ALREADY_EXISTS TENANT_CODE_TAKEN.
    #[error("tenant code taken")]
    TenantCodeTaken,
    // The state does not allow the operation (FAILED_PRECONDITION).
    /// FAILED_PRECONDITION APP_DISABLED.
    #[error("app disabled")]
    AppDisabled,
    /// FAILED_PRECONDITION APP_IN_USE.
    #[error("app in use")]
    AppInUse,
    /// FAILED_PRECONDITION CANNOT_MODIFY_SELF.
    #[error("cannot modify self")]
    CannotModifySelf,
    /// FAILED_PRECONDITION CLIENT_REVOKED.
    #[error("client revoked")]
    ClientRevoked,
    /// FAILED_PRECONDITION EXPORT_EXPIRED.
    #[error("export expired")]
    ExportExpired,
    /// FAILED_PRECONDITION EXPORT_NOT_READY.
    #[error("export not ready")]
    ExportNotReady,
    /// FAILED_PRECONDITION ACCOUNT_DISABLED.
    #[error("account disabled")]
    GuideAccountDisabled,
    /// FAILED_PRECONDITION IDENTITY_KIND_SINGLE_VALUED.
    #[error("identity kind single valued")]
    IdentityKindSingleValued,
    /// FAILED_PRECONDITION LAST_LOGIN_IDENTITY.
    #[error("last login identity")]
    LastLoginIdentity,
    /// FAILED_PRECONDITION LAST_TENANT_ADMIN.
    #[error("last tenant admin")]
    LastTenantAdmin,
    /// FAILED_PRECONDITION MERGE_ALREADY_REVERSED.
    #[error("merge already reversed")]
    MergeAlreadyReversed,
    /// FAILED_PRECONDITION MERGE_CONFLICT.
    #[error("merge conflict")]
    MergeConflict,
    /// FAILED_PRECONDITION MERGE_NOT_REVERSIBLE.
    #[error("merge not reversible")]
    MergeNotReversible,
    /// FAILED_PRECONDITION ORG_INVALID_PARENT.
    #[error("org invalid parent")]
    OrgInvalidParent,
    /// FAILED_PRECONDITION ORG_MOVE_CYCLE.
    #[error("org move cycle")]
    OrgMoveCycle,
    /// FAILED_PRECONDITION ORG_ROOT_IMMUTABLE.
    #[error("org root immutable")]
    OrgRootImmutable,
    /// FAILED_PRECONDITION ORG_UNIT_DISABLED.
    #[error("org unit disabled")]
    OrgUnitDisabled,
    /// FAILED_PRECONDITION ORG_UNIT_HAS_ACTIVE_CHILDREN.
    #[error("org unit has active children")]
    OrgUnitHasActiveChildren,
    /// FAILED_PRECONDITION PASSWORD_CHANGE_REQUIRED.
    #[error("password change required")]
    PasswordChangeRequired,
    /// FAILED_PRECONDITION APP_NOT_FOUND.
    #[error("app not found")]
    PayConfigAppNotFound,
    /// FAILED_PRECONDITION PAY_CONFIG_MISSING.
    #[error("pay config missing")]
    PayConfigMissing,
    /// FAILED_PRECONDITION PHONE_NOT_BOUND.
    #[error("phone not bound")]
    PhoneNotBound,
    /// FAILED_PRECONDITION PLATFORM_TENANT.
    #[error("platform tenant")]
    PlatformTenant,
    /// FAILED_PRECONDITION STAFF_NOT_GUIDE.
    #[error("staff not guide")]
    StaffNotGuide,
    /// FAILED_PRECONDITION TENANT_SUSPENDED.
    #[error("tenant suspended")]
    TenantSuspended,
    /// FAILED_PRECONDITION TOTP_ALREADY_ENABLED.
    #[error("totp already enabled")]
    TotpAlreadyEnabled,
    /// FAILED_PRECONDITION SIGNING_KEY_ROTATION_IN_PROGRESS.
    #[error("signing key rotation in progress")]
    SigningKeyRotationInProgress,
    /// FAILED_PRECONDITION TOTP_NOT_ENROLLED.
    #[error("totp not enrolled")]
    TotpNotEnrolled,
    /// FAILED_PRECONDITION USER_ERASED.
    #[error("user erased")]
    UserErased,
    // A concurrent change won (ABORTED).
    /// ABORTED CONCURRENT_MODIFICATION.
    #[error("concurrent modification")]
    ConcurrentModification,
    // Credentials, tokens or challenges were refused (UNAUTHENTICATED).
    /// UNAUTHENTICATED CHALLENGE_INVALID.
    #[error("challenge invalid")]
    ChallengeInvalid,
    /// UNAUTHENTICATED INVALID_CLIENT.
    #[error("invalid client")]
    InvalidClient,
    /// UNAUTHENTICATED INVALID_CREDENTIALS.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// UNAUTHENTICATED OTP_EXPIRED.
    #[error("otp expired")]
    OtpExpired,
    /// UNAUTHENTICATED REFRESH_TOKEN_EXPIRED.
    #[error("refresh token expired")]
    RefreshTokenExpired,
    /// UNAUTHENTICATED REFRESH_TOKEN_INVALID.
    #[error("refresh token invalid")]
    RefreshTokenInvalid,
    /// UNAUTHENTICATED REFRESH_TOKEN_REUSED.
    #[error("refresh token reused")]
    RefreshTokenReused,
    /// UNAUTHENTICATED SERVICE_CREDENTIALS_INVALID.
    #[error("service credentials invalid")]
    ServiceCredentialsInvalid,
    /// UNAUTHENTICATED SESSION_REVOKED.
    #[error("session revoked")]
    SessionRevoked,
    /// UNAUTHENTICATED WECHAT_CODE_INVALID.
    #[error("wechat code invalid")]
    WechatCodeInvalid,
    /// UNAUTHENTICATED WECHAT_PHONE_CODE_INVALID.
    #[error("wechat phone code invalid")]
    WechatPhoneCodeInvalid,
    // The caller may not do this (PERMISSION_DENIED).
    /// PERMISSION_DENIED ACCOUNT_DISABLED.
    #[error("account disabled")]
    AccountDisabled,
    /// PERMISSION_DENIED IP_NOT_ALLOWED.
    #[error("ip not allowed")]
    IpNotAllowed,
    /// PERMISSION_DENIED PERMISSION_DENIED.
    #[error("permission denied")]
    PermissionDenied,
    /// PERMISSION_DENIED PLATFORM_TOKEN_NOT_ALLOWED.
    #[error("platform token not allowed")]
    PlatformTokenNotAllowed,
    /// PERMISSION_DENIED CLIENT_REVOKED.
    #[error("client revoked")]
    RevokedClientGrant,
    /// PERMISSION_DENIED ROLE_NOT_GRANTABLE.
    #[error("role not grantable")]
    RoleNotGrantable,
    /// PERMISSION_DENIED USER_BLOCKED.
    #[error("user blocked")]
    UserBlocked,
    // A dependency is down (UNAVAILABLE).
    /// UNAVAILABLE SMS_UNAVAILABLE.
    #[error("sms unavailable")]
    SmsUnavailable,
    /// UNAVAILABLE WECHAT_UNAVAILABLE.
    #[error("wechat unavailable")]
    WechatUnavailable,
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
