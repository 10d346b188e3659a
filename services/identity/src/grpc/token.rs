//! TokenService handlers.

mod revocations;
mod sessions;

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Response, Status};

use siyu_core::PrincipalKind;

use crate::app::partner_tokens::token_kind;
use crate::app::sessions::Issued;
use crate::error::AppError;
use crate::events::timestamp;
use crate::grpc::{TokenApi, client_info, owned_actor};
use crate::keys::status;
use crate::repo::sessions::SessionRow;

/// The wire form of issued tokens.
pub fn token_pair(issued: &Issued) -> pb::TokenPair {
    pb::TokenPair {
        access_token: issued.access_token.clone(),
        access_token_expire_time: Some(timestamp(issued.access_expires_at)),
        refresh_token: issued.refresh_token.clone(),
        refresh_token_expire_time: issued.refresh_expires_at.map(timestamp),
        token_type: "Bearer".into(),
        session_id: issued.session_id.clone(),
    }
}

fn session_view(s: &SessionRow, current: Option<&str>) -> pb::Session {
    let kind = match s.principal_kind.as_str() {
        "staff" => pb::PrincipalKind::Staff,
        _ => pb::PrincipalKind::Consumer,
    };
    pb::Session {
        session_id: s.id.clone(),
        principal_kind: kind as i32,
        subject_id: s.subject_id.clone(),
        login_method: s.login_method.clone(),
        app_id: s.app_id.clone(),
        user_agent: s.user_agent.clone(),
        ip_masked: s.ip_masked.clone(),
        create_time: Some(timestamp(s.created_at)),
        last_refresh_time: Some(timestamp(s.last_refresh_at)),
        expire_time: Some(timestamp(s.expires_at)),
        current: current == Some(s.id.as_str()),
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

fn key_view(k: &crate::repo::keys::StoredKey) -> pb::SigningKey {
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

#[tonic::async_trait]
impl pb::token_service_server::TokenService for TokenApi {
    #[tracing::instrument(skip_all)]
    async fn refresh_session(
        &self,
        request: Request<pb::RefreshSessionRequest>,
    ) -> Result<Response<pb::RefreshSessionResponse>, Status> {
        let token = request.get_ref().refresh_token.clone();
        let issued = self
            .dedupe(&request, "refresh", "RefreshSession", async {
                Ok(self.app.refresh(&token).await?)
            })
            .await?;
        Ok(Response::new(pb::RefreshSessionResponse {
            tokens: Some(token_pair(&issued)),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let tenant = caller.tenant();
        let refresh = &request.get_ref().refresh_token;
        let sid = if refresh.is_empty() {
            caller.sid.clone()
        } else {
            // Only a session of the caller may be ended this way.
            self.app
                .session_of_refresh(refresh)
                .await?
                .filter(|s| s.tenant_id == tenant && s.subject_id == caller.ctx.principal.subject)
                .map(|s| s.id)
        };
        let staff = caller.ctx.principal.kind == siyu_core::PrincipalKind::Staff;
        let actor = owned_actor(&caller);
        let reply = self
            .mutate(&request, &tenant.clone(), "Logout", move |app, txn| {
                Box::pin(async move {
                    if let Some(sid) = sid {
                        let audit =
                            staff.then_some(("LOGOUT", (actor.0.as_str(), actor.1.as_str())));
                        app.revoke_session(txn, &tenant, &sid, audit).await?;
                    }
                    Ok(pb::LogoutResponse {})
                })
            })
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn logout_everywhere(
        &self,
        request: Request<pb::LogoutEverywhereRequest>,
    ) -> Result<Response<pb::LogoutEverywhereResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        let keep = request
            .get_ref()
            .keep_current
            .then(|| caller.sid.clone())
            .flatten();
        let tenant = caller.tenant();
        let actor = owned_actor(&caller);
        let subject = caller.ctx.principal.subject.clone();
        let reply = self
            .mutate(
                &request,
                &tenant.clone(),
                "LogoutEverywhere",
                move |app, txn| {
                    Box::pin(async move {
                        let n = app
                            .revoke_subject_sessions(
                                txn,
                                &tenant,
                                (&actor.0, &actor.1),
                                &subject,
                                keep.as_deref(),
                                "logout_everywhere",
                            )
                            .await?;
                        Ok(pb::LogoutEverywhereResponse {
                            revoked_session_count: i32::try_from(n).unwrap_or(i32::MAX),
                        })
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    #[tracing::instrument(skip_all)]
    async fn list_sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> Result<Response<pb::ListSessionsResponse>, Status> {
        self.sessions(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_session(
        &self,
        request: Request<pb::RevokeSessionRequest>,
    ) -> Result<Response<pb::RevokeSessionResponse>, Status> {
        self.revoke(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn get_jwks(
        &self,
        _request: Request<pb::GetJwksRequest>,
    ) -> Result<Response<pb::GetJwksResponse>, Status> {
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
        Ok(Response::new(pb::GetJwksResponse {
            keys,
            max_age_seconds: 300,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_signing_keys(
        &self,
        request: Request<pb::ListSigningKeysRequest>,
    ) -> Result<Response<pb::ListSigningKeysResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        self.require_platform(&caller).await?;
        let include_retired = request.get_ref().include_retired;
        Ok(Response::new(pb::ListSigningKeysResponse {
            keys: self
                .app
                .keys
                .keys()
                .iter()
                .filter(|k| include_retired || k.status != status::RETIRED)
                .map(key_view)
                .collect(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn rotate_signing_key(
        &self,
        request: Request<pb::RotateSigningKeyRequest>,
    ) -> Result<Response<pb::RotateSigningKeyResponse>, Status> {
        let caller = self.authenticate(&request).await?;
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
        Ok(Response::new(pb::RotateSigningKeyResponse {
            new_key: find(&new_kid),
            previous_key: previous.as_deref().and_then(find),
        }))
    }
    #[tracing::instrument(skip_all)]
    async fn list_token_revocations(
        &self,
        request: Request<pb::ListTokenRevocationsRequest>,
    ) -> Result<Response<pb::ListTokenRevocationsResponse>, Status> {
        self.revocations(request).await.map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn issue_client_token(
        &self,
        request: Request<pb::IssueClientTokenRequest>,
    ) -> Result<Response<pb::IssueClientTokenResponse>, Status> {
        let client = client_info(&request);
        let req = request.get_ref();
        if req.grant_type != "client_credentials" {
            return Err(AppError::invalid_with(
                "UNSUPPORTED_GRANT_TYPE",
                "grant_type",
                "must be client_credentials",
            )
            .into());
        }
        // Malformed credentials are an unknown client (RFC 6749 invalid_client), not bad input.
        if req.client_id.is_empty()
            || req.client_id.len() > 64
            || req.client_secret.is_empty()
            || req.client_secret.len() > 256
        {
            return Err(AppError::Unauthenticated("INVALID_CLIENT").into());
        }
        if req.scope.len() > 1024 {
            return Err(AppError::invalid_with("INVALID_SCOPE", "scope", "is too long").into());
        }
        let grant = self
            .app
            .issue_client_token(&req.client_id, &req.client_secret, &req.scope, &client.ip)
            .await?;
        Ok(Response::new(pb::IssueClientTokenResponse {
            access_token: grant.access_token,
            token_type: "Bearer".into(),
            expires_in: grant.expires_in,
            scope: grant.scopes.join(" "),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn introspect_token(
        &self,
        request: Request<pb::IntrospectTokenRequest>,
    ) -> Result<Response<pb::IntrospectTokenResponse>, Status> {
        let caller = self.authenticate(&request).await?;
        if !matches!(
            caller.ctx.principal.kind,
            PrincipalKind::Partner | PrincipalKind::Service
        ) {
            return Err(AppError::PermissionDenied("PERMISSION_DENIED").into());
        }
        let token = &request.get_ref().token;
        if token.is_empty() || token.len() > 8192 {
            return Ok(Response::new(pb::IntrospectTokenResponse::default()));
        }
        let Some(found) = self.app.introspect(&caller.ctx, token).await? else {
            return Ok(Response::new(pb::IntrospectTokenResponse::default()));
        };
        let c = &found.claims;
        Ok(Response::new(pb::IntrospectTokenResponse {
            active: true,
            scope: c.scopes.join(" "),
            client_id: c.client_id.clone().unwrap_or_default(),
            username: found.username.clone(),
            token_type: "Bearer".into(),
            exp: c.exp,
            iat: c.iat,
            nbf: c.nbf.unwrap_or(c.iat),
            sub: c.sub.clone(),
            aud: match &c.aud {
                siyu_auth::Audience::One(a) => a.clone(),
                siyu_auth::Audience::Many(a) => a.join(" "),
            },
            iss: c.iss.clone(),
            jti: c.jti.clone(),
            tenant: c.tenant.to_string(),
            kind: token_kind(c).into(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn issue_service_token(
        &self,
        request: Request<pb::IssueServiceTokenRequest>,
    ) -> Result<Response<pb::IssueServiceTokenResponse>, Status> {
        let req = request.get_ref();
        if req.service.is_empty() || req.credential.is_empty() || req.credential.len() > 4096 {
            return Err(AppError::Unauthenticated("SERVICE_CREDENTIALS_INVALID").into());
        }
        if siyu_core::TenantId::parse(&req.tenant_id).is_err() {
            return Err(AppError::invalid("tenant_id", "must be a tenant id").into());
        }
        let (access_token, expires_at) = self
            .app
            .issue_service_token(&req.service, &req.credential, &req.tenant_id, &req.scopes)
            .await?;
        Ok(Response::new(pb::IssueServiceTokenResponse {
            access_token,
            expire_time: Some(timestamp(expires_at)),
        }))
    }
}
