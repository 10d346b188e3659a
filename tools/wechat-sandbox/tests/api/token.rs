//! `GET /cgi-bin/token` and `POST /cgi-bin/stable_token`, and how tokens age.

use serde_json::{Value, json};

use crate::helpers::{TestSandbox, assert_wx_error};

/// Any call that needs a token; the phone API is the one the suite uses.
async fn use_token(t: &TestSandbox, token: &str) -> Value {
    t.phone_number(token, "not-a-phone-code").await
}

/// A token that passed the token check reaches the code check (40029).
fn assert_token_accepted(body: &Value) {
    assert_wx_error(body, 40029, "invalid code");
}

#[tokio::test]
async fn a_token_is_issued_for_two_hours() {
    let t = TestSandbox::start().await;
    let body = t.token(&t.app.appid, &t.app.secret).await;
    assert_eq!(body["expires_in"], 7200);
    let token = body["access_token"].as_str().unwrap();
    assert!(token.len() > 100, "token {token} is not WeChat-shaped");
    assert_token_accepted(&use_token(&t, token).await);
}

#[tokio::test]
async fn token_errors_follow_wechat() {
    let t = TestSandbox::start().await;
    let (appid, secret) = (t.app.appid.as_str(), t.app.secret.as_str());

    let body = t
        .get(
            "/cgi-bin/token",
            &[
                ("grant_type", "password"),
                ("appid", appid),
                ("secret", secret),
            ],
        )
        .await;
    assert_wx_error(&body, 40002, "invalid grant_type");

    assert_wx_error(&t.token("wx_unknown", secret).await, 40013, "invalid appid");
    assert_wx_error(&t.token(appid, "wrong").await, 40125, "invalid appsecret");
}

#[tokio::test]
async fn a_token_expires_when_the_clock_passes_its_lifetime() {
    let t = TestSandbox::start().await;
    let token = t.access_token().await;

    t.control.advance_clock(7199).await.unwrap();
    assert_token_accepted(&use_token(&t, &token).await);

    t.control.advance_clock(1).await.unwrap();
    assert_wx_error(&use_token(&t, &token).await, 42001, "access_token expired");
}

#[tokio::test]
async fn the_control_api_expires_issued_tokens() {
    let t = TestSandbox::start().await;
    let token = t.access_token().await;

    assert_eq!(
        t.control.expire_access_tokens(&t.app.appid).await.unwrap(),
        1
    );

    assert_wx_error(&use_token(&t, &token).await, 42001, "access_token expired");
    let fresh = t.access_token().await;
    assert_token_accepted(&use_token(&t, &fresh).await);
}

#[tokio::test]
async fn an_unknown_token_is_40001() {
    let t = TestSandbox::start().await;
    let body = use_token(&t, "90_forged").await;
    assert_wx_error(
        &body,
        40001,
        "invalid credential, access_token is invalid or not latest",
    );
}

#[tokio::test]
async fn a_superseded_token_works_for_five_minutes_then_is_not_latest() {
    let t = TestSandbox::start().await;
    let old = t.access_token().await;
    let new = t.access_token().await;
    assert_ne!(old, new);

    t.control.advance_clock(299).await.unwrap();
    assert_token_accepted(&use_token(&t, &old).await);

    t.control.advance_clock(1).await.unwrap();
    let body = use_token(&t, &old).await;
    assert_wx_error(
        &body,
        40001,
        "invalid credential, access_token is invalid or not latest",
    );
    assert_token_accepted(&use_token(&t, &new).await);
}

fn stable_body(t: &TestSandbox, force_refresh: bool) -> String {
    json!({
        "grant_type": "client_credential",
        "appid": t.app.appid,
        "secret": t.app.secret,
        "force_refresh": force_refresh,
    })
    .to_string()
}

#[tokio::test]
async fn the_stable_token_is_reused_until_force_refreshed() {
    let t = TestSandbox::start().await;
    let first = t
        .post("/cgi-bin/stable_token", &[], &stable_body(&t, false))
        .await;
    assert_eq!(first["expires_in"], 7200);

    t.control.advance_clock(600).await.unwrap();
    let again = t
        .post("/cgi-bin/stable_token", &[], &stable_body(&t, false))
        .await;
    assert_eq!(again["access_token"], first["access_token"]);
    assert_eq!(again["expires_in"], 6600);

    let forced = t
        .post("/cgi-bin/stable_token", &[], &stable_body(&t, true))
        .await;
    assert_ne!(forced["access_token"], first["access_token"]);
    assert_eq!(forced["expires_in"], 7200);

    let old = first["access_token"].as_str().unwrap();
    let body = use_token(&t, old).await;
    assert_wx_error(
        &body,
        40001,
        "invalid credential, access_token is invalid or not latest",
    );
    assert_token_accepted(&use_token(&t, forced["access_token"].as_str().unwrap()).await);
}

#[tokio::test]
async fn the_stable_token_is_independent_of_the_plain_token() {
    let t = TestSandbox::start().await;
    let stable = t
        .post("/cgi-bin/stable_token", &[], &stable_body(&t, false))
        .await;
    let _plain = t.access_token().await;
    let _plain_again = t.access_token().await;

    t.control.advance_clock(600).await.unwrap();
    assert_token_accepted(&use_token(&t, stable["access_token"].as_str().unwrap()).await);
}

#[tokio::test]
async fn stable_token_errors_follow_wechat() {
    let t = TestSandbox::start().await;
    let path = "/cgi-bin/stable_token";

    let wrong_secret =
        json!({"grant_type": "client_credential", "appid": t.app.appid, "secret": "x"});
    assert_wx_error(
        &t.post(path, &[], &wrong_secret.to_string()).await,
        40125,
        "invalid appsecret",
    );

    let wrong_app = json!({"grant_type": "client_credential", "appid": "wx_nope", "secret": "x"});
    assert_wx_error(
        &t.post(path, &[], &wrong_app.to_string()).await,
        40013,
        "invalid appid",
    );

    let wrong_grant =
        json!({"grant_type": "authorization_code", "appid": t.app.appid, "secret": t.app.secret});
    assert_wx_error(
        &t.post(path, &[], &wrong_grant.to_string()).await,
        40002,
        "invalid grant_type",
    );

    assert_wx_error(
        &t.post(path, &[], "grant_type=client_credential").await,
        47001,
        "data format error",
    );
}
