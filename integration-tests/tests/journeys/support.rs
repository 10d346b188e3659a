//! The world of a journey: the real sandbox, identity, catalog and gateway started by
//! `siyu_platform::Suite` against a fresh Postgres database per service, Redis with a key
//! prefix of its own and NATS with a subject prefix and stream of its own; clients that speak
//! HTTP to the gateway and the sandbox's control API, as a front end or `curl` would.

use std::time::Duration;

use base64::Engine as _;
use secrecy::SecretString;
use serde_json::{Value, json};
use siyu_config::DatabaseSettings;
use siyu_platform::seed::identity::staff_token;
use siyu_platform::{Configure, StartOptions, Suite, Wiring};
use siyu_proto::identity::v1 as pb;
use siyu_testkit::TestDb;
use siyu_testkit::env::{nats_url, redis_url, unique_bus_config, unique_key_prefix};
use tonic::transport::Channel;
use wechat_sandbox::SandboxSettings;

pub const PLATFORM_ADMIN: &str = "root";
pub const PLATFORM_PASSWORD: &str = "Platform-Pass-42";
pub const ADMIN_PASSWORD: &str = "Admin-Pass-4242";

/// Postgres, Redis and NATS settings for every service.
struct RealBackends {
    identity_db: String,
    catalog_db: String,
    key_prefix: String,
    /// Subject prefix and stream shared by identity and catalog (their own per test).
    bus: siyu_store::BusConfig,
}

impl Configure for RealBackends {
    fn identity(&self, wiring: &Wiring) -> anyhow::Result<siyu_identity::settings::Settings> {
        let mut s = siyu_identity::settings::Settings::default();
        s.server.grpc_addr = "127.0.0.1:0".parse()?;
        s.server.admin_addr = "127.0.0.1:0".parse()?;
        s.server.shutdown_grace_secs = 1;
        s.database = DatabaseSettings::new(&self.identity_db);
        s.database.max_connections = 10;
        s.cache.url = SecretString::from(redis_url());
        s.cache.key_prefix = format!("{}identity:", self.key_prefix);
        s.bus.url = SecretString::from(nats_url());
        s.bus.subject_prefix = self.bus.subject_prefix.clone();
        s.bus.stream = self.bus.stream.clone();
        s.tokens.encryption_key =
            SecretString::from(base64::engine::general_purpose::STANDARD.encode([9u8; 32]));
        s.wechat.api_base_url = wiring.sandbox_url.clone();
        // Cheap argon2: debug builds make the production cost take seconds.
        s.staff_auth.argon2_memory_kib = 64;
        s.staff_auth.argon2_iterations = 1;
        Ok(s)
    }

    fn catalog(&self, wiring: &Wiring) -> anyhow::Result<siyu_catalog::settings::Settings> {
        let mut s = siyu_catalog::settings::Settings {
            database: DatabaseSettings::new(&self.catalog_db),
            ..Default::default()
        };
        s.server.grpc_addr = "127.0.0.1:0".parse()?;
        s.server.admin_addr = "127.0.0.1:0".parse()?;
        s.server.shutdown_grace_secs = 1;
        s.cache.url = SecretString::from(redis_url());
        s.cache.key_prefix = format!("{}catalog:", self.key_prefix);
        s.bus.url = SecretString::from(nats_url());
        s.bus.subject_prefix = self.bus.subject_prefix.clone();
        s.bus.stream = self.bus.stream.clone();
        s.auth.jwks_url = wiring.jwks_url.clone();
        Ok(s)
    }

    fn gateway(&self, wiring: &Wiring) -> anyhow::Result<siyu_gateway::Settings> {
        let mut s = siyu_gateway::Settings::default();
        s.http_addr = "127.0.0.1:0".parse()?;
        s.server.grpc_addr = "127.0.0.1:0".parse()?;
        s.server.shutdown_grace_secs = 1;
        s.upstreams
            .insert("identity".into(), wiring.identity_url.clone());
        s.upstreams
            .insert("catalog".into(), wiring.catalog_url.clone());
        s.cache.url = SecretString::from(redis_url());
        s.cache.key_prefix = format!("{}gateway:", self.key_prefix);
        s.auth.jwks_url = wiring.jwks_url.clone();
        s.limits.request_timeout_ms = 5_000;
        Ok(s)
    }
}

/// A running suite and HTTP clients for it.
pub struct World {
    pub suite: Suite,
    pub http: reqwest::Client,
    pub gateway: String,
    pub sandbox: String,
    _dbs: (TestDb, TestDb),
}

/// A tenant with a mini-program registered in the sandbox and an admin.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub code: String,
    pub app_id: String,
    /// The HQ org unit (the admin's role is granted on it).
    pub root: String,
}

impl World {
    pub async fn start() -> Self {
        let identity_db = TestDb::postgres::<siyu_identity::Migrator>().await.unwrap();
        let catalog_db = TestDb::postgres::<siyu_catalog_migration::Migrator>()
            .await
            .unwrap();
        let config = RealBackends {
            identity_db: identity_db.url().to_owned(),
            catalog_db: catalog_db.url().to_owned(),
            key_prefix: unique_key_prefix(),
            bus: unique_bus_config(),
        };
        let suite = Suite::start(
            &config,
            StartOptions {
                sandbox: SandboxSettings::for_tests(),
                migrate: false,
                platform_admin: (PLATFORM_ADMIN.into(), SecretString::from(PLATFORM_PASSWORD)),
            },
        )
        .await
        .unwrap();
        let world = Self {
            gateway: suite.gateway_url(),
            sandbox: suite.sandbox_url(),
            suite,
            http: reqwest::Client::new(),
            _dbs: (identity_db, catalog_db),
        };
        let (http, ready) = (world.http.clone(), world.url("/readyz"));
        siyu_testkit::wait_until(Duration::from_secs(20), || {
            let (http, ready) = (http.clone(), ready.clone());
            async move {
                http.get(&ready)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .await
        .unwrap();
        world
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gateway)
    }

    pub fn identity_channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.suite.addrs().identity_grpc))
            .unwrap()
            .connect_lazy()
    }

    /// Creates tenant `code` (setup, as the platform admin over gRPC) with a sandbox app and an
    /// admin whose first password change is done, so `staff_login` gets tokens directly.
    pub async fn tenant(&self, code: &str) -> Tenant {
        let channel = self.identity_channel();
        let app: Value = self
            .http
            .post(format!("{}/sandbox/apps", self.sandbox))
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let (app_id, secret) = (
            app["appid"].as_str().unwrap(),
            app["secret"].as_str().unwrap(),
        );
        let platform = staff_token(
            &channel,
            "platform",
            PLATFORM_ADMIN,
            PLATFORM_PASSWORD,
            PLATFORM_PASSWORD,
        )
        .await
        .unwrap();
        let created = pb::tenant_service_client::TenantServiceClient::new(channel.clone())
            .create_tenant(siyu_platform::seed::authed(
                pb::CreateTenantRequest {
                    code: code.into(),
                    name: format!("Tenant {code}"),
                    apps: vec![pb::WeChatApp {
                        app_id: app_id.into(),
                        kind: pb::AppKind::MiniProgram as i32,
                        name: "Store".into(),
                        app_secret: secret.into(),
                        enabled: true,
                        ..Default::default()
                    }],
                    admin_login_name: "admin".into(),
                    admin_display_name: "Admin".into(),
                    admin_initial_password: "Initial-Pass-42".into(),
                    ..Default::default()
                },
                &platform,
                None,
            ))
            .await
            .unwrap()
            .into_inner();
        staff_token(&channel, code, "admin", "Initial-Pass-42", ADMIN_PASSWORD)
            .await
            .unwrap();
        let created = created.tenant.unwrap();
        Tenant {
            root: created.root_org_unit_id,
            id: created.tenant_id,
            code: code.into(),
            app_id: app_id.into(),
        }
    }

    /// A `wx.login()` code for `openid`, minted at the sandbox's control API.
    pub async fn login_code(&self, app_id: &str, openid: &str) -> String {
        let minted: Value = self
            .http
            .post(format!("{}/sandbox/login-codes", self.sandbox))
            .json(&json!({"appid": app_id, "openid": openid}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        minted["code"].as_str().unwrap().to_owned()
    }

    /// A consumer's WeChat login through the gateway; returns the `tokens` object.
    pub async fn consumer_login(&self, tenant: &Tenant, openid: &str) -> Value {
        let code = self.login_code(&tenant.app_id, openid).await;
        let response = self
            .post(
                "/api/v1/auth/wechat-login",
                None,
                None,
                &json!({"appId": tenant.app_id, "code": code}).to_string(),
            )
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["tokens"].clone()
    }

    /// The tenant admin's password login through the gateway; returns the access token.
    pub async fn staff_login(&self, tenant: &Tenant) -> String {
        let body =
            json!({"tenantCode": tenant.code, "loginName": "admin", "password": ADMIN_PASSWORD});
        let response = self
            .post("/admin/v1/auth/login", None, None, &body.to_string())
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["result"]["tokens"]["accessToken"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A POST with a raw JSON body, an optional bearer token and idempotency key.
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: &str,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send().await.unwrap()
    }

    /// A POST of `body` with a fresh idempotency key.
    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        let key = siyu_core::id::new_string();
        self.post(path, Some(token), Some(&key), &body.to_string())
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn stop(self) {
        self.suite.stop().await.unwrap();
    }
}

/// Status and problem body, after checking the media type.
pub async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let media = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(media, "application/problem+json", "{status} {body}");
    (status, body)
}

/// Asserts an HTTP status and problem `reason`.
pub async fn assert_problem(response: reqwest::Response, status: u16, reason: &str) -> Value {
    let (got, body) = problem(response).await;
    assert_eq!(
        (got, body["reason"].as_str()),
        (status, Some(reason)),
        "{body}"
    );
    body
}

/// A JSON body.
pub async fn json_ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

/// The claims of a JWT (not verified: the services did that).
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
