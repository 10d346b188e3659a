//! Every request message is screened before a handler decodes it: malformed bytes, control
//! characters and over-size messages are the client's mistake (INVALID_ARGUMENT,
//! RESOURCE_EXHAUSTED), never INTERNAL — on a real server with the standard layers.
//!
//! The handlers are the generated defaults (UNIMPLEMENTED): a message that passes the screen
//! and decodes reaches them.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail loudly; a panic is a failed test"
)]

#[path = "support/hostile_payloads.rs"]
mod hostile_payloads;

use std::sync::Arc;

use chrono::DateTime;
use siyu_auth::{Audience, Claims, JwksVerifier, RoleClaim, SigningKey, VerifierSettings};
use siyu_core::{ManualClock, PrincipalKind, TenantId};
use siyu_proto::catalog::v1 as catalog;
use siyu_proto::catalog::v1::catalog_service_client::CatalogServiceClient;
use siyu_proto::catalog::v1::catalog_service_server::{CatalogService, CatalogServiceServer};
use siyu_proto::catalog::v1::inventory_service_server::{InventoryService, InventoryServiceServer};
use siyu_proto::catalog::v1::storefront_service_server::{
    StorefrontService, StorefrontServiceServer,
};
use siyu_proto::contract::Contract;
use siyu_server::GrpcServer;
use siyu_telemetry::Metrics;
use tokio::net::TcpListener;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

use hostile_payloads::{Rng, call_raw, is_server_fault, payloads};

const NOW: i64 = 1_750_000_000;
const CREATE_CATEGORY: &str = "/siyu.catalog.v1.CatalogService/CreateCategory";

#[derive(Clone)]
struct Defaults;

#[tonic::async_trait]
impl CatalogService for Defaults {}
#[tonic::async_trait]
impl InventoryService for Defaults {}
#[tonic::async_trait]
impl StorefrontService for Defaults {}

fn key() -> SigningKey {
    SigningKey::ed25519_from_seed("k1", &[7; 32]).unwrap()
}

/// A staff token holding every role catalog's methods name.
fn admin() -> String {
    let roles = ["tenant_admin", "hq_operator", "store_manager", "guide"];
    key()
        .sign(&Claims {
            sub: "admin".into(),
            tenant: TenantId::parse("0190b1c2-0000-7000-8000-000000000001").unwrap(),
            kind: PrincipalKind::Staff,
            roles: roles
                .iter()
                .map(|r| RoleClaim {
                    role: (*r).into(),
                    org: "0190b1c2-0000-7000-8000-00000000000a".into(),
                })
                .collect(),
            scopes: vec![],
            exp: NOW + 300,
            nbf: None,
            iat: NOW,
            iss: "https://identity.test".into(),
            aud: Audience::One("siyu".into()),
            jti: "j1".into(),
            client_id: None,
        })
        .unwrap()
}

async fn start() -> Channel {
    let clock = Arc::new(ManualClock::new(DateTime::from_timestamp(NOW, 0).unwrap()));
    let settings = VerifierSettings::new("https://identity.test", "siyu");
    let verifier =
        JwksVerifier::from_static_jwks(settings, &SigningKey::jwks([&key()]), clock).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = GrpcServer::new(Arc::new(verifier), Metrics::new("screen_test").unwrap())
        .add_service(CatalogServiceServer::new(Defaults))
        .add_service(InventoryServiceServer::new(Defaults))
        .add_service(StorefrontServiceServer::new(Defaults))
        .spawn(listener)
        .await
        .unwrap();
    let url = format!("http://{}", handle.addr());
    // The handle stops the server on drop; the test process ends first.
    std::mem::forget(handle);
    Channel::from_shared(url).unwrap().connect_lazy()
}

fn authed<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", admin()).parse().unwrap(),
    );
    request
}

fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_nul_in_a_nested_string_is_invalid_argument_naming_the_field() {
    let mut client = CatalogServiceClient::new(start().await);
    let category = catalog::Category {
        name: "sum\u{0}mer".into(),
        ..Default::default()
    };
    let status = client
        .create_category(authed(catalog::CreateCategoryRequest {
            category: Some(category),
        }))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "INVALID_ARGUMENT");
    let violations = status.get_details_bad_request().unwrap().field_violations;
    assert_eq!(violations[0].field, "category.name");
    assert_eq!(
        violations[0].description,
        "must not contain the control character U+0000"
    );

    // Clean text (tabs and line breaks in free text included) reaches the handler.
    let category = catalog::Category {
        name: "夏季\t新品".into(),
        ..Default::default()
    };
    let status = client
        .create_category(authed(catalog::CreateCategoryRequest {
            category: Some(category),
        }))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
}

#[tokio::test]
async fn undecodable_bytes_are_malformed_not_internal() {
    let channel = start().await;
    let token = admin();
    // A length beyond the end (the walk refuses it) and a message field sent as a varint
    // (the walk skips it; the generated decoder refuses it, and its answer is rewritten).
    for payload in [vec![0x0a, 0x05, b'a'], vec![0x08, 0x01]] {
        let status = call_raw(
            channel.clone(),
            CREATE_CATEGORY,
            payload.clone(),
            Some(&token),
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{payload:?}");
        assert_eq!(status.message(), "malformed request message");
        assert_eq!(reason(&status), "MALFORMED_MESSAGE");
    }
}

#[tokio::test]
async fn an_over_size_message_is_resource_exhausted() {
    let channel = start().await;
    let mut payload = vec![0x0a];
    let size = 5 * 1024 * 1024_u32;
    let mut n = size + 8;
    while n >= 0x80 {
        payload.push((n as u8) | 0x80);
        n >>= 7;
    }
    payload.push(n as u8);
    payload.resize(payload.len() + size as usize + 8, b'a');
    let status = call_raw(channel, CREATE_CATEGORY, payload, Some(&admin()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(reason(&status), "MESSAGE_TOO_LARGE");
}

#[tokio::test]
async fn hostile_payloads_never_make_a_server_fault() {
    let channel = start().await;
    let token = admin();
    let mut rng = Rng::new(0x5159_u64);
    let methods: Vec<_> = Contract::global()
        .unwrap()
        .methods()
        .filter(|m| m.rpc.starts_with("siyu.catalog.v1.CatalogService/"))
        .collect();
    let mut calls = 0;
    for method in methods {
        for payload in payloads(method, &mut rng, 24) {
            let result =
                call_raw(channel.clone(), &method.path, payload.clone(), Some(&token)).await;
            calls += 1;
            if let Err(status) = result {
                assert!(
                    !is_server_fault(status.code()),
                    "{} with {payload:02x?}: {status:?}",
                    method.rpc
                );
            }
        }
    }
    assert!(calls > 300, "{calls}");
}

#[tokio::test]
async fn methods_this_server_does_not_serve_are_unimplemented_for_everyone() {
    let channel = start().await;
    // Declared by the contract, served by identity, not here.
    let elsewhere = "/siyu.identity.v1.StaffService/GetCurrentStaff";
    for token in [None, Some(admin())] {
        let status = call_raw(
            channel.clone(),
            elsewhere,
            vec![0x0a, 0x05],
            token.as_deref(),
        )
        .await
        .unwrap_err();
        assert_eq!(status.code(), Code::Unimplemented, "{status:?}");
    }
}
