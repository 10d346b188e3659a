//! The control API's own errors and preconfigured apps.

use std::net::SocketAddr;

use wechat_sandbox::login::control::MintPhoneCode;
use wechat_sandbox::{AppSettings, Sandbox, SandboxError, SandboxSettings};

use crate::helpers::TestSandbox;

fn refused_with(error: SandboxError) -> u16 {
    match error {
        SandboxError::ControlRefused { status, .. } => status,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn minting_for_an_unknown_app_is_404() {
    let t = TestSandbox::start().await;
    let error = t
        .control
        .login_code("wx_unknown", "o_user_1")
        .await
        .unwrap_err();
    assert_eq!(refused_with(error), 404);
    let error = t
        .control
        .expire_access_tokens("wx_unknown")
        .await
        .unwrap_err();
    assert_eq!(refused_with(error), 404);
}

#[tokio::test]
async fn a_malformed_phone_or_a_backward_clock_is_400() {
    let t = TestSandbox::start().await;
    let request = MintPhoneCode {
        appid: t.app.appid.clone(),
        phone: "138-0013".into(),
        country_code: None,
    };
    assert_eq!(
        refused_with(t.control.mint_phone_code(&request).await.unwrap_err()),
        400
    );
    assert_eq!(
        refused_with(t.control.advance_clock(-1).await.unwrap_err()),
        400
    );
}

#[tokio::test]
async fn preconfigured_apps_work_without_control_calls() {
    let settings = SandboxSettings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        apps: vec![AppSettings::new("wxpreset0000000001", "preset-secret")],
        ..SandboxSettings::default()
    };
    let sandbox = Sandbox::build(settings).await.unwrap();
    assert_ne!(sandbox.addr().port(), 0);
    let sandbox = sandbox.spawn();
    let url = format!(
        "{}/cgi-bin/token?grant_type=client_credential&appid=wxpreset0000000001&secret=preset-secret",
        sandbox.base_url()
    );
    let body: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(body["expires_in"], 7200);
    sandbox.stop().await.unwrap();
}

#[tokio::test]
async fn re_registering_an_app_changes_its_secret() {
    let t = TestSandbox::start().await;
    t.control
        .register_app_with(&t.app.appid, "rotated")
        .await
        .unwrap();
    assert_eq!(t.token(&t.app.appid, &t.app.secret).await["errcode"], 40125);
    assert_eq!(t.token(&t.app.appid, "rotated").await["expires_in"], 7200);
}

#[tokio::test]
async fn settings_with_a_zero_code_lifetime_are_refused() {
    let settings = SandboxSettings {
        code_ttl_secs: 0,
        ..SandboxSettings::for_tests()
    };
    let error = Sandbox::build(settings).await.unwrap_err();
    assert!(
        matches!(error, SandboxError::InvalidSettings(_)),
        "{error:?}"
    );
}
