//! Bad input through REST: exact status and `reason`, never a 5xx.

use serde_json::json;

use crate::support::{World, assert_problem};

#[tokio::test]
async fn malformed_oversized_unknown_and_bad_code_requests_get_exact_problems() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let login = "/api/v1/auth/wechat-login";

    let malformed = world.post(login, None, None, "{\"appId\": ").await;
    assert_problem(malformed, 400, "MALFORMED_JSON").await;

    let huge = json!({"appId": tenant.app_id, "code": "x".repeat(70 * 1024)}).to_string();
    let oversized = world.post(login, None, None, &huge).await;
    assert_problem(oversized, 413, "BODY_TOO_LARGE").await;

    let unknown = json!({"appId": tenant.app_id, "code": "c", "openid": "o_forged"}).to_string();
    let body = assert_problem(
        world.post(login, None, None, &unknown).await,
        400,
        "UNKNOWN_FIELD",
    )
    .await;
    assert!(body.to_string().contains("openid"), "{body}");

    // A code WeChat (the sandbox) never issued.
    let bad_code = json!({"appId": tenant.app_id, "code": "never-issued"}).to_string();
    let refused = world.post(login, None, None, &bad_code).await;
    assert_problem(refused, 401, "WECHAT_CODE_INVALID").await;

    // A code used twice: the second exchange is refused the same way.
    let code = world.login_code(&tenant.app_id, "o_twice").await;
    let once = json!({"appId": tenant.app_id, "code": code}).to_string();
    assert_eq!(world.post(login, None, None, &once).await.status(), 200);
    assert_problem(
        world.post(login, None, None, &once).await,
        401,
        "WECHAT_CODE_INVALID",
    )
    .await;

    let text = world
        .http
        .post(world.url(login))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(text, 415, "UNSUPPORTED_MEDIA_TYPE").await;
    world.stop().await;
}

#[tokio::test]
async fn tokens_that_do_not_verify_are_refused_at_the_gateway() {
    let world = World::start().await;
    let missing = world.get("/api/v1/sessions", None).await;
    assert_problem(missing, 401, "TOKEN_MISSING").await;
    let forged = world
        .get("/api/v1/sessions", Some("eyJhbGciOiJub25lIn0.e30."))
        .await;
    assert_problem(forged, 401, "TOKEN_INVALID").await;
    let refresh = json!({"refreshToken": "not-a-token"}).to_string();
    let refused = world
        .post("/api/v1/auth/refresh", None, None, &refresh)
        .await;
    assert_problem(refused, 401, "REFRESH_TOKEN_INVALID").await;
    world.stop().await;
}
