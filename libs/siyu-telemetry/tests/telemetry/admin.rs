//! The admin server: liveness, readiness toggling, metrics exposition.

use std::net::SocketAddr;
use std::time::Duration;

use siyu_telemetry::{AdminServer, Metrics, Readiness};

pub async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Polls `/metrics` until `wanted` appears (the server records when a call's body ends,
/// which can be just after the client saw the reply).
pub async fn metrics_containing(addr: SocketAddr, wanted: &[&str]) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, text) = get(addr, "/metrics").await;
        assert_eq!(status, 200);
        if wanted.iter().all(|w| text.contains(w)) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "missing {wanted:?} in:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn readiness_follows_the_handle_and_liveness_is_always_ok() {
    let readiness = Readiness::default();
    let server = AdminServer::start(
        "127.0.0.1:0".parse().unwrap(),
        Metrics::new("t").unwrap(),
        readiness.clone(),
    )
    .await
    .unwrap();
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0);
    assert_eq!(get(addr, "/healthz").await.0, 200);
    assert_eq!(get(addr, "/readyz").await.0, 503);
    readiness.set_ready(true);
    assert_eq!(get(addr, "/readyz").await, (200, "ready".into()));
    readiness.set_ready(false);
    assert_eq!(get(addr, "/readyz").await.0, 503);
    assert_eq!(get(addr, "/healthz").await.0, 200);
    server.shutdown().await;
    assert!(
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .is_err(),
        "stopped server still answers"
    );
}

#[tokio::test]
async fn business_counters_registered_by_a_service_are_exposed() {
    let metrics = Metrics::new("orders").unwrap();
    let created = prometheus::IntCounter::new("orders_created_total", "Orders created").unwrap();
    metrics
        .registry()
        .register(Box::new(created.clone()))
        .unwrap();
    created.inc_by(3);
    let server = AdminServer::start(
        "127.0.0.1:0".parse().unwrap(),
        metrics,
        Readiness::default(),
    )
    .await
    .unwrap();
    metrics_containing(
        server.local_addr(),
        &[r#"orders_created_total{service="orders"} 3"#],
    )
    .await;
}
