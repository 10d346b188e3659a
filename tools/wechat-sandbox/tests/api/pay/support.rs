//! One sandbox, one test merchant, a client, and a notify endpoint that verifies callbacks
//! the way a gateway route would (raw body, 204 when valid, 400 otherwise).

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use siyu_core::ManualClock;
use siyu_wechatpay::model::{Amount, JsapiPrepayRequest, Payer};
use siyu_wechatpay::notify::VerifiedNotification;
use siyu_wechatpay::sign::{self, MerchantSigner};
use siyu_wechatpay::{MerchantConfig, PlatformKeys, WechatPayClient, WechatPayError};
use wechat_sandbox::pay::control::{RegisterMerchant, RegisteredMerchant};
use wechat_sandbox::pay::keys::PlatformView;
use wechat_sandbox::{Sandbox, SandboxSettings, SpawnedSandbox};

/// 2026-12-07T10:00:00+08:00.
pub const START: i64 = 1_796_608_800;
pub const APPID: &str = "wxpaytest000000001";
pub const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

/// A callback as the merchant's endpoint received it, with its verdict.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub verdict: Result<VerifiedNotification, String>,
}

pub struct PayTest {
    pub clock: Arc<ManualClock>,
    pub sandbox: SpawnedSandbox,
    pub http: reqwest::Client,
    pub merchant: RegisteredMerchant,
    pub client: WechatPayClient,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub notify_url: String,
}

pub fn start_time() -> DateTime<Utc> {
    DateTime::from_timestamp(START, 0).unwrap()
}

impl PayTest {
    pub async fn start() -> Self {
        let clock = Arc::new(ManualClock::new(start_time()));
        let sandbox = Sandbox::build_with_clock(SandboxSettings::for_tests(), clock.clone())
            .await
            .unwrap()
            .spawn();
        let http = reqwest::Client::new();
        let merchant = sandbox
            .control()
            .unwrap()
            .register_merchant(&RegisterMerchant {
                appids: vec![APPID.into()],
                ..RegisterMerchant::default()
            })
            .await
            .unwrap();
        let client = Self::client_for(
            &sandbox,
            &merchant,
            clock.clone(),
            Self::certificate_keys(&http, &sandbox).await,
        );
        let received = Arc::new(Mutex::new(Vec::new()));
        let notify_url = spawn_receiver(client.clone(), received.clone()).await;
        Self {
            clock,
            sandbox,
            http,
            merchant,
            client,
            received,
            notify_url,
        }
    }

    pub fn client_for(
        sandbox: &SpawnedSandbox,
        merchant: &RegisteredMerchant,
        clock: Arc<ManualClock>,
        keys: PlatformKeys,
    ) -> WechatPayClient {
        let config = MerchantConfig::new(
            &merchant.mchid,
            &merchant.serial_no,
            merchant.private_key_pem.as_deref().unwrap(),
            &merchant.apiv3_key,
        )
        .with_base_url(&sandbox.base_url());
        WechatPayClient::with_clock(&config, keys, clock).unwrap()
    }

    /// Keys trusting the listed platform certificates (what a merchant downloads at setup).
    pub async fn certificate_keys(
        http: &reqwest::Client,
        sandbox: &SpawnedSandbox,
    ) -> PlatformKeys {
        let view = platform(http, sandbox).await;
        let mut keys = PlatformKeys::new();
        for cert in &view.certificates {
            keys.add_certificate_pem(&cert.pem).unwrap();
        }
        keys
    }

    pub async fn platform(&self) -> PlatformView {
        platform(&self.http, &self.sandbox).await
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.advance(Duration::seconds(seconds));
    }

    pub fn order(&self, out_trade_no: &str, total: i64) -> JsapiPrepayRequest {
        JsapiPrepayRequest {
            appid: APPID.into(),
            mchid: self.merchant.mchid.clone(),
            description: "Siyu 测试商品".into(),
            out_trade_no: out_trade_no.into(),
            time_expire: None,
            attach: Some("store=42".into()),
            notify_url: self.notify_url.clone(),
            goods_tag: None,
            amount: Amount::cny(total),
            payer: Payer {
                openid: OPENID.into(),
            },
        }
    }

    /// POST a control call; returns status and JSON (or null).
    pub async fn control(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/sandbox/pay{path}", self.sandbox.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn pay(&self, prepay_id: &str) -> Value {
        self.sandbox
            .control()
            .unwrap()
            .pay(prepay_id)
            .await
            .unwrap()
    }

    pub async fn notifications(&self) -> Value {
        self.http
            .get(format!(
                "{}/sandbox/pay/notifications",
                self.sandbox.base_url()
            ))
            .query(&[("mchid", self.merchant.mchid.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits (polling, with a deadline) until `n` callbacks have arrived.
    pub async fn received(&self, n: usize) -> Vec<Received> {
        for _ in 0..1000 {
            {
                let received = self.received.lock().unwrap();
                if received.len() >= n {
                    return received.clone();
                }
            }
            tokio::time::sleep(StdDuration::from_millis(10)).await;
        }
        panic!(
            "expected {n} callbacks, got {}",
            self.received.lock().unwrap().len()
        );
    }

    /// A raw signed request (the test builds the Authorization itself).
    pub async fn raw(
        &self,
        method: &str,
        path_and_query: &str,
        body: &str,
        authorization: Option<String>,
    ) -> (u16, Value) {
        let url = format!("{}{path_and_query}", self.sandbox.base_url());
        let mut request = self
            .http
            .request(method.parse().unwrap(), url)
            .header("accept", "application/json")
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(auth) = authorization {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub fn signer(&self) -> MerchantSigner {
        MerchantSigner::from_pem(
            &self.merchant.mchid,
            &self.merchant.serial_no,
            self.merchant.private_key_pem.as_deref().unwrap(),
        )
        .unwrap()
    }

    /// A correct Authorization header for this request at the sandbox's time.
    pub fn authorization(&self, method: &str, path_and_query: &str, body: &str) -> String {
        self.signer()
            .authorization(method, path_and_query, body, self.now(), &sign::nonce())
    }

    pub fn now(&self) -> i64 {
        use siyu_core::Clock as _;
        self.clock.now().timestamp()
    }
}

async fn platform(http: &reqwest::Client, sandbox: &SpawnedSandbox) -> PlatformView {
    http.get(format!("{}/sandbox/pay/platform", sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[derive(Clone)]
struct ReceiverState {
    client: WechatPayClient,
    received: Arc<Mutex<Vec<Received>>>,
}

/// The merchant's notify endpoint: verify → decrypt → 204, or 400 with WeChat's FAIL body.
async fn spawn_receiver(client: WechatPayClient, received: Arc<Mutex<Vec<Received>>>) -> String {
    async fn handle(
        State(state): State<ReceiverState>,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, String) {
        let verdict = state
            .client
            .verify_notification(&headers, &body)
            .map_err(|e: WechatPayError| format!("{e:?}"));
        let ok = verdict.is_ok();
        state.received.lock().unwrap().push(Received {
            headers,
            body,
            verdict,
        });
        if ok {
            (StatusCode::NO_CONTENT, String::new())
        } else {
            (
                StatusCode::BAD_REQUEST,
                r#"{"code":"FAIL","message":"失败"}"#.into(),
            )
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/pay/notify", post(handle))
        .with_state(ReceiverState { client, received });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/pay/notify")
}

/// Asserts a WeChat Pay API error with its status and code.
pub fn assert_api_error(
    result: Result<impl std::fmt::Debug, WechatPayError>,
    status: u16,
    code: &str,
) {
    let error = result.expect_err("expected an API error");
    let api = error
        .api()
        .unwrap_or_else(|| panic!("not an API error: {error:?}"));
    assert_eq!(api.status, status, "{api:?}");
    assert_eq!(
        siyu_wechatpay::error::ApiCode::parse(code),
        api.code,
        "{api:?}"
    );
}
