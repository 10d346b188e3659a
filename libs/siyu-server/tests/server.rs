//! The standard server: readiness through grpc.health.v1, reflection over every package,
//! metrics for each call, graceful stop.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; a panic is a failed test"
)]
use std::sync::Arc;

use siyu_auth::{JwksVerifier, VerifierSettings};
use siyu_server::GrpcServer;
use siyu_telemetry::Metrics;
use tokio::net::TcpListener;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

fn verifier() -> Arc<JwksVerifier> {
    let settings = VerifierSettings::new("https://identity.test", "siyu");
    let jwks = serde_json::json!({ "keys": [] });
    Arc::new(JwksVerifier::from_static_jwks(settings, &jwks, siyu_core::clock::system()).unwrap())
}

async fn start() -> (siyu_server::ServingHandle, Metrics) {
    let metrics = Metrics::new("test").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = GrpcServer::new(verifier(), metrics.clone())
        .spawn(listener)
        .await
        .unwrap();
    (handle, metrics)
}

async fn health_status(addr: std::net::SocketAddr) -> Result<i32, tonic::Status> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let mut client = HealthClient::new(channel);
    let reply = client
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await?;
    Ok(reply.into_inner().status)
}

#[tokio::test]
async fn readiness_follows_the_service_and_needs_no_token() {
    let (handle, _) = start().await;
    let addr = handle.addr();
    assert_eq!(
        health_status(addr).await.unwrap(),
        ServingStatus::NotServing as i32
    );
    handle.set_ready(true).await;
    assert_eq!(
        health_status(addr).await.unwrap(),
        ServingStatus::Serving as i32
    );
    handle.stop().await.unwrap();
    assert!(
        health_status(addr).await.is_err(),
        "a stopped server must not answer"
    );
}

#[tokio::test]
async fn calls_are_counted_in_red_metrics() {
    let (handle, metrics) = start().await;
    health_status(handle.addr()).await.unwrap();
    let text = metrics.render().unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("grpc_server_requests_total") && l.contains("Health/Check")),
        "no request counter for the health check in:\n{text}"
    );
    handle.stop().await.unwrap();
}

#[tokio::test]
async fn oversized_metadata_fails_its_call_only() {
    let (handle, _) = start().await;
    handle.set_ready(true).await;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", handle.addr()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = HealthClient::new(channel);
    let check = || {
        tonic::Request::new(HealthCheckRequest {
            service: String::new(),
        })
    };
    // Incompressible enough that HPACK cannot shrink it below the limits.
    let padding: String = (0..100 * 1024)
        .map(|i| char::from(b'!' + u8::try_from((i * 7919) % 94).unwrap()))
        .collect();
    let mut huge = check();
    huge.metadata_mut()
        .insert("x-padding", padding.parse().unwrap());
    let refused = client.check(huge).await;
    assert!(refused.is_err(), "{refused:?}");
    let status = refused.unwrap_err();
    assert!(!format!("{status:?}").contains("GoAway"), "{status:?}");

    // The same connection carries the next call.
    let reply = client.check(check()).await;
    assert!(reply.is_ok(), "{reply:?}");
    handle.stop().await.unwrap();
}
