//! Bad input and service errors become exact problems.

use std::sync::atomic::Ordering;

use crate::support::{Backend, TestApp, problem, unique_key};

#[tokio::test]
async fn bad_bodies_are_refused_before_the_service() {
    let app = TestApp::spawn_with(Backend::Memory, |limits| limits.max_body_bytes = 1024).await;
    let token = app.consumer_token();
    let path = "/api/v1/auth/logout-everywhere";
    let cases = [
        (r#"{"nope": 1}"#, "application/json", 400, "UNKNOWN_FIELD"),
        (
            r#"{"keepCurrent": "#,
            "application/json",
            400,
            "MALFORMED_JSON",
        ),
        ("[1, 2]", "application/json", 400, "MALFORMED_JSON"),
        (
            r#"{"keepCurrent": "yes"}"#,
            "application/json",
            400,
            "INVALID_FIELD_VALUE",
        ),
        (
            r#"{"keepCurrent": true}"#,
            "text/plain",
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "keep_current=true",
            "application/x-www-form-urlencoded",
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
    ];
    for (body, media, status, reason) in cases {
        let response = app
            .http
            .post(app.url(path))
            .bearer_auth(&token)
            .header("idempotency-key", unique_key())
            .header("content-type", media)
            .body(body)
            .send()
            .await
            .unwrap();
        let (got, problem) = problem(response).await;
        assert_eq!(
            (got, problem["reason"].as_str()),
            (status, Some(reason)),
            "{body}: {problem}"
        );
    }
    let big = format!(r#"{{"keepCurrent": true, "pad": "{}"}}"#, "x".repeat(2000));
    let (status, body) = problem(
        app.post(path, Some(&token), Some(&unique_key()), &big)
            .await,
    )
    .await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (413, Some("BODY_TOO_LARGE"))
    );

    let (status, body) = problem(app.get("/api/v1/sessions?nope=1", Some(&token)).await).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (400, Some("UNKNOWN_FIELD"))
    );
    assert_eq!(body["errors"][0]["field"], "nope");

    assert_eq!(
        app.identity
            .seen
            .logout_everywhere_calls
            .load(Ordering::SeqCst),
        0
    );
}

#[tokio::test]
async fn every_grpc_code_maps_to_its_http_status_with_reason_and_violations() {
    let app = TestApp::spawn(Backend::Memory).await;
    let token = app.consumer_token();
    let cases = [
        ("invalid", 400, "INVALIDARGUMENT_REASON"),
        ("unauthenticated", 401, "UNAUTHENTICATED_REASON"),
        ("denied", 403, "PERMISSIONDENIED_REASON"),
        ("notfound", 404, "NOTFOUND_REASON"),
        ("exists", 409, "ALREADYEXISTS_REASON"),
        ("aborted", 409, "ABORTED_REASON"),
        ("precondition", 422, "FAILEDPRECONDITION_REASON"),
        ("exhausted", 429, "RESOURCEEXHAUSTED_REASON"),
        ("unavailable", 503, "UNAVAILABLE_REASON"),
        ("deadline", 504, "DEADLINEEXCEEDED_REASON"),
        ("internal", 500, "INTERNAL"),
    ];
    for (session, status, reason) in cases {
        let path = format!("/api/v1/sessions/err-{session}/revoke");
        let response = app
            .post(&path, Some(&token), Some(&unique_key()), "{}")
            .await;
        let retry_after = response.headers().get("retry-after").cloned();
        let (got, body) = problem(response).await;
        assert_eq!(
            (got, body["reason"].as_str()),
            (status, Some(reason)),
            "{session}: {body}"
        );
        assert_eq!(body["status"], status);
        assert!(body["type"].as_str().unwrap().ends_with(reason));
        if session == "invalid" {
            assert_eq!(body["errors"][0]["field"], "reason");
            assert_eq!(body["errors"][0]["description"], "must not be empty");
        }
        if session == "exhausted" {
            assert_eq!(retry_after.unwrap(), "7");
        }
        if session == "internal" {
            assert!(
                !body.to_string().contains("secret internal detail"),
                "masked: {body}"
            );
        }
    }
}

#[tokio::test]
async fn a_slow_service_is_a_gateway_timeout_and_unknown_routes_are_404_or_405() {
    let app = TestApp::spawn(Backend::Memory).await;
    let token = app.consumer_token();
    let response = app
        .post(
            "/api/v1/sessions/slow/revoke",
            Some(&token),
            Some(&unique_key()),
            "{}",
        )
        .await;
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (504, Some("UPSTREAM_TIMEOUT"))
    );

    let (status, body) = problem(app.get("/api/v1/nothing-here", None).await).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (404, Some("ROUTE_NOT_FOUND"))
    );
    let response = app
        .http
        .delete(app.url("/api/v1/sessions"))
        .send()
        .await
        .unwrap();
    // HEAD is served wherever GET is.
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (405, Some("METHOD_NOT_ALLOWED"))
    );
}

/// Sends raw bytes (clients refuse to build such requests) and reads the whole reply.
async fn raw(app: &TestApp, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.url("").trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(request).await.unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply).await;
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test]
async fn requests_http_itself_refuses_are_problems_too() {
    let app = TestApp::spawn(Backend::Memory).await;
    // Beyond the longest URI the HTTP parser accepts (64 KiB).
    let long = format!(
        "GET /api/v1/products?query={} HTTP/1.1\r\nhost: gw\r\n\r\n",
        "a".repeat(70_000)
    );
    let reply = raw(&app, long.as_bytes()).await;
    assert!(
        reply.starts_with("HTTP/1.1 414 "),
        "{}",
        &reply[..reply.len().min(200)]
    );
    assert!(reply.contains("content-type: application/problem+json"));
    assert!(reply.contains("\"reason\":\"URI_TOO_LONG\""));

    // A request line that is not HTTP.
    let reply = raw(&app, b"GET\x01 / HTTP/1.1\r\n\r\n").await;
    assert!(reply.starts_with("HTTP/1.1 400 "), "{reply}");
    assert!(reply.contains("\"reason\":\"MALFORMED_REQUEST\""));

    // A header section beyond the parser's buffer.
    let big = format!(
        "GET /healthz HTTP/1.1\r\nhost: gw\r\nx-pad: {}\r\n\r\n",
        "p".repeat(500_000)
    );
    let reply = raw(&app, big.as_bytes()).await;
    assert!(
        reply.starts_with("HTTP/1.1 431 "),
        "{}",
        &reply[..reply.len().min(200)]
    );
    assert!(reply.contains("\"reason\":\"HEADERS_TOO_LARGE\""));
}
