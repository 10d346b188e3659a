//! The OAuth endpoints as RFC 6749 and RFC 7662 describe them, and the OpenAPI document
//! describing what they really answer.

use crate::support::{Backend, TestApp};

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn token_request(app: &TestApp, body: String) -> reqwest::Response {
    app.http
        .post(app.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn token_answers_and_errors_are_never_cached() {
    let app = TestApp::spawn(Backend::Memory).await;
    let granted = token_request(
        &app,
        "grant_type=client_credentials&client_id=pos-1&client_secret=s3cret".into(),
    )
    .await;
    assert_eq!(granted.status(), 200);
    assert_eq!(header(&granted, "cache-control"), "no-store");
    assert_eq!(header(&granted, "pragma"), "no-cache");

    let refused = token_request(&app, "grant_type=password".into()).await;
    assert_eq!(refused.status(), 400);
    assert_eq!(header(&refused, "content-type"), "application/json");
    assert_eq!(header(&refused, "cache-control"), "no-store");

    // Logins and refreshes carry tokens too, whatever they answer.
    for path in ["/admin/v1/auth/login", "/api/v1/auth/refresh"] {
        let response = app.post(path, None, None, "{}").await;
        assert_eq!(header(&response, "cache-control"), "no-store", "{path}");
    }
}

#[tokio::test]
async fn an_oversized_token_request_is_413() {
    let app = TestApp::spawn(Backend::Memory).await;
    let body = format!(
        "grant_type=client_credentials&client_id={}",
        "x".repeat(70 * 1024)
    );
    let response = token_request(&app, body).await;
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        (body["error"].as_str(), body["reason"].as_str()),
        (Some("invalid_request"), Some("BODY_TOO_LARGE"))
    );
}

#[tokio::test]
async fn introspecting_an_inactive_token_says_active_false() {
    let app = TestApp::spawn(Backend::Memory).await;
    let partner = app.partner_token(&[]);
    let response = app
        .http
        .post(app.url("/open/v1/oauth/introspect"))
        .bearer_auth(&partner)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("token=dead")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "cache-control"), "no-store");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["active"], false, "{body}");
}

#[tokio::test]
async fn the_openapi_document_describes_the_oauth_forms() {
    let app = TestApp::spawn(Backend::Memory).await;
    let doc: serde_json::Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let token = &doc["paths"]["/oauth/token"]["post"]["responses"];
    let error = &token["400"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(error, "#/components/schemas/OAuthError");
    assert!(token["400"]["content"]["application/problem+json"].is_null());
    let success = token["200"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap();
    let name = success.trim_start_matches("#/components/schemas/");
    let properties = &doc["components"]["schemas"][name]["properties"];
    assert_eq!(properties["access_token"]["type"], "string", "{properties}");
    assert_eq!(properties["expires_in"]["type"], "integer", "{properties}");
    assert!(properties["accessToken"].is_null(), "{properties}");
    // Other routes keep camelCase and problem+json.
    let login = &doc["paths"]["/admin/v1/auth/login"]["post"]["responses"];
    assert!(login["default"]["content"]["application/problem+json"].is_object());
}

#[tokio::test]
async fn a_token_request_with_an_idempotency_key_still_errs_in_rfc_6749_form() {
    let app = TestApp::spawn(Backend::Memory).await;
    let refused = app
        .http
        .post(app.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("idempotency-key", "fuzz-1")
        .body("grant_type=password")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(header(&refused, "content-type"), "application/json");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");
}
