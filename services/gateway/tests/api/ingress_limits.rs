//! The partner ingress answers a message it cannot take itself, with the reason, instead of
//! forwarding an empty call the service would call internal.

use pb::org_service_client::OrgServiceClient;
use siyu_proto::identity::v1 as pb;
use tonic::Code;
use tonic_types::StatusExt as _;

use crate::support::{Backend, TestApp};

#[tokio::test]
async fn an_over_size_message_is_resource_exhausted_and_the_connection_serves_on() {
    let app = TestApp::spawn(Backend::Memory).await;
    let channel = tonic::transport::Channel::from_shared(app.grpc_url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut org = OrgServiceClient::new(channel);
    let token = app.partner_token(&["catalog.read"]);
    let authed = |request: pb::ListStoresRequest| {
        let mut request = tonic::Request::new(request);
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        request
    };
    let huge = pb::ListStoresRequest {
        query: "a".repeat(4 * 1024 * 1024 + 1),
        ..Default::default()
    };
    let status = org.list_stores(authed(huge)).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let info = status.get_error_details().error_info().cloned().unwrap();
    assert_eq!(
        (info.reason.as_str(), info.domain.as_str()),
        ("MESSAGE_TOO_LARGE", "gateway.siyu")
    );

    // The same connection still carries calls.
    let reply = org
        .list_stores(authed(pb::ListStoresRequest::default()))
        .await;
    assert!(reply.is_ok(), "{reply:?}");
}

#[tokio::test]
async fn oversized_metadata_fails_its_call_only_and_the_connection_serves_on() {
    let app = TestApp::spawn(Backend::Memory).await;
    let channel = tonic::transport::Channel::from_shared(app.grpc_url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut org = OrgServiceClient::new(channel);
    let token = app.partner_token(&["catalog.read"]);
    let authed = |request: pb::ListStoresRequest| {
        let mut request = tonic::Request::new(request);
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        request
    };
    // A slow call in flight on the same connection while the oversized one is refused: a
    // connection-level GOAWAY would fail it too.
    let mut slow = org.clone();
    let in_flight = tokio::spawn({
        let request = authed(pb::ListStoresRequest::default());
        async move { slow.list_stores(request).await }
    });

    // 100 KB, incompressible enough that HPACK cannot shrink it below the limits.
    let padding: String = (0..100 * 1024)
        .map(|i| char::from(b'!' + u8::try_from((i * 7919) % 94).unwrap()))
        .collect();
    let mut huge = authed(pb::ListStoresRequest::default());
    huge.metadata_mut()
        .insert("x-padding", padding.parse().unwrap());
    let status = org.list_stores(huge).await.unwrap_err();
    assert_ne!(status.code(), Code::Ok);
    assert!(
        !status.message().contains("GOAWAY") && !status.message().contains("connection"),
        "{status:?}"
    );

    let reply = org
        .list_stores(authed(pb::ListStoresRequest::default()))
        .await;
    assert!(reply.is_ok(), "{reply:?}");
    let earlier = in_flight.await.unwrap();
    assert!(earlier.is_ok(), "{earlier:?}");
}
