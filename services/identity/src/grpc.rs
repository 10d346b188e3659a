//! Thin gRPC handlers: decode → validate → `app` → map errors. The shared access layer has
//! admitted each call by its RPC's `siyu.api.v1.access` before a handler runs, with tokens
//! verified against identity's own key ring and revoked sessions refused (`access.rs`); a
//! handler reads the admitted caller with [`Caller::of`].

pub mod access;
mod audit;
mod consumers;
mod error;
mod idempotent;
mod ids;
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

/// The admitted caller of a token-bearing call, as handlers use it: the verified context and
/// the session of its token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The verified context.
    pub ctx: Ctx,
    /// The session of the token (consumer and staff tokens).
    pub sid: Option<String>,
}

impl Caller {
    /// The caller the access layer admitted for `request`; UNAUTHENTICATED TOKEN_MISSING when
    /// the call carried no token (a guest or a call with a credential in the request).
    pub fn of<T>(request: &tonic::Request<T>) -> Result<Self, Status> {
        let ctx = siyu_server::Caller::of(request)?.ctx()?.clone();
        Ok(Self::from(ctx))
    }

    /// The caller of a call whose token is optional (guests, credentials in the request).
    pub fn optional<T>(request: &tonic::Request<T>) -> Result<Option<Self>, Status> {
        let caller = siyu_server::Caller::of(request)?;
        Ok(caller.token_ctx().cloned().map(Self::from))
    }

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

impl From<Ctx> for Caller {
    fn from(ctx: Ctx) -> Self {
        let sid = match ctx.principal.kind {
            PrincipalKind::Consumer | PrincipalKind::Staff => ctx
                .principal
                .token_id
                .as_deref()
                .and_then(sid_of)
                .map(str::to_owned),
            PrincipalKind::Partner | PrincipalKind::Service => None,
        };
        Self { ctx, sid }
    }
}

impl Api {
    /// Handlers over `app`.
    pub fn new(app: Arc<App>) -> Self {
        Self { app }
    }

    /// The tenant a guest acts in: the app named in the request (`app_id`), else the app the
    /// call named in `x-siyu-app-id` (resolved by the access layer).
    pub async fn guest_tenant<T>(
        &self,
        request: &tonic::Request<T>,
        app_id: &str,
    ) -> Result<String, Status> {
        if app_id.len() > 64 {
            return Err(AppError::invalid("app_id", "must be 1..64 characters").into());
        }
        if !app_id.is_empty() {
            return Ok(self.app.resolve_app(app_id).await?.tenant.id);
        }
        match siyu_server::Caller::of(request)?.tenant() {
            Some(tenant) => Ok(tenant.to_string()),
            None => Err(AppError::invalid("app_id", "is required without a token").into()),
        }
    }

    /// Requires a platform caller (`App::require_platform`).
    pub async fn require_platform(&self, caller: &Caller) -> Result<(), Status> {
        Ok(self.app.require_platform(&caller.ctx).await?)
    }

    /// Requires one of the method's roles on the tenant root (`App::require_on_root`).
    pub async fn require_root_role(&self, caller: &Caller) -> Result<(), Status> {
        Ok(self.app.require_on_root(&caller.ctx).await?)
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
