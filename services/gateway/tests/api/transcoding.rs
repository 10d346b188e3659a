//! JSON → gRPC → JSON through the real gateway.

use std::sync::atomic::Ordering;

use crate::support::{Backend, TestApp, unique_key};

#[tokio::test]
async fn a_public_get_round_trips_the_jwks() {
    let app = TestApp::spawn(Backend::Memory).await;
    let response = app.get("/.well-known/jwks.json", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["keys"][0]["kid"], "test-key");
    assert_eq!(body["keys"][0]["use"], "sig");
    assert_eq!(body["maxAgeSeconds"], 300);
}

#[tokio::test]
async fn a_post_carries_token_key_request_id_and_trace_context() {
    let app = TestApp::spawn(Backend::Redis).await;
    let token = app.consumer_token();
    let key = unique_key();
    let response = app
        .http
        .post(app.url("/api/v1/auth/logout-everywhere"))
        .bearer_auth(&token)
        .header("idempotency-key", &key)
        .header("content-type", "application/json")
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .body(r#"{"keepCurrent": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"revokedSessionCount": 101}));

    let seen = app.identity.last_metadata();
    assert_eq!(seen["authorization"], format!("Bearer {token}"));
    assert_eq!(seen["x-idempotency-key"], key);
    assert!(!seen["x-request-id"].is_empty());
    assert_eq!(seen["x-client-ip"], "127.0.0.1");
    assert!(
        seen["traceparent"].contains("4bf92f3577b34da6a3ce929d0e0e4736"),
        "the caller's trace continues upstream: {seen:?}"
    );
}

#[tokio::test]
async fn path_and_query_parameters_fill_request_fields() {
    let app = TestApp::spawn(Backend::Memory).await;
    let token = app.consumer_token();
    let response = app
        .get(
            "/api/v1/sessions?subjectId=abc&page.pageSize=5&principal_kind=PRINCIPAL_KIND_CONSUMER",
            Some(&token),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["sessions"][0]["sessionId"], "abc:5");
    assert_eq!(
        body["sessions"][0]["principalKind"],
        "PRINCIPAL_KIND_CONSUMER"
    );

    let response = app
        .post(
            "/api/v1/sessions/s%2F1/revoke",
            Some(&token),
            Some(&unique_key()),
            r#"{"reason":"lost phone"}"#,
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.identity.seen.revoke_calls.load(Ordering::SeqCst), 1);

    // The body may not contradict the path.
    let response = app
        .post(
            "/api/v1/sessions/s1/revoke",
            Some(&token),
            Some(&unique_key()),
            r#"{"sessionId":"s2"}"#,
        )
        .await;
    let (status, body) = crate::support::problem(response).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (400, Some("PATH_BODY_MISMATCH"))
    );
}

#[tokio::test]
async fn the_token_endpoint_speaks_rfc_6749() {
    let app = TestApp::spawn(Backend::Memory).await;
    let response = app
        .http
        .post(app.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            "grant_type=client_credentials&client_id=pos-1&client_secret=s3cret&scope=catalog.read",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["access_token"], "token-for-pos-1");
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["scope"], "catalog.read");

    // HTTP Basic client authentication, wrong secret → invalid_client.
    let response = app
        .http
        .post(app.url("/open/v1/oauth/token"))
        .basic_auth("pos-1", Some("wrong"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");

    let response = app
        .http
        .post(app.url("/oauth/token"))
        .json(&serde_json::json!({"grant_type": "password", "client_id": "pos-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn with_a_tracer_the_gateway_span_becomes_the_parent_upstream() {
    // nextest runs each test in its own process, so installing the global subscriber here
    // affects this test only.
    let _telemetry = siyu_telemetry::init(&siyu_telemetry::TelemetrySettings::new("gateway-test"));
    let app = TestApp::spawn(Backend::Memory).await;
    let response = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let upstream = app.identity.last_metadata()["traceparent"].clone();
    let parts: Vec<&str> = upstream.split('-').collect();
    assert_eq!(parts[1], "4bf92f3577b34da6a3ce929d0e0e4736", "same trace");
    assert_ne!(
        parts[2], "00f067aa0ba902b7",
        "a gateway span in between: {upstream}"
    );
}
