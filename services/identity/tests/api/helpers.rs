//! Spawning identity against a fresh database with a WeChat sandbox, and common clients.

use base64::Engine as _;
use secrecy::SecretString;
use siyu_identity::settings::Settings;
use siyu_identity::{Application, Migrator};
use siyu_proto::identity::v1 as pb;
use siyu_testkit::TestDb;
use tonic::transport::Channel;
use tonic_types::StatusExt;
use wechat_sandbox::{Sandbox, SandboxControl, SandboxSettings, SpawnedSandbox};

pub const PLATFORM_ADMIN: &str = "root";
pub const PASSWORD: &str = "Correct-Horse-42";
/// The shared secret of the "content" service configured in every harness.
pub const SERVICE_SECRET: &str = "svc-content-secret-0123456789abcdef";
/// The shared secret of the "gateway" service, which may ask for platform-tenant tokens.
pub const GATEWAY_SECRET: &str = "svc-gateway-secret-0123456789abcdef";

pub struct Harness {
    #[allow(dead_code, reason = "kept alive for the test")]
    pub app: Application,
    pub db: TestDb,
    pub channel: Channel,
    #[allow(dead_code, reason = "kept alive for the test")]
    pub sandbox: SpawnedSandbox,
    pub control: SandboxControl,
}

impl Harness {
    pub async fn start() -> Self {
        let db = TestDb::postgres::<Migrator>().await.unwrap();
        Self::start_on(db).await
    }

    pub async fn start_on(db: TestDb) -> Self {
        let sandbox = Sandbox::build(SandboxSettings::for_tests())
            .await
            .unwrap()
            .spawn();
        let control = sandbox.control().unwrap();
        let mut settings = Settings::default();
        settings.server.grpc_addr = "127.0.0.1:0".parse().unwrap();
        settings.server.admin_addr = "127.0.0.1:0".parse().unwrap();
        settings.database.url = SecretString::from(db.url().to_owned());
        settings.database.max_connections = 20;
        settings.cache.url = SecretString::from("memory://");
        settings.bus.url = SecretString::from("memory://");
        settings.tokens.encryption_key =
            SecretString::from(base64::engine::general_purpose::STANDARD.encode([42u8; 32]));
        settings.wechat.api_base_url = sandbox.base_url();
        // Cheap argon2 in tests: debug builds make the production cost take seconds.
        settings.staff_auth.argon2_memory_kib = 64;
        settings.staff_auth.argon2_iterations = 1;
        settings.service_tokens.clients = vec![
            siyu_identity::settings::ServiceClient {
                name: "content".into(),
                credential_sha256: siyu_identity::crypto::sha256_hex(SERVICE_SECRET),
                scopes: vec!["members.read".into(), "orders.read".into()],
                platform: false,
            },
            siyu_identity::settings::ServiceClient {
                name: "gateway".into(),
                credential_sha256: siyu_identity::crypto::sha256_hex(GATEWAY_SECRET),
                scopes: vec!["psp.notify".into()],
                platform: true,
            },
        ];
        let app = Application::build(settings).await.unwrap();
        app.app()
            .bootstrap_platform(PLATFORM_ADMIN, PASSWORD)
            .await
            .unwrap();
        let channel = Channel::from_shared(format!("http://{}", app.grpc_addr()))
            .unwrap()
            .connect()
            .await
            .unwrap();
        Self {
            app,
            db,
            channel,
            sandbox,
            control,
        }
    }

    /// [`Harness::start`] with the service on a `ManualClock` the test steps (TOTP time
    /// steps, challenge expiry).
    pub async fn start_with_clock(clock: std::sync::Arc<siyu_core::ManualClock>) -> Self {
        let db = TestDb::postgres::<Migrator>().await.unwrap();
        let sandbox = Sandbox::build(SandboxSettings::for_tests())
            .await
            .unwrap()
            .spawn();
        let control = sandbox.control().unwrap();
        let mut settings = Settings::default();
        settings.server.grpc_addr = "127.0.0.1:0".parse().unwrap();
        settings.server.admin_addr = "127.0.0.1:0".parse().unwrap();
        settings.database.url = SecretString::from(db.url().to_owned());
        settings.database.max_connections = 20;
        settings.cache.url = SecretString::from("memory://");
        settings.bus.url = SecretString::from("memory://");
        settings.tokens.encryption_key =
            SecretString::from(base64::engine::general_purpose::STANDARD.encode([42u8; 32]));
        settings.wechat.api_base_url = sandbox.base_url();
        settings.staff_auth.argon2_memory_kib = 64;
        settings.staff_auth.argon2_iterations = 1;
        let app = Application::build_with_clock(settings, clock)
            .await
            .unwrap();
        app.app()
            .bootstrap_platform(PLATFORM_ADMIN, PASSWORD)
            .await
            .unwrap();
        let channel = Channel::from_shared(format!("http://{}", app.grpc_addr()))
            .unwrap()
            .connect()
            .await
            .unwrap();
        Self {
            app,
            db,
            channel,
            sandbox,
            control,
        }
    }

    pub fn tokens(&self) -> pb::token_service_client::TokenServiceClient<Channel> {
        pb::token_service_client::TokenServiceClient::new(self.channel.clone())
    }
    pub fn tenants(&self) -> pb::tenant_service_client::TenantServiceClient<Channel> {
        pb::tenant_service_client::TenantServiceClient::new(self.channel.clone())
    }
    pub fn staff_auth(&self) -> pb::staff_auth_service_client::StaffAuthServiceClient<Channel> {
        pb::staff_auth_service_client::StaffAuthServiceClient::new(self.channel.clone())
    }
    pub fn consumers(
        &self,
    ) -> pb::consumer_auth_service_client::ConsumerAuthServiceClient<Channel> {
        pb::consumer_auth_service_client::ConsumerAuthServiceClient::new(self.channel.clone())
    }
    pub fn users(&self) -> pb::user_service_client::UserServiceClient<Channel> {
        pb::user_service_client::UserServiceClient::new(self.channel.clone())
    }
    pub fn org(&self) -> pb::org_service_client::OrgServiceClient<Channel> {
        pb::org_service_client::OrgServiceClient::new(self.channel.clone())
    }
    pub fn partners(&self) -> pb::partner_service_client::PartnerServiceClient<Channel> {
        pb::partner_service_client::PartnerServiceClient::new(self.channel.clone())
    }
    pub fn staff(&self) -> pb::staff_service_client::StaffServiceClient<Channel> {
        pb::staff_service_client::StaffServiceClient::new(self.channel.clone())
    }
    pub fn audit(&self) -> pb::audit_service_client::AuditServiceClient<Channel> {
        pb::audit_service_client::AuditServiceClient::new(self.channel.clone())
    }

    /// Logs a staff member in with a password; completes a forced password change.
    pub async fn staff_login(
        &self,
        tenant_code: &str,
        login: &str,
        password: &str,
    ) -> pb::TokenPair {
        let result = self
            .staff_auth()
            .login_staff(pb::LoginStaffRequest {
                tenant_code: tenant_code.into(),
                identifier: Some(pb::login_staff_request::Identifier::LoginName(login.into())),
                password: password.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .result
            .unwrap();
        match result.outcome.unwrap() {
            pb::staff_login_result::Outcome::Tokens(tokens) => tokens,
            pb::staff_login_result::Outcome::Challenge(challenge) => {
                let changed = self
                    .staff_auth()
                    .change_staff_password(pb::ChangeStaffPasswordRequest {
                        current_password: String::new(),
                        challenge_token: challenge.challenge_token,
                        new_password: format!("{password}-new"),
                    })
                    .await
                    .unwrap()
                    .into_inner()
                    .result
                    .unwrap();
                match changed.outcome.unwrap() {
                    pb::staff_login_result::Outcome::Tokens(tokens) => tokens,
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
    }

    pub async fn platform_token(&self) -> String {
        self.staff_login("platform", PLATFORM_ADMIN, PASSWORD)
            .await
            .access_token
    }

    /// Creates a tenant with one mini-program registered in the sandbox; returns
    /// (tenant id, app id, tenant admin access token).
    pub async fn tenant_with_app(&self, code: &str) -> (String, String, String) {
        let registered = self.control.register_app().await.unwrap();
        let platform = self.platform_token().await;
        let created = self
            .tenants()
            .create_tenant(authed(
                pb::CreateTenantRequest {
                    code: code.into(),
                    name: format!("Tenant {code}"),
                    apps: vec![pb::WeChatApp {
                        app_id: registered.appid.clone(),
                        kind: pb::AppKind::MiniProgram as i32,
                        name: "Store".into(),
                        app_secret: registered.secret.clone(),
                        enabled: true,
                        ..Default::default()
                    }],
                    admin_login_name: "admin".into(),
                    admin_display_name: "Admin".into(),
                    admin_initial_password: PASSWORD.into(),
                    ..Default::default()
                },
                &platform,
            ))
            .await
            .unwrap()
            .into_inner();
        let tenant = created.tenant.unwrap().tenant_id;
        let admin = self.staff_login(code, "admin", PASSWORD).await.access_token;
        (tenant, registered.appid, admin)
    }

    /// A first WeChat login for `openid`.
    pub async fn wechat_login(&self, app_id: &str, openid: &str) -> pb::LoginWithWeChatResponse {
        let code = self.control.login_code(app_id, openid).await.unwrap();
        self.consumers()
            .login_with_we_chat(pb::LoginWithWeChatRequest {
                app_id: app_id.into(),
                code,
                attribution: None,
            })
            .await
            .unwrap()
            .into_inner()
    }
}

/// A request with a bearer token.
pub fn authed<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// Asserts the status code and ErrorInfo reason.
pub fn assert_reason(status: &tonic::Status, code: tonic::Code, reason: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    let info = status.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.reason, reason, "{status:?}");
}

/// Counts rows of a raw SQL `SELECT COUNT(*) AS n …` with one text parameter.
pub async fn count(h: &Harness, sql: &str, param: &str) -> i64 {
    use sea_orm::ConnectionTrait as _;
    let row =
        h.db.db
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                sql,
                [param.into()],
            ))
            .await
            .unwrap()
            .unwrap();
    row.try_get("", "n").unwrap()
}

/// The fields of the BadRequest violations of a status.
pub fn violations(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// A 5-minute service token of the configured "content" service acting in `tenant`.
pub async fn service_token(h: &Harness, tenant: &str) -> String {
    h.tokens()
        .issue_service_token(pb::IssueServiceTokenRequest {
            service: "content".into(),
            credential: SERVICE_SECRET.into(),
            tenant_id: tenant.into(),
            scopes: Vec::new(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .access_token
}
