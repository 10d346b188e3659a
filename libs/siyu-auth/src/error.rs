//! The one error type of this crate and its mapping to a gRPC `Status`.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo.domain` every auth failure carries, so clients can tell them from
/// business errors that reuse a reason name.
pub const ERROR_DOMAIN: &str = "auth.siyu";

/// Everything that can go wrong when reading, verifying, issuing or checking a token.
///
/// Variants are distinct so callers and tests can tell *why* a token was refused; the
/// gRPC mapping deliberately collapses most of them into `TOKEN_INVALID` so a caller
/// learns no more than it needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `authorization: Bearer …` header was sent.
    #[error("missing bearer token")]
    MissingToken,
    /// The token is not a well-formed JWT, or its claims do not have the expected shape.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The signature does not verify with the key named by `kid`.
    #[error("bad token signature")]
    BadSignature,
    /// The `kid` is not in the JWKS, even after a refetch.
    #[error("unknown signing key id {0:?}")]
    UnknownKid(String),
    /// The `exp` claim lies in the past (beyond the allowed clock skew).
    #[error("token expired")]
    Expired,
    /// The `nbf` claim lies in the future (beyond the allowed clock skew).
    #[error("token not yet valid")]
    NotYetValid,
    /// The `aud` claim does not name this service's audience.
    #[error("token audience mismatch")]
    WrongAudience,
    /// The `iss` claim is not the expected issuer.
    #[error("token issuer mismatch")]
    WrongIssuer,
    /// The header's `alg` is not EdDSA/ES256, or differs from the algorithm of the key.
    #[error("unsupported token algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The claims verified but cannot form a request context (bad tenant, org path, kind mix).
    #[error("invalid claims: {0}")]
    InvalidClaims(String),
    /// The JWKS could not be fetched or parsed, and the key needed was not cached.
    #[error("key set unavailable: {0}")]
    JwksUnavailable(String),
    /// Verifier or key configuration is unusable (bad URL, bad key material).
    #[error("invalid auth configuration: {0}")]
    Config(String),
    /// Signing a token failed.
    #[error("token signing failed: {0}")]
    Signing(String),
    /// The caller is authenticated but lacks the role, scope or kind the operation needs.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// The caller acts in another tenant than the resource; answered as not found so the
    /// existence of another tenant's data does not leak.
    #[error("resource not found")]
    TenantMismatch,
}

impl AuthError {
    /// The stable `ErrorInfo.reason` clients may branch on.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingToken => "TOKEN_MISSING",
            Self::Expired => "TOKEN_EXPIRED",
            Self::NotYetValid => "TOKEN_NOT_YET_VALID",
            Self::Malformed(_)
            | Self::BadSignature
            | Self::UnknownKid(_)
            | Self::WrongAudience
            | Self::WrongIssuer
            | Self::UnsupportedAlgorithm(_)
            | Self::InvalidClaims(_) => "TOKEN_INVALID",
            Self::JwksUnavailable(_) => "JWKS_UNAVAILABLE",
            Self::Config(_) | Self::Signing(_) => "AUTH_INTERNAL",
            Self::PermissionDenied(_) => "PERMISSION_DENIED",
            Self::TenantMismatch => "NOT_FOUND",
        }
    }

    /// The gRPC code this error is answered with.
    pub fn code(&self) -> Code {
        match self {
            Self::MissingToken
            | Self::Malformed(_)
            | Self::BadSignature
            | Self::UnknownKid(_)
            | Self::Expired
            | Self::NotYetValid
            | Self::WrongAudience
            | Self::WrongIssuer
            | Self::UnsupportedAlgorithm(_)
            | Self::InvalidClaims(_) => Code::Unauthenticated,
            Self::JwksUnavailable(_) => Code::Unavailable,
            Self::Config(_) | Self::Signing(_) => Code::Internal,
            Self::PermissionDenied(_) => Code::PermissionDenied,
            Self::TenantMismatch => Code::NotFound,
        }
    }

    /// The message sent to the client. Token failures say only the category: the detail
    /// (which kid, which claim) goes to the log, not to a possibly hostile caller.
    fn client_message(&self) -> &'static str {
        match self.code() {
            Code::Unauthenticated => "authentication required",
            Code::Unavailable => "authentication temporarily unavailable",
            Code::PermissionDenied => "permission denied",
            Code::NotFound => "not found",
            _ => "internal error",
        }
    }
}

impl From<AuthError> for Status {
    fn from(err: AuthError) -> Self {
        let details = ErrorDetails::with_error_info(err.reason(), ERROR_DOMAIN, HashMap::new());
        Status::with_error_details(err.code(), err.client_message(), details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_failures_map_to_unauthenticated_with_a_stable_reason() {
        let status = Status::from(AuthError::Expired);
        assert_eq!(status.code(), Code::Unauthenticated);
        let info = status.get_details_error_info().unwrap();
        assert_eq!(info.reason, "TOKEN_EXPIRED");
        assert_eq!(info.domain, ERROR_DOMAIN);

        let status = Status::from(AuthError::UnknownKid("k9".into()));
        assert_eq!(
            status.get_details_error_info().unwrap().reason,
            "TOKEN_INVALID"
        );
        assert!(
            !status.message().contains("k9"),
            "detail must not reach the client"
        );
    }

    #[test]
    fn tenant_mismatch_is_not_found() {
        assert_eq!(
            Status::from(AuthError::TenantMismatch).code(),
            Code::NotFound
        );
        assert_eq!(
            Status::from(AuthError::PermissionDenied("x".into())).code(),
            Code::PermissionDenied
        );
    }
}
