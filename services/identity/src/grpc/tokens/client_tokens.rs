//! TokenService: tokens without sessions — the client-credentials grant of partners, internal
//! service tokens — and introspection.

use siyu_proto::identity::v1 as pb;
use tonic::{Request, Status};

use crate::app::tokens::introspection::token_kind;
use crate::app::tokens::service_tokens::ServiceTenant;
use crate::error::AppError;
use crate::grpc::{Caller, TokenApi, client_info};
use siyu_proto::time::timestamp;

impl TokenApi {
    /// IssueClientToken: the client-credentials grant of a partner.
    pub(super) async fn issue_client_token_rpc(
        &self,
        request: Request<pb::IssueClientTokenRequest>,
    ) -> Result<pb::IssueClientTokenResponse, Status> {
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
        Ok(pb::IssueClientTokenResponse {
            access_token: grant.access_token,
            token_type: "Bearer".into(),
            expires_in: grant.expires_in,
            scope: grant.scopes.join(" "),
        })
    }

    /// IntrospectToken, for partners and services.
    pub(super) async fn introspect_token_rpc(
        &self,
        request: Request<pb::IntrospectTokenRequest>,
    ) -> Result<pb::IntrospectTokenResponse, Status> {
        let caller = Caller::of(&request)?;
        let token = &request.get_ref().token;
        if token.is_empty() || token.len() > 8192 {
            return Ok(pb::IntrospectTokenResponse::default());
        }
        let Some(found) = self.app.introspect(&caller.ctx, token).await? else {
            return Ok(pb::IntrospectTokenResponse::default());
        };
        let c = &found.claims;
        Ok(pb::IntrospectTokenResponse {
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
        })
    }

    /// IssueServiceToken, for configured services.
    pub(super) async fn issue_service_token_rpc(
        &self,
        request: Request<pb::IssueServiceTokenRequest>,
    ) -> Result<pb::IssueServiceTokenResponse, Status> {
        let req = request.get_ref();
        if req.service.is_empty() || req.credential.is_empty() || req.credential.len() > 4096 {
            return Err(AppError::Unauthenticated("SERVICE_CREDENTIALS_INVALID").into());
        }
        let tenant_id = if req.platform {
            if !req.tenant_id.is_empty() {
                return Err(AppError::invalid("tenant_id", "must be empty with platform").into());
            }
            None
        } else {
            let id = siyu_core::TenantId::parse(&req.tenant_id)
                .map_err(|_| AppError::invalid("tenant_id", "must be a tenant id"))?;
            Some(id.to_string())
        };
        let tenant = match &tenant_id {
            Some(id) => ServiceTenant::Tenant(id),
            None => ServiceTenant::Platform,
        };
        let token = self
            .app
            .issue_service_token(&req.service, &req.credential, tenant, &req.scopes)
            .await?;
        Ok(pb::IssueServiceTokenResponse {
            access_token: token.access_token,
            expire_time: Some(timestamp(token.expires_at)),
            tenant_id: token.tenant_id,
        })
    }
}
