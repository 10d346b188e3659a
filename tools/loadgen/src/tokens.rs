//! Access tokens as identity mints them, signed by a key loadgen holds (whose public half the
//! system under test gets as a static JWKS).

use std::time::{SystemTime, UNIX_EPOCH};

use siyu_auth::{Audience, Claims, RoleClaim, SigningKey};
use siyu_core::{PrincipalKind, TenantId};
use uuid::Uuid;

/// Issuer services accept by default.
pub const ISSUER: &str = "siyu-identity";
/// Audience services accept by default.
pub const AUDIENCE: &str = "siyu";

/// `message` with `authorization: Bearer <token>`.
pub fn bearer<T>(message: T, token: &str) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    Ok(request)
}

/// An hour-long access token of `kind` in `tenant`; staff get `tenant_admin` on `root`.
pub fn mint(
    key: &SigningKey,
    tenant: TenantId,
    kind: PrincipalKind,
    root: Option<Uuid>,
) -> anyhow::Result<String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let roles = root
        .map(|r| RoleClaim {
            role: "tenant_admin".to_owned(),
            org: r.to_string(),
        })
        .into_iter()
        .collect();
    let claims = Claims {
        // A UUID, as identity's subjects are (consumers enrol under their subject).
        sub: Uuid::now_v7().to_string(),
        tenant,
        kind,
        roles,
        scopes: Vec::new(),
        exp: now + 3600,
        nbf: None,
        iat: now,
        iss: ISSUER.to_owned(),
        aud: Audience::One(AUDIENCE.to_owned()),
        jti: Uuid::now_v7().to_string(),
        client_id: (kind == PrincipalKind::Partner).then(|| "loadgen".to_owned()),
    };
    Ok(key.sign(&claims)?)
}
