//! TokenService: the published keys (GetJwks) and the platform's view and rotation of the
//! signing key set.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::app::tokens::key_ring::status;
use crate::error::AppError;
use crate::grpc::{Caller, TokenApi};
use crate::repo::tokens::signing_keys::StoredKey;
use siyu_proto::time::timestamp;

impl TokenApi {
    /// GetJwks: the published keys.
    pub(super) async fn jwks_rpc(
        &self,
        _request: Request<pb::GetJwksRequest>,
    ) -> Result<pb::GetJwksResponse, Status> {
        let field = |jwk: &serde_json::Value, name: &str| {
            jwk.get(name)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let keys = self
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
        Ok(pb::GetJwksResponse {
            keys,
            max_age_seconds: 300,
        })
    }

    /// ListSigningKeys: the platform, and services (the contract's callers).
    pub(super) async fn list_signing_keys_rpc(
        &self,
        request: Request<pb::ListSigningKeysRequest>,
    ) -> Result<pb::ListSigningKeysResponse, Status> {
        let caller = Caller::of(&request)?;
        if caller.ctx.principal.kind != siyu_core::PrincipalKind::Service {
            self.require_platform(&caller).await?;
        }
        let include_retired = request.get_ref().include_retired;
        Ok(pb::ListSigningKeysResponse {
            keys: self
                .app
                .keys
                .keys()
                .iter()
                .filter(|k| include_retired || k.status != status::RETIRED)
                .map(key_view)
                .collect(),
        })
    }

    /// RotateSigningKey (platform only), audited in the platform tenant.
    pub(super) async fn rotate_signing_key_rpc(
        &self,
        request: Request<pb::RotateSigningKeyRequest>,
    ) -> Result<pb::RotateSigningKeyResponse, Status> {
        let caller = Caller::of(&request)?;
        self.require_platform(&caller).await?;
        let req = request.get_ref();
        if !req.alg.is_empty() && req.alg != "EdDSA" {
            return Err(AppError::invalid("alg", "only EdDSA is supported").into());
        }
        if req.reason.chars().count() > 500 {
            return Err(AppError::invalid("reason", "must be at most 500 characters").into());
        }
        if req.activate_after_seconds != 0 && req.activate_after_seconds < 600 {
            return Err(AppError::invalid("activate_after_seconds", "must be at least 600").into());
        }
        // The ring writes through its own connection (one writer on SQLite), so rotation cannot
        // share the idempotency record's transaction; the key de-duplicates concurrent retries,
        // and a sequential retry is refused with SIGNING_KEY_ROTATION_IN_PROGRESS.
        let (new_kid, previous) = self
            .dedupe(&request, &caller.tenant(), "RotateSigningKey", async {
                Ok(self
                    .app
                    .keys
                    .rotate(i64::from(req.activate_after_seconds), req.emergency)
                    .await?)
            })
            .await?;
        // The ring commits on its own connection, so the audit entry follows in its own
        // transaction (a crash in between loses the entry, never the rotation).
        let actor = caller.actor();
        self.app
            .audit_key_rotation(
                &caller.tenant(),
                actor,
                &new_kid,
                previous.as_deref(),
                req.emergency,
                req.reason.trim(),
            )
            .await?;
        let keys = self.app.keys.keys();
        let find = |kid: &str| keys.iter().find(|k| k.kid == kid).map(key_view);
        Ok(pb::RotateSigningKeyResponse {
            new_key: find(&new_kid),
            previous_key: previous.as_deref().and_then(find),
        })
    }
}

fn key_status(value: &str) -> pb::SigningKeyStatus {
    match value {
        status::PENDING => pb::SigningKeyStatus::Pending,
        status::ACTIVE => pb::SigningKeyStatus::Active,
        status::RETIRING => pb::SigningKeyStatus::Retiring,
        _ => pb::SigningKeyStatus::Retired,
    }
}

fn key_view(k: &StoredKey) -> pb::SigningKey {
    pb::SigningKey {
        kid: k.kid.clone(),
        alg: k.alg.clone(),
        status: key_status(&k.status) as i32,
        create_time: Some(timestamp(k.created_at)),
        activate_time: Some(timestamp(k.activate_at)),
        retire_time: k.retire_at.map(timestamp),
        remove_time: k.remove_at.map(timestamp),
    }
}
