//! TokenService: the published keys (GetJwks) and the platform's view and rotation of the
//! signing key set.

use siyu_core::PrincipalKind;
use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::{Request, Response};

use crate::error::AppError;
use crate::grpc::{Api, Caller, R, record};
use crate::repo::tokens::KeyStatus;
use crate::repo::tokens::signing_keys::StoredKey;

/// GetJwks: the published keys.
#[tracing::instrument(skip_all)]
pub(super) async fn jwks(
    api: &Api,
    _request: Request<pb::GetJwksRequest>,
) -> R<pb::GetJwksResponse> {
    let field = |jwk: &serde_json::Value, name: &str| {
        jwk.get(name)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let keys = api
        .app
        .keys
        .public_jwks()
        .iter()
        .map(|jwk| pb::Jwk {
            kty: field(jwk, "kty"),
            crv: field(jwk, "crv"),
            x: field(jwk, "x"),
            y: field(jwk, "y"),
            kid: field(jwk, "kid"),
            alg: field(jwk, "alg"),
            r#use: "sig".into(),
        })
        .collect();
    Ok(Response::new(pb::GetJwksResponse {
        keys,
        max_age_seconds: 300,
    }))
}

/// ListSigningKeys: the platform, and services (the contract's callers).
#[tracing::instrument(skip_all)]
pub(super) async fn list(
    api: &Api,
    request: Request<pb::ListSigningKeysRequest>,
) -> R<pb::ListSigningKeysResponse> {
    let caller = Caller::of(&request)?;
    if caller.ctx.principal.kind != PrincipalKind::Service {
        api.app.require_platform(&caller.ctx).await?;
    }
    let include_retired = request.get_ref().include_retired;
    Ok(Response::new(pb::ListSigningKeysResponse {
        keys: api
            .app
            .keys
            .keys()
            .iter()
            .filter(|k| include_retired || k.status != KeyStatus::Retired)
            .map(key_view)
            .collect(),
    }))
}

/// RotateSigningKey (platform only), audited in the platform tenant. The ring writes through
/// its own connection (one writer on SQLite), so rotation cannot share an idempotency record's
/// transaction: the key de-duplicates concurrent retries, and a sequential retry is refused
/// with SIGNING_KEY_ROTATION_IN_PROGRESS.
#[tracing::instrument(skip_all, fields(kid))]
pub(super) async fn rotate(
    api: &Api,
    request: Request<pb::RotateSigningKeyRequest>,
) -> R<pb::RotateSigningKeyResponse> {
    let caller = Caller::of(&request)?;
    api.app.require_platform(&caller.ctx).await?;
    let req = request.get_ref();
    let (activate_after, reason) = rotation_in(req)?;
    let (new_kid, previous) = api
        .mutations
        .dedupe(&request, &caller.tenant().to_string(), async {
            Ok(api.app.keys.rotate(activate_after, req.emergency).await?)
        })
        .await?;
    record("kid", &new_kid);
    // The ring commits on its own connection, so the audit entry follows in its own
    // transaction (a crash in between loses the entry, never the rotation).
    let previous_kid = previous.as_deref();
    api.app
        .audit_key_rotation(
            caller.tenant(),
            caller.actor(),
            &new_kid,
            previous_kid,
            req.emergency,
            reason,
        )
        .await?;
    let keys = api.app.keys.keys();
    let find = |kid: &str| keys.iter().find(|k| k.kid == kid).map(key_view);
    Ok(Response::new(pb::RotateSigningKeyResponse {
        new_key: find(&new_kid),
        previous_key: previous_kid.and_then(find),
    }))
}

/// (activate after seconds, reason) of a RotateSigningKey request.
fn rotation_in(req: &pb::RotateSigningKeyRequest) -> Result<(i64, &str), AppError> {
    if !req.alg.is_empty() && req.alg != "EdDSA" {
        return Err(AppError::invalid("alg", "only EdDSA is supported"));
    }
    if req.reason.chars().count() > 500 {
        return Err(AppError::invalid(
            "reason",
            "must be at most 500 characters",
        ));
    }
    if req.activate_after_seconds != 0 && req.activate_after_seconds < 600 {
        return Err(AppError::invalid(
            "activate_after_seconds",
            "must be at least 600",
        ));
    }
    Ok((i64::from(req.activate_after_seconds), req.reason.trim()))
}

fn key_status(status: KeyStatus) -> pb::SigningKeyStatus {
    match status {
        KeyStatus::Pending => pb::SigningKeyStatus::Pending,
        KeyStatus::Active => pb::SigningKeyStatus::Active,
        KeyStatus::Retiring => pb::SigningKeyStatus::Retiring,
        KeyStatus::Retired => pb::SigningKeyStatus::Retired,
    }
}

fn key_view(k: &StoredKey) -> pb::SigningKey {
    pb::SigningKey {
        kid: k.kid.clone(),
        alg: k.alg.clone(),
        status: key_status(k.status) as i32,
        create_time: Some(timestamp(k.created_at)),
        activate_time: Some(timestamp(k.activate_at)),
        retire_time: k.retire_at.map(timestamp),
        remove_time: k.remove_at.map(timestamp),
    }
}
