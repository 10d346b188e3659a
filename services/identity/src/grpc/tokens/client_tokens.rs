//! TokenService: tokens without sessions — the client-credentials grant of partners, internal
//! service tokens — and introspection.

use siyu_proto::identity::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::{Request, Response};

use crate::app::tokens::introspection::{Introspection, token_kind};
use crate::app::tokens::service_tokens::ServiceTenant;
use crate::error::AppError;
use crate::grpc::ids::tenant_id;
use crate::grpc::{Api, Caller, R, client_info, record};

/// IssueClientToken: the client-credentials grant of a partner.
#[tracing::instrument(skip_all, fields(client_id))]
pub(super) async fn issue_client_token(
    api: &Api,
    request: Request<pb::IssueClientTokenRequest>,
) -> R<pb::IssueClientTokenResponse> {
    let client = client_info(&request);
    let req = request.get_ref();
    grant_in(req)?;
    record("client_id", &req.client_id);
    let grant = api
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

/// IntrospectToken, for partners and services: `active = false` and nothing else for any
/// token the caller may not see.
#[tracing::instrument(skip_all)]
pub(super) async fn introspect(
    api: &Api,
    request: Request<pb::IntrospectTokenRequest>,
) -> R<pb::IntrospectTokenResponse> {
    let caller = Caller::of(&request)?;
    let token = &request.get_ref().token;
    let found = if token.is_empty() || token.len() > 8192 {
        None
    } else {
        api.app.introspect(&caller.ctx, token).await?
    };
    Ok(Response::new(
        found.map_or_else(Default::default, |f| introspection_view(&f)),
    ))
}

/// IssueServiceToken, for configured services (the credential is in the request).
#[tracing::instrument(skip_all, fields(service = %request.get_ref().service))]
pub(super) async fn issue_service_token(
    api: &Api,
    request: Request<pb::IssueServiceTokenRequest>,
) -> R<pb::IssueServiceTokenResponse> {
    let req = request.get_ref();
    if req.service.is_empty() || req.credential.is_empty() || req.credential.len() > 4096 {
        return Err(AppError::ServiceCredentialsInvalid.into());
    }
    let tenant = if req.platform {
        if !req.tenant_id.is_empty() {
            return Err(AppError::invalid("tenant_id", "must be empty with platform").into());
        }
        None
    } else {
        Some(tenant_id("tenant_id", &req.tenant_id)?)
    };
    let asked = tenant.map_or(ServiceTenant::Platform, ServiceTenant::Tenant);
    let token = api
        .app
        .issue_service_token(&req.service, &req.credential, asked, &req.scopes)
        .await?;
    Ok(Response::new(pb::IssueServiceTokenResponse {
        access_token: token.access_token,
        expire_time: Some(timestamp(token.expires_at)),
        tenant_id: token.tenant_id.to_string(),
    }))
}

/// Checks an IssueClientToken request (RFC 6749 errors).
fn grant_in(req: &pb::IssueClientTokenRequest) -> Result<(), AppError> {
    if req.grant_type != "client_credentials" {
        return Err(AppError::invalid_with(
            "UNSUPPORTED_GRANT_TYPE",
            "grant_type",
            "must be client_credentials",
        ));
    }
    // Malformed credentials are an unknown client (RFC 6749 invalid_client), not bad input.
    if req.client_id.is_empty()
        || req.client_id.len() > 64
        || req.client_secret.is_empty()
        || req.client_secret.len() > 256
    {
        return Err(AppError::InvalidClient);
    }
    if req.scope.len() > 1024 {
        return Err(AppError::invalid_with(
            "INVALID_SCOPE",
            "scope",
            "is too long",
        ));
    }
    Ok(())
}

/// The RFC 7662 answer for an active token.
fn introspection_view(found: &Introspection) -> pb::IntrospectTokenResponse {
    let c = &found.claims;
    pb::IntrospectTokenResponse {
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
    }
}
