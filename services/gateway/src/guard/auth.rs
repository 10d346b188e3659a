//! Bearer-token verification and the route's access policy (kind, role, scope).
//!
//! The gateway refuses early what it can tell from the token; the service verifies the same
//! token again and applies the fine-grained rules (org subtree, "self", platform tenant).

use http::HeaderMap;
use http::StatusCode;
use http::header::AUTHORIZATION;
use siyu_auth::{AuthError, JwksVerifier};
use siyu_core::{PrincipalKind, TenantId};

use crate::problem::Problem;
use crate::routes::Access;

/// The authenticated caller, as far as the gateway needs it (limits, idempotency scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The tenant the token acts in.
    pub tenant: TenantId,
    /// `sub`: consumer, staff or partner client id.
    pub subject: String,
    /// What kind of caller.
    pub kind: PrincipalKind,
    /// The partner client id (partner tokens).
    pub client_id: Option<String>,
    /// The bearer token, forwarded to the service as `authorization`.
    pub token: String,
}

/// The bearer token of `headers`, if the `Authorization` header uses the Bearer scheme.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// Applies `access` to the request's token: `Ok(None)` for an anonymous call the route
/// allows, `Ok(Some(caller))` for a verified caller the route admits, a 401/403 problem
/// otherwise.
pub async fn authorize(
    verifier: &JwksVerifier,
    headers: &HeaderMap,
    access: Access,
) -> Result<Option<Caller>, Problem> {
    // Public routes ignore tokens entirely: nothing unverified is forwarded.
    if access == Access::Public {
        return Ok(None);
    }
    let Some(token) = bearer(headers) else {
        return if access == Access::Optional {
            Ok(None)
        } else {
            Err(auth_problem(&AuthError::MissingToken))
        };
    };
    let claims = verifier
        .verify(token)
        .await
        .map_err(|err| auth_problem(&err))?;
    let ctx = claims.to_ctx().map_err(|err| auth_problem(&err))?;
    let principal = &ctx.principal;
    let admitted = match access {
        Access::Public | Access::Optional => Ok(()),
        Access::Consumer => require_kind(principal.kind, PrincipalKind::Consumer),
        Access::Staff(roles) => require_kind(principal.kind, PrincipalKind::Staff).and_then(|()| {
            if roles.is_empty() || roles.iter().any(|role| principal.has_role(role)) {
                Ok(())
            } else {
                Err(denied(
                    "PERMISSION_DENIED",
                    &format!("needs one of the roles {roles:?}"),
                ))
            }
        }),
        Access::Partner(scope) => {
            require_kind(principal.kind, PrincipalKind::Partner).and_then(|()| match scope {
                Some(scope) if !principal.has_scope(scope) => {
                    Err(denied("SCOPE_MISSING", &format!("needs the scope {scope}")))
                }
                _ => Ok(()),
            })
        }
    };
    admitted?;
    Ok(Some(Caller {
        tenant: ctx.tenant,
        subject: claims.sub,
        kind: claims.kind,
        client_id: claims.client_id,
        token: token.to_owned(),
    }))
}

fn require_kind(actual: PrincipalKind, wanted: PrincipalKind) -> Result<(), Problem> {
    if actual == wanted {
        Ok(())
    } else {
        Err(denied(
            "PERMISSION_DENIED",
            &format!("{actual:?} tokens cannot call this route"),
        ))
    }
}

fn denied(reason: &str, detail: &str) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, reason, detail)
}

/// The problem for a token failure; the cause stays in the log, the client gets the reason.
pub fn auth_problem(err: &AuthError) -> Problem {
    tracing::debug!(error = %err, "token refused");
    let status = match err.code() {
        tonic::Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        tonic::Code::PermissionDenied => StatusCode::FORBIDDEN,
        tonic::Code::NotFound => StatusCode::NOT_FOUND,
        tonic::Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let detail = match status {
        StatusCode::UNAUTHORIZED => "authentication required",
        StatusCode::SERVICE_UNAVAILABLE => "authentication temporarily unavailable",
        StatusCode::INTERNAL_SERVER_ERROR => return Problem::internal(),
        _ => "permission denied",
    };
    Problem::new(status, err.reason(), detail)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn only_bearer_tokens_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
        headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer   "));
        assert_eq!(bearer(&headers), None);
    }

    #[test]
    fn expired_tokens_keep_their_reason() {
        let problem = auth_problem(&AuthError::Expired);
        assert_eq!(problem.status, StatusCode::UNAUTHORIZED);
        assert_eq!(problem.reason, "TOKEN_EXPIRED");
    }
}
