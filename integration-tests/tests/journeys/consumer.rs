//! A consumer: WeChat login with a sandbox-minted code, a consumer route, refresh rotation and
//! reuse detection.

use serde_json::json;

use crate::support::{World, assert_problem, json_ok};

#[tokio::test]
async fn wechat_login_then_refresh_rotates_and_a_spent_refresh_token_is_refused() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;

    let tokens = world.consumer_login(&tenant, "o_alice").await;
    let access = tokens["accessToken"].as_str().unwrap();
    let refresh = tokens["refreshToken"].as_str().unwrap().to_owned();
    let session = tokens["sessionId"].as_str().unwrap();
    let claims = crate::support::claims(access);
    assert_eq!(
        (claims["tenant"].as_str(), claims["kind"].as_str()),
        (Some(tenant.id.as_str()), Some("consumer"))
    );

    // The access token works on a consumer route, and the session is the caller's.
    let sessions = json_ok(world.get("/api/v1/sessions", Some(access)).await).await;
    let ids: Vec<&str> = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sessionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [session]);

    // Refresh rotates: a new pair, a different refresh token.
    let body = json!({"refreshToken": refresh}).to_string();
    let rotated = json_ok(world.post("/api/v1/auth/refresh", None, None, &body).await).await;
    let new_refresh = rotated["tokens"]["refreshToken"].as_str().unwrap();
    let new_access = rotated["tokens"]["accessToken"].as_str().unwrap();
    assert_ne!(new_refresh, refresh);
    json_ok(world.get("/api/v1/sessions", Some(new_access)).await).await;

    // Within 10 s a retry with the spent token answers the same pair (a lost response must not
    // log the user out); once that pair's refresh token was used in turn, the spent token is
    // refused as reuse, which revokes the whole family.
    let again = json_ok(world.post("/api/v1/auth/refresh", None, None, &body).await).await;
    assert_eq!(again["tokens"]["refreshToken"].as_str(), Some(new_refresh));
    let next_body = json!({"refreshToken": new_refresh}).to_string();
    let next = json_ok(
        world
            .post("/api/v1/auth/refresh", None, None, &next_body)
            .await,
    )
    .await;
    let newest_refresh = next["tokens"]["refreshToken"].as_str().unwrap();
    let newest_access = next["tokens"]["accessToken"].as_str().unwrap();
    let reused = world.post("/api/v1/auth/refresh", None, None, &body).await;
    assert_problem(reused, 401, "REFRESH_TOKEN_REUSED").await;
    let body = json!({"refreshToken": newest_refresh}).to_string();
    let after = world.post("/api/v1/auth/refresh", None, None, &body).await;
    assert_problem(after, 401, "SESSION_REVOKED").await;
    let revoked = world.get("/api/v1/sessions", Some(newest_access)).await;
    assert_problem(revoked, 401, "TOKEN_REVOKED").await;
    let revoked = world.get("/api/v1/sessions", Some(new_access)).await;
    assert_problem(revoked, 401, "TOKEN_REVOKED").await;
    world.stop().await;
}

#[tokio::test]
async fn the_same_openid_logs_in_to_the_same_user() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let first = world.consumer_login(&tenant, "o_bob").await;
    let second = world.consumer_login(&tenant, "o_bob").await;
    assert_ne!(first["sessionId"], second["sessionId"]);
    let sessions = json_ok(
        world
            .get("/api/v1/sessions", second["accessToken"].as_str())
            .await,
    )
    .await;
    assert_eq!(sessions["sessions"].as_array().unwrap().len(), 2);
    world.stop().await;
}
