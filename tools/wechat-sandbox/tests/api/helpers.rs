//! A sandbox per test, a registered app, and thin callers for the WeChat endpoints.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;
use siyu_core::ManualClock;
use wechat_sandbox::control::RegisteredApp;
use wechat_sandbox::{Sandbox, SandboxControl, SandboxSettings, SpawnedSandbox};

/// 2023-11-14T22:13:20Z: a fixed start so watermarks and rids are predictable.
pub const START: i64 = 1_700_000_000;

pub struct TestSandbox {
    pub sandbox: SpawnedSandbox,
    pub control: SandboxControl,
    pub http: reqwest::Client,
    pub app: RegisteredApp,
}

pub fn start_time() -> DateTime<Utc> {
    DateTime::from_timestamp(START, 0).unwrap()
}

impl TestSandbox {
    pub async fn start() -> Self {
        let clock = Arc::new(ManualClock::new(start_time()));
        let sandbox = Sandbox::build_with_clock(SandboxSettings::for_tests(), clock)
            .await
            .unwrap()
            .spawn();
        let control = sandbox.control().unwrap();
        let app = control.register_app().await.unwrap();
        Self {
            sandbox,
            control,
            http: reqwest::Client::new(),
            app,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    pub async fn login_code(&self, openid: &str) -> String {
        self.control
            .login_code(&self.app.appid, openid)
            .await
            .unwrap()
    }

    /// GET with query parameters; asserts WeChat's transport conventions on the way.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let response = self
            .http
            .get(self.url(path))
            .query(query)
            .send()
            .await
            .unwrap();
        wechat_json(response).await
    }

    /// POST a raw body (WeChat does not care about the content type).
    pub async fn post(&self, path: &str, query: &[(&str, &str)], body: &str) -> Value {
        let response = self
            .http
            .post(self.url(path))
            .query(query)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        wechat_json(response).await
    }

    pub async fn jscode2session(&self, appid: &str, secret: &str, code: &str) -> Value {
        let query = [
            ("appid", appid),
            ("secret", secret),
            ("js_code", code),
            ("grant_type", "authorization_code"),
        ];
        self.get("/sns/jscode2session", &query).await
    }

    pub async fn token(&self, appid: &str, secret: &str) -> Value {
        let query = [
            ("grant_type", "client_credential"),
            ("appid", appid),
            ("secret", secret),
        ];
        self.get("/cgi-bin/token", &query).await
    }

    /// A valid access token for the test app.
    pub async fn access_token(&self) -> String {
        let body = self.token(&self.app.appid, &self.app.secret).await;
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn phone_number(&self, access_token: &str, code: &str) -> Value {
        let body = serde_json::json!({ "code": code }).to_string();
        self.post(
            "/wxa/business/getuserphonenumber",
            &[("access_token", access_token)],
            &body,
        )
        .await
    }
}

async fn wechat_json(response: reqwest::Response) -> Value {
    // WeChat answers 200 with `errcode` even for errors, as JSON with `encoding=utf-8`.
    assert_eq!(response.status(), 200);
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/json; encoding=utf-8");
    response.json().await.unwrap()
}

/// Asserts a WeChat error answer with `errcode` and the message prefix before `, rid: `.
pub fn assert_wx_error(body: &Value, errcode: i64, errmsg: &str) {
    assert_eq!(body["errcode"], errcode, "unexpected answer {body}");
    let message = body["errmsg"].as_str().unwrap();
    let (text, rid) = message.split_once(", rid: ").unwrap();
    assert_eq!(text, errmsg);
    assert_eq!(rid.len(), 26, "rid {rid} is not WeChat-shaped");
}
