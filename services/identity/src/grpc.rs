//! gRPC handlers, written on the shared handler kit (`siyu_server`): the access layer has
//! admitted the caller by its RPC's `siyu.api.v1.access` before a handler runs, with tokens
//! verified against identity's own key ring and revoked sessions refused (`access.rs`). A
//! handler reads the admitted [`Caller`], parses the request (ids typed in `ids.rs`, every
//! other field violation an `AppError`), calls the app — mutations through
//! [`Mutations::mutate`]: one write transaction with the idempotency record of
//! `x-idempotency-key`, the outbox relay woken after the commit; logins and token grants
//! through [`Mutations::dedupe`] — and converts the answer. Errors become `Status` once, in
//! `error.rs`.
//!
//! Folders by concept, named as in `app/` and `repo/`; each proto service's trait impl only
//! dispatches to them.

pub mod access;
mod audit;
mod caller;
mod consumers;
mod error;
mod ids;
mod merges;
mod org;
mod partners;
mod privacy;
mod sealed;
mod staff;
mod tenancy;
mod tokens;
mod user_service;

use std::fmt::Display;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use siyu_core::{PageRequest, TenantId};
use siyu_proto::common::v1 as common;
use siyu_proto::identity::v1 as pb;
use siyu_server::{Mutations, Paging};
use siyu_store::outbox::OutboxWaker;
use tonic::{Response, Status};

pub use caller::{Caller, owned_actor};

use crate::app::{App, ClientInfo};
use crate::error::AppError;

/// What every handler returns.
pub(crate) type R<T> = Result<Response<T>, Status>;

/// State shared by every handler.
#[derive(Debug, Clone)]
pub struct Api {
    app: Arc<App>,
    mutations: Mutations<AppError>,
}

impl Api {
    /// Handlers over `app`; mutations wake the outbox relay of `outbox` once they commit.
    pub fn new(app: Arc<App>, outbox: OutboxWaker) -> Self {
        let mutations = Mutations::new(app.db.clone(), Arc::clone(&app.clock))
            .with_outbox(outbox)
            .with_claims(app.cache.clone());
        Self { app, mutations }
    }

    /// The tenant a guest acts in: the app named in the request (`app_id`), else the app the
    /// call named in `x-siyu-app-id` (resolved by the access layer).
    pub async fn guest_tenant<T>(
        &self,
        request: &tonic::Request<T>,
        app_id: &str,
    ) -> Result<TenantId, Status> {
        if app_id.len() > 64 {
            return Err(AppError::invalid("app_id", "must be 1..64 characters").into());
        }
        if !app_id.is_empty() {
            return Ok(self.app.resolve_app(app_id).await?.tenant.id);
        }
        match siyu_server::Caller::of(request)?.tenant() {
            Some(tenant) => Ok(tenant),
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

/// Records `value` as the span field `field` (declared empty by the handler's
/// `#[tracing::instrument(fields(...))]`), once the handler has parsed it.
pub(crate) fn record(field: &'static str, value: impl Display) {
    tracing::Span::current().record(field, tracing::field::display(value));
}

/// One page of a list held in memory (a subtree, a user's consents), paged by offset; a bad
/// size or token is a violation on `page.page_size` / `page.page_token`.
pub(crate) fn page<T>(
    list: &Paging,
    rows: Vec<T>,
    page: Option<&common::PageRequest>,
) -> Result<(Vec<T>, common::PageResponse), AppError> {
    Ok(list.slice(rows, page)?)
}

/// The keyset page a request asks for (violations as in [`page`]).
pub(crate) fn page_of<C: DeserializeOwned>(
    list: &Paging,
    page: Option<&common::PageRequest>,
) -> Result<PageRequest<C>, AppError> {
    Ok(list.parse(page)?)
}

/// A count on the wire (saturating).
pub(crate) fn count(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
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
