//! Spawns the service on port 0 against a fresh database, mints tokens and builds requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, Statement, Value};
use siyu_auth::{Audience, Claims, RoleClaim, SigningKey};
use siyu_content::settings::Settings;
use siyu_content::{Application, Overrides};
use siyu_content_migration::Migrator;
use siyu_core::{Clock, ManualClock, PrincipalKind, TenantId};
use siyu_proto::content::v1 as pb;
use siyu_proto::content::v1::content_service_client::ContentServiceClient;
use siyu_server::GuestTenants;
use siyu_server::access::GuestFuture;
use siyu_testkit::TestDb;
use tonic::transport::Channel;
use uuid::Uuid;

/// 2026-12-07T10:00:00+08:00.
pub const START: i64 = 1_796_608_800;

#[allow(dead_code, reason = "kept alive for the test")]
pub struct H {
    pub db: TestDb,
    pub app: Application,
    pub clock: ManualClock,
    key: SigningKey,
    pub channel: Channel,
    apps: Apps,
}

/// The mini-program apps guests name, standing in for identity's ResolveTenantByAppId.
#[derive(Clone, Default)]
struct Apps(Arc<Mutex<HashMap<String, TenantId>>>);

impl GuestTenants for Apps {
    fn tenant_of<'a>(&'a self, app_id: &'a str) -> GuestFuture<'a> {
        let tenant = self.0.lock().unwrap().get(app_id).copied();
        Box::pin(async move { tenant.ok_or_else(|| tonic::Status::not_found("APP_NOT_FOUND")) })
    }
}

impl H {
    pub async fn pg() -> Self {
        Self::start(TestDb::postgres::<Migrator>().await.unwrap()).await
    }

    pub async fn sqlite() -> Self {
        Self::start(TestDb::sqlite::<Migrator>().await.unwrap()).await
    }

    /// Postgres with the background jobs running every second.
    pub async fn pg_with_jobs() -> Self {
        Self::start_with(TestDb::postgres::<Migrator>().await.unwrap(), true).await
    }

    async fn start(db: TestDb) -> Self {
        Self::start_with(db, false).await
    }

    async fn start_with(db: TestDb, jobs: bool) -> Self {
        let key = SigningKey::ed25519_from_seed("k1", &[7u8; 32]).unwrap();
        let clock = ManualClock::new(chrono::DateTime::from_timestamp(START, 0).unwrap());
        let apps = Apps::default();
        let app = Self::replica(&db, &clock, &key, &apps, jobs).await;
        let channel = Channel::from_shared(format!("http://{}", app.grpc_addr()))
            .unwrap()
            .connect()
            .await
            .unwrap();
        Self {
            db,
            app,
            clock,
            key,
            channel,
            apps,
        }
    }

    /// One instance of the service on `db` (several share a database as replicas do).
    async fn replica(
        db: &TestDb,
        clock: &ManualClock,
        key: &SigningKey,
        apps: &Apps,
        jobs: bool,
    ) -> Application {
        let mut s = Settings {
            database: siyu_config::DatabaseSettings::new(db.url()),
            ..Settings::default()
        };
        s.database.max_connections = 20;
        s.server.grpc_addr = "127.0.0.1:0".parse().unwrap();
        s.server.admin_addr = "127.0.0.1:0".parse().unwrap();
        s.content.run_jobs = jobs;
        s.content.jobs_interval_secs = 1;
        Application::build_with(
            s,
            Overrides {
                clock: Some(Arc::new(clock.clone())),
                jwks: Some(SigningKey::jwks([key])),
                guests: Some(Arc::new(apps.clone())),
            },
        )
        .await
        .unwrap()
    }

    /// A second instance with its jobs running, on the same database and clock.
    pub async fn second_replica(&self) -> Application {
        Self::replica(&self.db, &self.clock, &self.key, &self.apps, true).await
    }

    /// A mini-program app of `tenant` that guests can name.
    pub fn app_id(&self, tenant: TenantId) -> String {
        let app = format!("wx{}", &siyu_core::id::new().simple().to_string()[16..]);
        self.apps.0.lock().unwrap().insert(app.clone(), tenant);
        app
    }

    pub fn client(&self) -> ContentServiceClient<Channel> {
        ContentServiceClient::new(self.channel.clone())
    }

    /// The app layer on the same database and clock (a second job runner).
    pub fn app_layer(&self) -> siyu_content::app::App {
        siyu_content::app::App::new(self.db.db.clone(), Arc::new(self.clock.clone()))
    }

    pub fn token(
        &self,
        tenant: TenantId,
        kind: PrincipalKind,
        roles: &[(&str, String)],
        scopes: &[&str],
    ) -> String {
        let now = self.clock.now().timestamp();
        self.key
            .sign(&Claims {
                sub: format!("{kind:?}-1").to_lowercase(),
                tenant,
                kind,
                roles: roles
                    .iter()
                    .map(|(r, o)| RoleClaim {
                        role: (*r).into(),
                        org: o.clone(),
                    })
                    .collect(),
                scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                exp: now + 3600,
                nbf: None,
                iat: now,
                iss: "siyu-identity".into(),
                aud: Audience::One("siyu".into()),
                jti: siyu_core::id::new_string(),
                client_id: (kind == PrincipalKind::Partner).then(|| "partner-1".into()),
            })
            .unwrap()
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
            .unwrap()
    }

    /// ContentPublished events in the outbox (each test has its own database).
    pub async fn published_events(&self) -> i64 {
        self.scalar(
            "SELECT COUNT(*) FROM siyu_outbox WHERE subject = $1",
            vec!["content.content_published".into()],
        )
        .await
    }

    /// Creates an article and returns it.
    pub async fn article(&self, token: &str, title: &str, tags: &[&str]) -> pb::ContentItem {
        self.client()
            .create_content(with(
                pb::CreateContentRequest {
                    content: Some(article(title, tags)),
                    note: "first".into(),
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner()
            .content
            .unwrap()
    }

    /// Creates a banner and returns it.
    pub async fn banner(&self, token: &str, title: &str) -> pb::ContentItem {
        self.client()
            .create_content(with(
                pb::CreateContentRequest {
                    content: Some(banner(title)),
                    note: String::new(),
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner()
            .content
            .unwrap()
    }

    /// Publishes `content_id` now.
    pub async fn publish(&self, token: &str, content_id: &str) -> pb::ContentItem {
        self.client()
            .publish_content(with(
                pb::PublishContentRequest {
                    content_id: content_id.into(),
                    ..Default::default()
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner()
            .content
            .unwrap()
    }

    /// A slot of `page` with `layout`.
    pub async fn slot(
        &self,
        token: &str,
        code: &str,
        page: &str,
        layout: pb::SlotLayout,
    ) -> pb::Slot {
        self.client()
            .create_slot(with(
                pb::CreateSlotRequest {
                    slot: Some(pb::Slot {
                        code: code.into(),
                        name: code.into(),
                        page: page.into(),
                        layout: layout.into(),
                        max_items: 5,
                        sort_order: 0,
                        enabled: true,
                        ..Default::default()
                    }),
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner()
            .slot
            .unwrap()
    }
}

/// An article body with markdown.
pub fn article(title: &str, tags: &[&str]) -> pb::ContentItem {
    pb::ContentItem {
        kind: pb::ContentKind::Article.into(),
        body: Some(pb::content_item::Body::Article(pb::ArticleBody {
            title: title.into(),
            summary: "summary".into(),
            body_markdown: "# 标题\n\n正文 **加粗** [商品](/pages/product?id=1)\n\n![图](https://img.example.cn/a.jpg)".into(),
            cover_image_url: "https://img.example.cn/cover.jpg".into(),
            author_name: "品牌".into(),
        })),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        ..Default::default()
    }
}

/// A banner body.
pub fn banner(title: &str) -> pb::ContentItem {
    pb::ContentItem {
        kind: pb::ContentKind::Banner.into(),
        body: Some(pb::content_item::Body::Banner(pb::BannerBody {
            title: title.into(),
            image_url: "https://img.example.cn/banner.jpg".into(),
            link: Some(pb::LinkTarget {
                target: Some(pb::link_target::Target::PagePath(
                    "/pages/sale/index".into(),
                )),
            }),
        })),
        ..Default::default()
    }
}

pub fn with<T>(msg: T, token: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

/// The same request with an idempotency key.
pub fn keyed<T>(mut r: tonic::Request<T>, key: &str) -> tonic::Request<T> {
    r.metadata_mut()
        .insert("x-idempotency-key", key.parse().unwrap());
    r
}

/// A call without a token naming the mini-program app `app` (a guest).
pub fn guest<T>(msg: T, app: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut()
        .insert("x-siyu-app-id", app.parse().unwrap());
    r
}

/// The first BadRequest field violation of an INVALID_ARGUMENT status ("" when none).
pub fn field(s: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    s.get_details_bad_request()
        .and_then(|b| b.field_violations.first().map(|v| v.field.clone()))
        .unwrap_or_default()
}

pub fn reason(s: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    s.get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

/// (code, reason) of a status.
pub fn code_reason(s: &tonic::Status) -> (tonic::Code, String) {
    (s.code(), reason(s))
}

/// Runs a test body on Postgres and on SQLite, as two tests of the module `$name`.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn postgres() {
                super::$body($crate::harness::H::pg().await).await;
            }

            #[tokio::test]
            async fn sqlite() {
                super::$body($crate::harness::H::sqlite().await).await;
            }
        }
    };
}

/// A tenant with an HQ root, a store under it, and tokens.
pub struct Tenant {
    pub id: TenantId,
    pub store: Uuid,
    pub admin: String,
    pub manager: String,
    pub consumer: String,
}

impl Tenant {
    pub fn new(h: &H) -> Self {
        let id = TenantId(siyu_core::id::new());
        let root = siyu_core::id::new();
        let store = siyu_core::id::new();
        let admin = h.token(
            id,
            PrincipalKind::Staff,
            &[("tenant_admin", root.to_string())],
            &[],
        );
        let manager = h.token(
            id,
            PrincipalKind::Staff,
            &[("store_manager", format!("{root}/{store}"))],
            &[],
        );
        let consumer = h.token(id, PrincipalKind::Consumer, &[], &[]);
        Self {
            id,
            store,
            admin,
            manager,
            consumer,
        }
    }
}
