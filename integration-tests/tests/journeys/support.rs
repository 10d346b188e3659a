//! The world of a journey: the real sandbox, every registered service and the gateway started
//! by `siyu_platform::Suite` against a fresh Postgres database per service, Redis with a key
//! prefix of its own and NATS with a subject prefix and stream of its own; clients that speak
//! HTTP to the gateway and the sandbox's control API, as a front end or `curl` would.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use secrecy::SecretString;
use serde_json::{Value, json};
use siyu_platform::registry::{self, identity};
use siyu_platform::seed::identity::staff_token;
use siyu_platform::suite::GATEWAY;
use siyu_platform::{Configure, Overrides, StartOptions, Suite, Wiring};
use siyu_proto::identity::v1 as pb;
use siyu_testkit::TestDb;
use siyu_testkit::env::{nats_url, redis_url, unique_bus_config, unique_key_prefix};
use tonic::transport::Channel;
use wechat_sandbox::SandboxSettings;

pub const PLATFORM_ADMIN: &str = "root";
pub const PLATFORM_PASSWORD: &str = "Platform-Pass-42";
pub const ADMIN_PASSWORD: &str = "Admin-Pass-4242";
/// The password staff made by [`World::staff_with_roles`] choose at their first login.
pub const STAFF_PASSWORD: &str = "Staff-Pass-4242";
/// The shared secret of the `orders` service client identity issues service tokens to (the
/// journeys stand in for services with no REST route, such as paid-order activation).
pub const SERVICE_SECRET: &str = "integration-service-secret-7f3a9c";
/// Hex SHA-256 of [`SERVICE_SECRET`], as identity's configuration holds it.
const SERVICE_SECRET_SHA256: &str =
    "2787e25a1f4f5ce627a528818253216235edd87ca3174574a577903929e66140";

/// Postgres, Redis and NATS settings for every service.
struct RealBackends {
    /// Each registered service's database URL.
    databases: BTreeMap<&'static str, String>,
    key_prefix: String,
    /// Subject prefix and stream shared by the services (their own per test).
    bus: siyu_store::BusConfig,
    /// A directory with identity's `default.toml` (the service-token clients, a list the
    /// environment-style overrides cannot express).
    identity_config: PathBuf,
}

impl Configure for RealBackends {
    fn overrides(&self, service: &str, _wiring: &Wiring) -> anyhow::Result<Overrides> {
        let mut s = Overrides::new()
            .with("SERVER__GRPC_ADDR", "127.0.0.1:0")
            .with("SERVER__SHUTDOWN_GRACE_SECS", 1)
            .with("CACHE__URL", redis_url())
            .with(
                "CACHE__KEY_PREFIX",
                format!("{}{service}:", self.key_prefix),
            );
        if service == GATEWAY {
            // One test client stands for a whole tenant's users and staff: the route-table
            // journeys send hundreds of requests from one address and one token in seconds.
            s.set("HTTP_ADDR", "127.0.0.1:0")
                .set("LIMITS__REQUEST_TIMEOUT_MS", 5_000)
                .set("LIMITS__PER_IP__RATE", 6_000)
                .set("LIMITS__PER_IP__PER_SECS", 60)
                .set("LIMITS__PER_IP__BURST", 5_000)
                .set("LIMITS__PER_USER__RATE", 6_000)
                .set("LIMITS__PER_USER__PER_SECS", 60)
                .set("LIMITS__PER_USER__BURST", 5_000);
            return Ok(s);
        }
        let Some(database) = self.databases.get(service) else {
            anyhow::bail!("no test database for {service}");
        };
        s.set("SERVER__ADMIN_ADDR", "127.0.0.1:0")
            .set("DATABASE__URL", database)
            .set("DATABASE__MAX_CONNECTIONS", 10)
            .set("BUS__URL", nats_url())
            .set("BUS__SUBJECT_PREFIX", &self.bus.subject_prefix)
            .set("BUS__STREAM", &self.bus.stream);
        if service == "orders" {
            // Dead checkouts recovered within seconds (a journey kills an orders process).
            s.set("ORDERS__JOBS_INTERVAL_SECS", 1)
                .set("ORDERS__STALE_CHECKOUT_SECS", 8);
        }
        if service == identity::NAME {
            let key = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
            // Cheap argon2: debug builds make the production cost take seconds.
            s.set("TOKENS__ENCRYPTION_KEY", key)
                .set("STAFF_AUTH__ARGON2_MEMORY_KIB", 64)
                .set("STAFF_AUTH__ARGON2_ITERATIONS", 1);
        }
        Ok(s)
    }

    fn config_dir(&self, service: &str) -> Option<PathBuf> {
        (service == identity::NAME).then(|| self.identity_config.clone())
    }
}

/// Writes identity's configuration file with the `orders` service client; answers its directory.
fn identity_config_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("siyu-journey-{}", siyu_core::id::new_string()));
    std::fs::create_dir_all(&dir).unwrap();
    let toml = format!(
        "[[service_tokens.clients]]\nname = \"orders\"\ncredential_sha256 = \"{SERVICE_SECRET_SHA256}\"\nscopes = []\nplatform = false\n"
    );
    std::fs::write(dir.join("default.toml"), toml).unwrap();
    dir
}

/// A running suite and HTTP clients for it.
pub struct World {
    pub suite: Suite,
    pub http: reqwest::Client,
    pub gateway: String,
    pub sandbox: String,
    /// The bus the services share, for a journey to publish another service's events on.
    pub bus: siyu_store::BusConfig,
    /// Each service's database URL, by registry name (a journey may start a second instance).
    pub databases: BTreeMap<&'static str, String>,
    _dbs: Vec<TestDb>,
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
        // A fresh database per registered service, cloned from its migrated template.
        let mut dbs = Vec::new();
        let mut databases = BTreeMap::new();
        for service in registry::SERVICES {
            let db = TestDb::postgres_with(|url| service.migrations.temp_postgres(url))
                .await
                .unwrap();
            databases.insert(service.name, db.url().to_owned());
            dbs.push(db);
        }
        let config = RealBackends {
            databases,
            key_prefix: unique_key_prefix(),
            bus: unique_bus_config(),
            identity_config: identity_config_dir(),
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
        let _ = std::fs::remove_dir_all(&config.identity_config);
        let world = Self {
            bus: config.bus.clone(),
            databases: config.databases.clone(),
            gateway: suite.gateway_url(),
            sandbox: suite.sandbox_url(),
            suite,
            http: reqwest::Client::new(),
            _dbs: dbs,
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
        Channel::from_shared(self.suite.grpc_url(identity::NAME).unwrap())
            .unwrap()
            .connect_lazy()
    }

    pub fn catalog_channel(&self) -> Channel {
        Channel::from_shared(self.suite.grpc_url("catalog").unwrap())
            .unwrap()
            .connect_lazy()
    }

    pub fn membership_channel(&self) -> Channel {
        Channel::from_shared(self.suite.grpc_url("membership").unwrap())
            .unwrap()
            .connect_lazy()
    }

    /// A kind=service token of the `orders` service in `tenant`, from identity, for the RPCs
    /// only services call (they have no REST route).
    pub async fn service_token(&self, tenant: &Tenant) -> String {
        pb::token_service_client::TokenServiceClient::new(self.identity_channel())
            .issue_service_token(pb::IssueServiceTokenRequest {
                service: "orders".into(),
                credential: SERVICE_SECRET.into(),
                tenant_id: tenant.id.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .access_token
    }

    /// A staff member `login` of `tenant` holding `roles` on the HQ unit, created by the admin
    /// (token `admin`) and logged in; answers the staff id and access token.
    pub async fn staff_with_roles(
        &self,
        tenant: &Tenant,
        admin: &str,
        login: &str,
        roles: &[pb::StaffRole],
    ) -> (String, String) {
        let channel = self.identity_channel();
        let request = pb::CreateStaffRequest {
            staff: Some(pb::Staff {
                login_name: login.into(),
                display_name: login.into(),
                primary_org_unit_id: tenant.root.clone(),
                ..Default::default()
            }),
            initial_password: ADMIN_PASSWORD.into(),
            roles: roles
                .iter()
                .map(|role| pb::RoleGrant {
                    role: *role as i32,
                    org_unit_id: tenant.root.clone(),
                    ..Default::default()
                })
                .collect(),
        };
        let created = pb::staff_service_client::StaffServiceClient::new(channel.clone())
            .create_staff(siyu_platform::seed::authed(request, admin, Some(login)))
            .await
            .unwrap()
            .into_inner();
        let token = staff_token(
            &channel,
            &tenant.code,
            login,
            ADMIN_PASSWORD,
            STAFF_PASSWORD,
        )
        .await
        .unwrap();
        (created.staff.unwrap().staff_id, token)
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

    /// A PATCH of `body` (PATCH is idempotent: no key).
    pub async fn patch_json(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.http
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
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
