//! `POST /wxa/business/getuserphonenumber`.

use wechat_sandbox::login::control::MintPhoneCode;

use crate::helpers::{START, TestSandbox, assert_wx_error};

#[tokio::test]
async fn a_phone_code_returns_the_number_with_a_watermark() {
    let t = TestSandbox::start().await;
    let code = t
        .control
        .phone_code(&t.app.appid, "13800138000")
        .await
        .unwrap();
    t.control.advance_clock(30).await.unwrap();
    let token = t.access_token().await;

    let body = t.phone_number(&token, &code).await;

    assert_eq!(body["errcode"], 0);
    assert_eq!(body["errmsg"], "ok");
    let info = &body["phone_info"];
    assert_eq!(info["phoneNumber"], "13800138000");
    assert_eq!(info["purePhoneNumber"], "13800138000");
    assert_eq!(info["countryCode"], "86");
    assert_eq!(info["watermark"]["appid"], t.app.appid.as_str());
    // The watermark is when the user shared the number, not when the server asked.
    assert_eq!(info["watermark"]["timestamp"], START);
}

#[tokio::test]
async fn a_foreign_number_carries_its_country_code() {
    let t = TestSandbox::start().await;
    let request = MintPhoneCode {
        appid: t.app.appid.clone(),
        phone: "91234567".into(),
        country_code: Some("852".into()),
    };
    let code = t.control.mint_phone_code(&request).await.unwrap().code;
    let token = t.access_token().await;

    let body = t.phone_number(&token, &code).await;

    assert_eq!(body["phone_info"]["phoneNumber"], "+85291234567");
    assert_eq!(body["phone_info"]["purePhoneNumber"], "91234567");
    assert_eq!(body["phone_info"]["countryCode"], "852");
}

#[tokio::test]
async fn a_missing_token_is_41001() {
    let t = TestSandbox::start().await;
    let code = t
        .control
        .phone_code(&t.app.appid, "13800138000")
        .await
        .unwrap();
    let body = format!(r#"{{"code":"{code}"}}"#);
    let answer = t.post("/wxa/business/getuserphonenumber", &[], &body).await;
    assert_wx_error(&answer, 41001, "access_token missing");
}

#[tokio::test]
async fn an_invalid_token_is_40001_and_an_expired_one_42001() {
    let t = TestSandbox::start().await;
    let code = t
        .control
        .phone_code(&t.app.appid, "13800138000")
        .await
        .unwrap();
    let body = t.phone_number("90_forged", &code).await;
    assert_wx_error(
        &body,
        40001,
        "invalid credential, access_token is invalid or not latest",
    );

    let token = t.access_token().await;
    t.control.expire_access_tokens(&t.app.appid).await.unwrap();
    assert_wx_error(
        &t.phone_number(&token, &code).await,
        42001,
        "access_token expired",
    );

    // Refused tokens must not burn the code.
    let fresh = t.access_token().await;
    assert_eq!(t.phone_number(&fresh, &code).await["errcode"], 0);
}

#[tokio::test]
async fn an_unknown_code_is_40029() {
    let t = TestSandbox::start().await;
    let token = t.access_token().await;
    assert_wx_error(
        &t.phone_number(&token, "deadbeef").await,
        40029,
        "invalid code",
    );
}

#[tokio::test]
async fn a_reused_code_is_40163() {
    let t = TestSandbox::start().await;
    let code = t
        .control
        .phone_code(&t.app.appid, "13800138000")
        .await
        .unwrap();
    let token = t.access_token().await;
    assert_eq!(t.phone_number(&token, &code).await["errcode"], 0);
    assert_wx_error(
        &t.phone_number(&token, &code).await,
        40163,
        "code been used",
    );
}

#[tokio::test]
async fn a_code_of_another_app_is_40029() {
    let t = TestSandbox::start().await;
    let other = t.control.register_app().await.unwrap();
    let code = t
        .control
        .phone_code(&other.appid, "13800138000")
        .await
        .unwrap();
    let token = t.access_token().await;
    assert_wx_error(&t.phone_number(&token, &code).await, 40029, "invalid code");
}

#[tokio::test]
async fn an_expired_code_is_40029() {
    let t = TestSandbox::start().await;
    let code = t
        .control
        .phone_code(&t.app.appid, "13800138000")
        .await
        .unwrap();
    t.control.advance_clock(300).await.unwrap();
    let token = t.access_token().await;
    assert_wx_error(&t.phone_number(&token, &code).await, 40029, "invalid code");
}

#[tokio::test]
async fn a_malformed_body_is_47001() {
    let t = TestSandbox::start().await;
    let token = t.access_token().await;
    let path = "/wxa/business/getuserphonenumber";
    let query = [("access_token", token.as_str())];
    assert_wx_error(
        &t.post(path, &query, "code=abc").await,
        47001,
        "data format error",
    );
    assert_wx_error(
        &t.post(path, &query, "{}").await,
        47001,
        "data format error",
    );
}
