//! `GET /sns/jscode2session`.

use serde_json::json;
use wechat_sandbox::login::control::MintLoginCode;

use crate::helpers::{TestSandbox, assert_wx_error};

#[tokio::test]
async fn a_code_exchanges_for_openid_and_session_key_without_unionid() {
    let t = TestSandbox::start().await;
    let code = t.login_code("o_user_1").await;

    let body = t.jscode2session(&t.app.appid, &t.app.secret, &code).await;

    assert_eq!(body["openid"], "o_user_1");
    assert_eq!(body["session_key"].as_str().unwrap().len(), 24);
    let fields = body.as_object().unwrap();
    assert!(
        !fields.contains_key("unionid"),
        "unionid must be absent: {body}"
    );
    assert!(
        !fields.contains_key("errcode"),
        "a success carries no errcode: {body}"
    );
}

#[tokio::test]
async fn a_code_minted_with_a_unionid_returns_it() {
    let t = TestSandbox::start().await;
    let request = MintLoginCode {
        appid: t.app.appid.clone(),
        openid: None,
        unionid: Some("u_union_1".into()),
    };
    let minted = t.control.mint_login_code(&request).await.unwrap();
    assert_eq!(minted.openid.len(), 28);

    let body = t
        .jscode2session(&t.app.appid, &t.app.secret, &minted.code)
        .await;

    assert_eq!(body["openid"], minted.openid);
    assert_eq!(body["unionid"], "u_union_1");
}

#[tokio::test]
async fn an_unknown_code_is_40029() {
    let t = TestSandbox::start().await;
    let body = t
        .jscode2session(&t.app.appid, &t.app.secret, "0a3Xyz_never_minted")
        .await;
    assert_wx_error(&body, 40029, "invalid code");
}

#[tokio::test]
async fn a_code_used_twice_is_40163() {
    let t = TestSandbox::start().await;
    let code = t.login_code("o_user_1").await;
    let first = t.jscode2session(&t.app.appid, &t.app.secret, &code).await;
    assert_eq!(first["openid"], "o_user_1");

    let second = t.jscode2session(&t.app.appid, &t.app.secret, &code).await;

    assert_wx_error(&second, 40163, "code been used");
}

#[tokio::test]
async fn a_code_of_app_a_is_invalid_for_app_b_and_stays_usable_by_a() {
    let t = TestSandbox::start().await;
    let other = t.control.register_app().await.unwrap();
    let code = t.login_code("o_user_1").await;

    let body = t.jscode2session(&other.appid, &other.secret, &code).await;
    assert_wx_error(&body, 40029, "invalid code");

    let body = t.jscode2session(&t.app.appid, &t.app.secret, &code).await;
    assert_eq!(body["openid"], "o_user_1");
}

#[tokio::test]
async fn a_wrong_secret_is_40125_and_does_not_burn_the_code() {
    let t = TestSandbox::start().await;
    let code = t.login_code("o_user_1").await;

    let body = t
        .jscode2session(&t.app.appid, "not-the-secret", &code)
        .await;
    assert_wx_error(&body, 40125, "invalid appsecret");

    let body = t.jscode2session(&t.app.appid, &t.app.secret, &code).await;
    assert_eq!(body["openid"], "o_user_1");
}

#[tokio::test]
async fn an_unknown_appid_is_40013() {
    let t = TestSandbox::start().await;
    let code = t.login_code("o_user_1").await;
    let body = t.jscode2session("wx_unknown", &t.app.secret, &code).await;
    assert_wx_error(&body, 40013, "invalid appid");
}

#[tokio::test]
async fn missing_or_wrong_parameters_have_their_own_codes() {
    let t = TestSandbox::start().await;
    let (appid, secret) = (t.app.appid.as_str(), t.app.secret.as_str());
    let path = "/sns/jscode2session";

    let wrong_grant = [
        ("appid", appid),
        ("secret", secret),
        ("js_code", "x"),
        ("grant_type", "client_credential"),
    ];
    assert_wx_error(
        &t.get(path, &wrong_grant).await,
        40002,
        "invalid grant_type",
    );

    let no_appid = [
        ("secret", secret),
        ("js_code", "x"),
        ("grant_type", "authorization_code"),
    ];
    assert_wx_error(&t.get(path, &no_appid).await, 41002, "appid missing");

    let no_secret = [
        ("appid", appid),
        ("js_code", "x"),
        ("grant_type", "authorization_code"),
    ];
    assert_wx_error(&t.get(path, &no_secret).await, 41004, "appsecret missing");

    let no_code = [
        ("appid", appid),
        ("secret", secret),
        ("grant_type", "authorization_code"),
    ];
    assert_wx_error(&t.get(path, &no_code).await, 41008, "missing code");
}

#[tokio::test]
async fn a_code_expires_after_five_minutes() {
    let t = TestSandbox::start().await;
    let fresh = t.login_code("o_user_1").await;
    let stale = t.login_code("o_user_2").await;

    t.control.advance_clock(299).await.unwrap();
    let body = t.jscode2session(&t.app.appid, &t.app.secret, &fresh).await;
    assert_eq!(body["openid"], "o_user_1");

    t.control.advance_clock(1).await.unwrap();
    let body = t.jscode2session(&t.app.appid, &t.app.secret, &stale).await;
    assert_wx_error(&body, 40029, "invalid code");
}

#[tokio::test]
async fn session_keys_differ_between_logins() {
    let t = TestSandbox::start().await;
    let a = t.login_code("o_user_1").await;
    let b = t.login_code("o_user_1").await;
    assert_ne!(a, b);
    let first = t.jscode2session(&t.app.appid, &t.app.secret, &a).await;
    let second = t.jscode2session(&t.app.appid, &t.app.secret, &b).await;
    assert_ne!(first["session_key"], second["session_key"]);
    assert_eq!(first["openid"], json!("o_user_1"));
}
