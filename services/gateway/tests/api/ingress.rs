//! The partner gRPC ingress: scope per method, replies and statuses streamed back.

use pb::org_service_client::OrgServiceClient;
use pb::token_service_client::TokenServiceClient;
use siyu_proto::identity::v1 as pb;
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt as _;

use crate::support::{Backend, TestApp};

fn with_token<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

async fn channel(app: &TestApp) -> Channel {
    Channel::from_shared(app.grpc_url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap()
}

fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_partner_with_the_scope_gets_the_reply_and_the_status() {
    let app = TestApp::spawn(Backend::Redis).await;
    let mut org = OrgServiceClient::new(channel(&app).await);
    let token = app.partner_token(&["catalog.read"]);
    let reply = org
        .list_stores(with_token(pb::ListStoresRequest::default(), &token))
        .await
        .unwrap();
    assert!(reply.into_inner().stores.is_empty());
    assert_eq!(
        app.identity.last_metadata()["authorization"],
        format!("Bearer {token}")
    );

    // A service error comes back with its code and details.
    let request = pb::ListStoresRequest {
        query: "fail".into(),
        ..Default::default()
    };
    let status = org
        .list_stores(with_token(request, &token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "STORE_QUERY_INVALID");

    // A method needing no scope.
    let mut tokens = TokenServiceClient::new(channel(&app).await);
    let request = pb::IntrospectTokenRequest {
        token: "live".into(),
        ..Default::default()
    };
    let reply = tokens
        .introspect_token(with_token(request, &token))
        .await
        .unwrap()
        .into_inner();
    assert!(reply.active);
    assert_eq!(reply.exp, 9_007_199_254_740_993);
}

#[tokio::test]
async fn missing_scope_wrong_kind_and_unlisted_methods_are_refused() {
    let app = TestApp::spawn(Backend::Memory).await;
    let mut org = OrgServiceClient::new(channel(&app).await);

    let token = app.partner_token(&["orders.read"]);
    let status = org
        .list_stores(with_token(pb::ListStoresRequest::default(), &token))
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::PermissionDenied, "SCOPE_MISSING")
    );

    let consumer = app.consumer_token();
    let status = org
        .list_stores(with_token(pb::ListStoresRequest::default(), &consumer))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);

    let status = org
        .list_stores(pb::ListStoresRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::Unauthenticated, "TOKEN_MISSING")
    );

    let partner = app.partner_token(&["catalog.read"]);
    let mut tokens = TokenServiceClient::new(channel(&app).await);
    let status = tokens
        .get_jwks(with_token(pb::GetJwksRequest::default(), &partner))
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::PermissionDenied, "METHOD_NOT_EXPOSED")
    );
    assert!(
        app.identity.seen.metadata.lock().unwrap().is_empty(),
        "nothing reached the service"
    );
}
