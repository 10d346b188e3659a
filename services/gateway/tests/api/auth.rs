//! Tokens and access policies: 401 for who you are, 403 for what you may do.

use crate::support::{Backend, TestApp, problem};

#[tokio::test]
async fn missing_expired_and_forged_tokens_are_401_with_a_reason() {
    let app = TestApp::spawn(Backend::Memory).await;
    let response = app.get("/api/v1/sessions", None).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (401, Some("TOKEN_MISSING"))
    );

    let expired = app.expired_consumer_token();
    let (status, body) = problem(app.get("/api/v1/sessions", Some(&expired)).await).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (401, Some("TOKEN_EXPIRED"))
    );

    let forged = format!("{}x", app.consumer_token());
    let (status, body) = problem(app.get("/api/v1/sessions", Some(&forged)).await).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (401, Some("TOKEN_INVALID"))
    );

    // An optional-token route refuses a bad token rather than treating it as anonymous.
    let (status, _) = problem(app.get("/api/v1/stores?appId=wx1", Some("garbage")).await).await;
    assert_eq!(status, 401);
    assert_eq!(
        app.get("/api/v1/stores?appId=wx1", None).await.status(),
        200
    );
}

#[tokio::test]
async fn kinds_roles_and_scopes_are_403() {
    let app = TestApp::spawn(Backend::Memory).await;
    let staff = app.staff_token(&["guide"]);
    let (status, body) = problem(app.get("/api/v1/sessions", Some(&staff)).await).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (403, Some("PERMISSION_DENIED"))
    );
    // Any staff may list sessions on the admin side.
    assert_eq!(
        app.get("/admin/v1/sessions", Some(&staff)).await.status(),
        200
    );

    // Signing keys need tenant_admin.
    let (status, body) = problem(app.get("/admin/v1/signing-keys", Some(&staff)).await).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (403, Some("PERMISSION_DENIED"))
    );
    let admin = app.staff_token(&["tenant_admin"]);
    let (status, body) = problem(app.get("/admin/v1/signing-keys", Some(&admin)).await).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (501, Some("UNIMPLEMENTED")),
        "passed the gateway"
    );

    let partner = app.partner_token(&["orders.read"]);
    let (status, body) = problem(app.get("/open/v1/stores", Some(&partner)).await).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (403, Some("SCOPE_MISSING"))
    );
    let partner = app.partner_token(&["catalog.read"]);
    assert_eq!(
        app.get("/open/v1/stores", Some(&partner)).await.status(),
        200
    );

    let consumer = app.consumer_token();
    let (status, _) = problem(app.get("/open/v1/stores", Some(&consumer)).await).await;
    assert_eq!(status, 403);
}
