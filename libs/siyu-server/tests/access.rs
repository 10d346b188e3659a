//! The access layer admits calls by their contract before any handler runs.
//!
//! The handlers here are the generated defaults (UNIMPLEMENTED): a call the layer admits
//! reaches them and answers UNIMPLEMENTED; a call it refuses never does.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly")]

use std::sync::Arc;

use chrono::DateTime;
use siyu_auth::{Audience, Claims, JwksVerifier, RoleClaim, SigningKey, VerifierSettings};
use siyu_core::{ManualClock, PrincipalKind, TenantId};
use siyu_proto::catalog::v1 as catalog;
use siyu_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use siyu_proto::catalog::v1::catalog_service_server::{CatalogService, CatalogServiceServer};
use siyu_proto::catalog::v1::inventory_service_client::InventoryServiceClient;
use siyu_proto::catalog::v1::inventory_service_server::{InventoryService, InventoryServiceServer};
use siyu_proto::catalog::v1::storefront_service_client::StorefrontServiceClient;
use siyu_proto::catalog::v1::storefront_service_server::{
    StorefrontService, StorefrontServiceServer,
};
use siyu_server::{Caller, GrpcServer, GuestTenants};
use siyu_telemetry::Metrics;
use tokio::net::TcpListener;
use tonic::transport::Channel;
use tonic::{Code, Request, Response, Status};
use tonic_types::StatusExt;

const NOW: i64 = 1_750_000_000;
const TENANT: &str = "0190b1c2-0000-7000-8000-000000000001";
const ORG: &str = "0190b1c2-0000-7000-8000-00000000000a";

/// Every method answers UNIMPLEMENTED (the generated defaults).
#[derive(Clone)]
struct Defaults;

#[tonic::async_trait]
impl CatalogService for Defaults {}
#[tonic::async_trait]
impl InventoryService for Defaults {}

/// The storefront answers who it was called by, to show what the layer hands a handler.
#[derive(Clone)]
struct Echo;

#[tonic::async_trait]
impl StorefrontService for Echo {
    async fn search_products(
        &self,
        request: Request<catalog::SearchProductsRequest>,
    ) -> Result<Response<catalog::SearchProductsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let who = match (caller.token_ctx(), caller.tenant()) {
            (Some(ctx), _) => format!("token:{:?}:{:?}", ctx.principal.kind, ctx.admitted_roles),
            (None, Some(tenant)) => format!("guest:{tenant}"),
            (None, None) => "guest:none".into(),
        };
        Err(Status::failed_precondition(who))
    }
}

/// Guests of app `wx-known` act in TENANT; others are unknown.
struct Apps;

impl GuestTenants for Apps {
    fn tenant_of<'a>(&'a self, app_id: &'a str) -> siyu_server::access::GuestFuture<'a> {
        Box::pin(async move {
            if app_id == "wx-known" {
                Ok(TenantId::parse(TENANT).unwrap())
            } else {
                Err(Status::not_found("APP_NOT_FOUND"))
            }
        })
    }
}

fn key() -> SigningKey {
    SigningKey::ed25519_from_seed("k1", &[7; 32]).unwrap()
}

fn token(kind: PrincipalKind, roles: &[&str], scopes: &[&str]) -> String {
    let claims = Claims {
        sub: "someone".into(),
        tenant: TenantId::parse(TENANT).unwrap(),
        kind,
        roles: roles
            .iter()
            .map(|r| RoleClaim {
                role: (*r).into(),
                org: ORG.into(),
            })
            .collect(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        exp: NOW + 300,
        nbf: None,
        iat: NOW,
        iss: "https://identity.test".into(),
        aud: Audience::One("siyu".into()),
        jti: "j1".into(),
        client_id: (kind == PrincipalKind::Partner).then(|| "pos-1".into()),
    };
    key().sign(&claims).unwrap()
}

async fn start() -> Channel {
    let clock = Arc::new(ManualClock::new(DateTime::from_timestamp(NOW, 0).unwrap()));
    let settings = VerifierSettings::new("https://identity.test", "siyu");
    let verifier =
        JwksVerifier::from_static_jwks(settings, &SigningKey::jwks([&key()]), clock).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = GrpcServer::new(Arc::new(verifier), Metrics::new("access_test").unwrap())
        .guests(Arc::new(Apps))
        .add_service(CatalogServiceServer::new(Defaults))
        .add_service(InventoryServiceServer::new(Defaults))
        .add_service(StorefrontServiceServer::new(Echo))
        .spawn(listener)
        .await
        .unwrap();
    let url = format!("http://{}", handle.addr());
    // The handle stops the server on drop; the test process ends first.
    std::mem::forget(handle);
    Channel::from_shared(url).unwrap().connect_lazy()
}

fn with<T>(message: T, token: Option<&str>, app: Option<&str>) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(token) = token {
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    if let Some(app) = app {
        request
            .metadata_mut()
            .insert("x-siyu-app-id", app.parse().unwrap());
    }
    request
}

fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_staff_rpc_admits_its_roles_only() {
    let mut client = CatalogServiceClient::new(start().await);
    let create = || catalog::CreateCategoryRequest::default();
    // CreateCategory admits staff:tenant_admin|hq_operator and partner:catalog.write.
    let guide = token(PrincipalKind::Staff, &["guide"], &[]);
    let err = client
        .create_category(with(create(), Some(&guide), None))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err).as_str()),
        (Code::PermissionDenied, "PERMISSION_DENIED")
    );
    let operator = token(PrincipalKind::Staff, &["hq_operator"], &[]);
    let err = client
        .create_category(with(create(), Some(&operator), None))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented, "admitted: {err:?}");

    let consumer = token(PrincipalKind::Consumer, &[], &[]);
    let err = client
        .create_category(with(create(), Some(&consumer), None))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let err = client
        .create_category(with(create(), None, None))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err).as_str()),
        (Code::Unauthenticated, "TOKEN_MISSING")
    );
}

#[tokio::test]
async fn partners_need_the_declared_scope_and_services_their_own_methods() {
    let channel = start().await;
    let mut catalog = CatalogServiceClient::new(channel.clone());
    let reader = token(PrincipalKind::Partner, &[], &["catalog.read"]);
    let err = catalog
        .create_category(with(
            catalog::CreateCategoryRequest::default(),
            Some(&reader),
            None,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err).as_str()),
        (Code::PermissionDenied, "SCOPE_MISSING")
    );
    let writer = token(PrincipalKind::Partner, &[], &["catalog.write"]);
    let err = catalog
        .create_category(with(
            catalog::CreateCategoryRequest::default(),
            Some(&writer),
            None,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented);

    // ConfirmReservation is for services only.
    let mut inventory = InventoryServiceClient::new(channel);
    let confirm = || catalog::ConfirmReservationRequest::default();
    let admin = token(PrincipalKind::Staff, &["tenant_admin"], &[]);
    let err = inventory
        .confirm_reservation(with(confirm(), Some(&admin), None))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let service = token(PrincipalKind::Service, &[], &[]);
    let err = inventory
        .confirm_reservation(with(confirm(), Some(&service), None))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented);
}

#[tokio::test]
async fn guests_act_in_the_tenant_of_their_app_and_tokens_carry_the_method_roles() {
    let mut storefront = StorefrontServiceClient::new(start().await);
    let search = || catalog::SearchProductsRequest::default();
    let err = storefront
        .search_products(with(search(), None, Some("wx-known")))
        .await
        .unwrap_err();
    assert_eq!(err.message(), format!("guest:{TENANT}"));
    let err = storefront
        .search_products(with(search(), None, Some("wx-unknown")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    let err = storefront
        .search_products(with(search(), None, None))
        .await
        .unwrap_err();
    assert_eq!(err.message(), "guest:none");

    let consumer = token(PrincipalKind::Consumer, &[], &[]);
    let err = storefront
        .search_products(with(search(), Some(&consumer), Some("wx-known")))
        .await
        .unwrap_err();
    assert_eq!(err.message(), "token:Consumer:[]");
    // A token that does not verify is refused even where guests are welcome.
    let err = storefront
        .search_products(with(search(), Some("not-a-jwt"), None))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}
