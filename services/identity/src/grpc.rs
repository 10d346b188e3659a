//! Thin gRPC handlers: decode → validate → `app` → map errors. Every identity method is
//! registered public at the shared auth layer; handlers authenticate themselves against the
//! identity key ring (no HTTP call to identity's own JWKS) and also reject tokens of revoked
//! sessions, so logout and staff disable take effect here at once.

mod audit;
mod consumers;
mod error;
mod idempotent;
mod merges;
mod org;
mod paging;
mod partners;
mod privacy;
mod sealed;
mod staff;
mod tenancy;
mod tokens;
mod user_service;

use std::sync::Arc;

use siyu_core::{Ctx, PrincipalKind};
use siyu_proto::identity::v1 as pb;
use tonic::Status;

use crate::app::tokens::sessions::sid_of;
use crate::app::{App, ClientInfo};
use crate::error::AppError;

/// State shared by every handler.
#[derive(Debug, Clone)]
pub struct Api {
    app: Arc<App>,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The verified context.
    pub ctx: Ctx,
    /// The session of the token (consumer and staff tokens).
    pub sid: Option<String>,
}

impl Caller {
    /// The tenant id as text.
    pub fn tenant(&self) -> String {
        self.ctx.tenant.to_string()
    }

    /// (kind, id) of the actor for audit entries.
    pub fn actor(&self) -> (&'static str, &str) {
        (
            crate::app::kind_name(self.ctx.principal.kind),
            &self.ctx.principal.subject,
        )
    }
}

impl Api {
    /// Handlers over `app`.
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }

    /// Verifies the bearer token of `request` and that its session is still live.
    pub async fn authenticate<T>(&self, request: &tonic::Request<T>) -> Result<Caller, Status> {
        let header = request
            .metadata()
            .get("authorization")
            .ok_or_else(|| Status::from(siyu_auth::AuthError::MissingToken))?;
        let value = header
            .to_str()
            .map_err(|_| Status::from(siyu_auth::AuthError::Malformed("header".into())))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Status::from(siyu_auth::AuthError::Malformed("scheme".into())))?;
        let claims = self.app.keys.verify(token).await.map_err(Status::from)?;
        let ctx = claims.to_ctx().map_err(Status::from)?;
        let sid = match ctx.principal.kind {
            PrincipalKind::Consumer | PrincipalKind::Staff => {
                sid_of(&claims.jti).map(str::to_owned)
            }
            PrincipalKind::Partner | PrincipalKind::Service => None,
        };
        if ctx.principal.kind == PrincipalKind::Partner
            && !self
                .app
                .partner_token_live(&claims)
                .await
                .map_err(Status::from)?
        {
            return Err(AppError::TokenRevoked.into());
        }
        if let Some(sid) = &sid {
            let live = self
                .app
                .session_is_live(&ctx.tenant.to_string(), sid)
                .await
                .map_err(Status::from)?;
            if !live {
                return Err(AppError::TokenRevoked.into());
            }
        }
        Ok(Caller { ctx, sid })
    }

    /// Requires a platform caller: a tenant_admin on the root of the platform tenant.
    pub async fn require_platform(&self, caller: &Caller) -> Result<(), Status> {
        let tenant = self
            .app
            .is_platform_tenant(&caller.tenant())
            .await
            .map_err(Status::from)?;
        let ok =
            tenant.is_some_and(|t| {
                caller.ctx.principal.kind == PrincipalKind::Staff
                    && caller.ctx.principal.grants.iter().any(|g| {
                        g.role == "tenant_admin" && g.org.to_path_string() == t.root_org_id
                    })
            });
        if ok {
            Ok(())
        } else {
            Err(AppError::PermissionDenied("PERMISSION_DENIED").into())
        }
    }

    /// Requires a staff caller holding one of `roles` on the tenant root (tenant-wide roles).
    pub async fn require_root_role(&self, caller: &Caller, roles: &[&str]) -> Result<(), Status> {
        let tenant = self
            .app
            .tenant(&caller.tenant())
            .await
            .map_err(Status::from)?;
        let ok = caller.ctx.principal.kind == PrincipalKind::Staff
            && caller.ctx.principal.grants.iter().any(|g| {
                roles.contains(&g.role.as_str()) && g.org.to_path_string() == tenant.root_org_id
            });
        if ok {
            Ok(())
        } else {
            Err(AppError::PermissionDenied("PERMISSION_DENIED").into())
        }
    }
}

/// (kind, id) of the caller as owned strings, for effects that outlive the request borrow.
pub fn owned_actor(caller: &Caller) -> (String, String) {
    let (kind, id) = caller.actor();
    (kind.to_owned(), id.to_owned())
}

/// The client's IP and user agent from gateway metadata.
pub fn client_info<T>(request: &tonic::Request<T>) -> ClientInfo {
    let get = |key: &str| {
        request
            .metadata()
            .get(key)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    ClientInfo {
        ip: get("x-client-ip"),
        user_agent: get("user-agent"),
    }
}

macro_rules! service_api {
    ($($name:ident),* $(,)?) => {$(
        /// Handlers of one proto service, over the shared [`Api`].
        #[derive(Debug, Clone)]
        pub struct $name(pub Api);

        impl std::ops::Deref for $name {
            type Target = Api;
            fn deref(&self) -> &Api {
                &self.0
            }
        }
    )*};
}

service_api!(
    TenantApi,
    OrgApi,
    ConsumerAuthApi,
    UserApi,
    StaffApi,
    StaffAuthApi,
    PartnerApi,
    TokenApi,
    AuditApi,
);

/// Every identity method path, registered public at the shared auth layer (handlers
/// authenticate themselves, see the module comment).
pub fn method_paths() -> Vec<String> {
    use prost::Message as _;
    let Ok(set) = prost_types::FileDescriptorSet::decode(siyu_proto::FILE_DESCRIPTOR_SET) else {
        return Vec::new();
    };
    set.file
        .iter()
        .filter(|f| f.package() == "siyu.identity.v1")
        .flat_map(|f| {
            f.service.iter().flat_map(|s| {
                s.method
                    .iter()
                    .map(move |m| format!("/siyu.identity.v1.{}/{}", s.name(), m.name()))
            })
        })
        .collect()
}

/// Adds every identity service to `server`.
pub fn add_services(server: siyu_server::GrpcServer, api: &Api) -> siyu_server::GrpcServer {
    server
        .add_service(pb::tenant_service_server::TenantServiceServer::new(
            TenantApi(api.clone()),
        ))
        .add_service(pb::org_service_server::OrgServiceServer::new(OrgApi(
            api.clone(),
        )))
        .add_service(
            pb::consumer_auth_service_server::ConsumerAuthServiceServer::new(ConsumerAuthApi(
                api.clone(),
            )),
        )
        .add_service(pb::user_service_server::UserServiceServer::new(UserApi(
            api.clone(),
        )))
        .add_service(pb::staff_service_server::StaffServiceServer::new(StaffApi(
            api.clone(),
        )))
        .add_service(pb::staff_auth_service_server::StaffAuthServiceServer::new(
            StaffAuthApi(api.clone()),
        ))
        .add_service(pb::partner_service_server::PartnerServiceServer::new(
            PartnerApi(api.clone()),
        ))
        .add_service(pb::token_service_server::TokenServiceServer::new(TokenApi(
            api.clone(),
        )))
        .add_service(pb::audit_service_server::AuditServiceServer::new(AuditApi(
            api.clone(),
        )))
}
