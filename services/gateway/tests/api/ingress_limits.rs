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
