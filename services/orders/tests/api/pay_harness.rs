//! Orders on a fresh Postgres database, the WeChat sandbox with one test merchant, and a
//! stand-in for the gateway's notify route (captures callbacks, forwards them when asked).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use sea_orm::{ConnectionTrait, Statement, Value};
use siyu_auth::{Audience, Claims, SigningKey};
use siyu_core::{Clock, ManualClock, PrincipalKind, TenantId};
use siyu_orders::app::payments::merchant::{Answer, MerchantCredentials, PayDirectory};
use siyu_orders::settings::Settings;
use siyu_orders::{Application, Overrides};
use siyu_orders_migration::Migrator;
use siyu_proto::payments::v1 as pb;
use siyu_proto::payments::v1::payment_service_client::PaymentServiceClient;
use siyu_proto::payments::v1::wechat_pay_notify_service_client::WechatPayNotifyServiceClient;
use siyu_testkit::TestDb;
use tonic::transport::Channel;
use uuid::Uuid;
use wechat_sandbox::pay::control::{RegisterMerchant, RegisteredMerchant};
use wechat_sandbox::{Sandbox, SandboxControl, SandboxSettings, SpawnedSandbox};

/// 2026-12-07T10:00:00+08:00.
pub const START: i64 = 1_796_608_800;
pub const APPID: &str = "wxpaytest000000001";
pub const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

/// The merchant of every tenant, and one openid for every user.
#[derive(Debug)]
struct FixedDirectory {
    creds: MerchantCredentials,
}

impl PayDirectory for FixedDirectory {
    fn wechat_pay(&self, _tenant: TenantId) -> Answer<'_, MerchantCredentials> {
        Box::pin(async move { Ok(self.creds.clone()) })
    }

    fn openid<'a>(&'a self, _t: TenantId, _u: Uuid, _a: &'a str) -> Answer<'a, Option<String>> {
        Box::pin(async move { Ok(Some(OPENID.to_owned())) })
    }
}

/// A callback as the gateway route received it.
#[derive(Debug, Clone)]
pub struct Captured {
    pub route_key: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Captured {
    pub fn request(&self) -> pb::HandleWechatPayNotificationRequest {
        let h = |n: &str| {
            self.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        pb::HandleWechatPayNotificationRequest {
            route_key: self.route_key.clone(),
            wechatpay_timestamp: h("wechatpay-timestamp"),
            wechatpay_nonce: h("wechatpay-nonce"),
            wechatpay_signature: h("wechatpay-signature"),
            wechatpay_serial: h("wechatpay-serial"),
            wechatpay_signature_type: h("wechatpay-signature-type"),
            body: self.body.to_vec(),
        }
    }
}

#[derive(Clone)]
struct GatewayState {
    captured: Arc<Mutex<Vec<Captured>>>,
    forward: Arc<Mutex<Option<(Channel, String)>>>,
}

#[allow(dead_code, reason = "kept alive for the test")]
pub struct P {
    pub db: TestDb,
    pub app: Application,
    pub clock: ManualClock,
    pub sandbox_clock: Arc<ManualClock>,
    pub sandbox: SpawnedSandbox,
    pub control: SandboxControl,
    pub merchant: RegisteredMerchant,
    pub channel: Channel,
    pub tenant: TenantId,
    key: SigningKey,
    captured: Arc<Mutex<Vec<Captured>>>,
    forward: Arc<Mutex<Option<(Channel, String)>>>,
}

impl P {
    pub async fn start() -> Self {
        let db = TestDb::postgres::<Migrator>().await.unwrap();
        let start = chrono::DateTime::from_timestamp(START, 0).unwrap();
        let sandbox_clock = Arc::new(ManualClock::new(start));
        let sandbox =
            Sandbox::build_with_clock(SandboxSettings::for_tests(), sandbox_clock.clone())
                .await
                .unwrap()
                .spawn();
        let control = sandbox.control().unwrap();
        let merchant = control
            .register_merchant(&RegisterMerchant {
                appids: vec![APPID.into()],
                ..RegisterMerchant::default()
            })
            .await
            .unwrap();
        let platform = control.pay_platform().await.unwrap();
        let creds = MerchantCredentials {
            mch_id: merchant.mchid.clone(),
            app_id: APPID.into(),
            serial_no: merchant.serial_no.clone(),
            private_key_pem: merchant.private_key_pem.clone().unwrap(),
            apiv3_key: merchant.apiv3_key.clone(),
            public_key: None,
            certificates: platform
                .certificates
                .iter()
                .map(|c| c.pem.clone())
                .collect(),
        };

        let captured = Arc::new(Mutex::new(Vec::new()));
        let forward = Arc::new(Mutex::new(None));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway = format!("http://{}", listener.local_addr().unwrap());
        let router = Router::new()
            .route("/psp/wechatpay/v1/notify/{route_key}", post(notify))
            .with_state(GatewayState {
                captured: captured.clone(),
                forward: forward.clone(),
            });
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });

        let key = SigningKey::ed25519_from_seed("k1", &[7u8; 32]).unwrap();
        let mut s = Settings {
            database: siyu_config::DatabaseSettings::new(db.url()),
            ..Settings::default()
        };
        s.server.grpc_addr = "127.0.0.1:0".parse().unwrap();
        s.server.admin_addr = "127.0.0.1:0".parse().unwrap();
        s.orders.run_jobs = false;
        s.wechatpay.api_base = sandbox.base_url();
        s.wechatpay.notify_base = gateway;
        let clock = ManualClock::new(start);
        let app = Application::build_with(
            s,
            Overrides {
                clock: Some(Arc::new(clock.clone())),
                jwks: Some(SigningKey::jwks([&key])),
                pay_directory: Some(Arc::new(FixedDirectory { creds })),
            },
        )
        .await
        .unwrap();
        let channel = Channel::from_shared(format!("http://{}", app.grpc_addr()))
            .unwrap()
            .connect()
            .await
            .unwrap();
        Self {
            db,
            app,
            clock,
            sandbox_clock,
            sandbox,
            control,
            merchant,
            channel,
            tenant: TenantId(siyu_core::id::new()),
            key,
            captured,
            forward,
        }
    }

    /// The gateway route forwards callbacks to orders (else it only captures, answering 503).
    pub fn forward_callbacks(&self, on: bool) {
        *self.forward.lock().unwrap() = on.then(|| (self.channel.clone(), self.gateway_token()));
    }

    /// Waits until `n` callbacks were captured.
    pub async fn captured(&self, n: usize) -> Vec<Captured> {
        for _ in 0..500 {
            {
                let c = self.captured.lock().unwrap();
                if c.len() >= n {
                    return c.clone();
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("expected {n} callbacks");
    }

    pub fn payments(&self) -> PaymentServiceClient<Channel> {
        PaymentServiceClient::new(self.channel.clone())
    }

    pub fn notify_client(&self) -> WechatPayNotifyServiceClient<Channel> {
        WechatPayNotifyServiceClient::new(self.channel.clone())
    }

    pub fn token(
        &self,
        tenant: TenantId,
        kind: PrincipalKind,
        sub: &str,
        scopes: &[&str],
    ) -> String {
        token(&self.key, &self.clock, tenant, kind, sub, scopes)
    }

    /// The gateway's token: the platform tenant, not the merchant's.
    pub fn gateway_token(&self) -> String {
        self.token(
            TenantId(Uuid::nil()),
            PrincipalKind::Service,
            "gateway",
            &["psp.notify"],
        )
    }

    pub fn consumer(&self, user: Uuid) -> String {
        self.token(self.tenant, PrincipalKind::Consumer, &user.to_string(), &[])
    }

    /// Staff of `tenant` holding `roles` at its root.
    pub fn staff(&self, tenant: TenantId, roles: &[&str]) -> String {
        let now = self.clock.now().timestamp();
        self.key
            .sign(&Claims {
                sub: siyu_core::id::new_string(),
                tenant,
                kind: PrincipalKind::Staff,
                roles: roles
                    .iter()
                    .map(|r| siyu_auth::RoleClaim {
                        role: (*r).to_owned(),
                        org: tenant.0.to_string(),
                    })
                    .collect(),
                scopes: Vec::new(),
                exp: now + 86_400,
                nbf: None,
                iat: now,
                iss: "siyu-identity".into(),
                aud: Audience::One("siyu".into()),
                jti: siyu_core::id::new_string(),
                client_id: None,
            })
            .unwrap()
    }

    pub fn service(&self) -> String {
        self.token(self.tenant, PrincipalKind::Service, "jobs", &[])
    }

    /// A PENDING_PAYMENT order of `user` payable `fen`, deadline 15 minutes on.
    pub async fn order(&self, user: Uuid, fen: i64) -> (Uuid, String) {
        let id = siyu_core::id::new();
        let no = format!("SY{}", &id.simple().to_string()[12..]);
        let now = self.clock.now().timestamp_millis();
        self.exec(
            "INSERT INTO ord_orders (tenant, id, order_no, kind, user_id, status, after_sale_state,
                payable_fen, payment_deadline_ms, detail, created_at_ms, updated_at_ms)
             VALUES ($1, $2, $3, 1, $4, 1, 1, $5, $6, '', $7, $7)",
            vec![
                Value::Uuid(Some(self.tenant.0)),
                Value::Uuid(Some(id)),
                no.clone().into(),
                Value::Uuid(Some(user)),
                fen.into(),
                (now + 15 * 60_000).into(),
                now.into(),
            ],
        )
        .await;
        (id, no)
    }

    pub async fn exec(&self, sql: &str, values: Vec<Value>) {
        let b = self.db.db.get_database_backend();
        self.db
            .db
            .execute_raw(Statement::from_sql_and_values(b, sql, values))
            .await
            .unwrap();
    }

    pub async fn scalar(&self, sql: &str, values: Vec<Value>) -> i64 {
        let b = self.db.db.get_database_backend();
        let row = self
            .db
            .db
            .query_one_raw(Statement::from_sql_and_values(b, sql, values))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0)
            .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
            .or_else(|_| row.try_get_by_index::<i16>(0).map(i64::from))
            .unwrap()
    }

    pub async fn order_status(&self, order: Uuid) -> i64 {
        self.scalar(
            "SELECT status FROM ord_orders WHERE id = $1",
            vec![Value::Uuid(Some(order))],
        )
        .await
    }

    pub async fn paid_entries(&self, order: Uuid) -> i64 {
        self.scalar(
            "SELECT COUNT(*) FROM ord_timeline WHERE order_id = $1 AND kind = 3",
            vec![Value::Uuid(Some(order))],
        )
        .await
    }
}

fn token(
    key: &SigningKey,
    clock: &ManualClock,
    tenant: TenantId,
    kind: PrincipalKind,
    sub: &str,
    scopes: &[&str],
) -> String {
    let now = clock.now().timestamp();
    key.sign(&Claims {
        sub: sub.to_owned(),
        tenant,
        kind,
        roles: Vec::new(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        exp: now + 86_400,
        nbf: None,
        iat: now,
        iss: "siyu-identity".into(),
        aud: Audience::One("siyu".into()),
        jti: siyu_core::id::new_string(),
        client_id: (kind == PrincipalKind::Partner).then(|| "partner-1".into()),
    })
    .unwrap()
}

async fn notify(
    State(state): State<GatewayState>,
    Path(route_key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let captured = Captured {
        route_key,
        headers,
        body,
    };
    state.captured.lock().unwrap().push(captured.clone());
    let forward = state.forward.lock().unwrap().clone();
    let Some((channel, token)) = forward else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    let answer = WechatPayNotifyServiceClient::new(channel)
        .handle_wechat_pay_notification(with(captured.request(), &token))
        .await;
    match answer {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

/// A request with a bearer token.
pub fn with<T>(msg: T, token: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

pub fn reason(s: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    s.get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}
