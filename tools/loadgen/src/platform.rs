//! The whole suite in-process, for the platform scenarios (`gateway-hop`, `refresh-rotation`,
//! `wechat-login-gateway`, `product-detail-gateway`): `siyu_platform::Suite` (sandbox, every
//! registered service, gateway, real gRPC between them) on a runtime of its own, each service on
//! a scratch Postgres database `loadgen_platform_<uuid>_<service>` (created, migrated by the
//! suite, dropped `WITH (FORCE)` on stop), Redis with a unique key prefix, one tenant with a
//! mini-program registered in the sandbox and its admin.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use secrecy::SecretString;
use siyu_platform::registry::{self, catalog, identity};
use siyu_platform::seed::{authed, identity::staff_token};
use siyu_platform::{StartOptions, Suite};
use siyu_proto::identity::v1 as pb;
use tokio::runtime::Runtime;
use tonic::transport::{Channel, Endpoint};
use uuid::Uuid;
use wechat_sandbox::{SandboxControl, SandboxSettings};

use crate::scenarios::pg_insert::with_database;
use crate::scratch::{admin_connection, drop_database, scratch_pool};

mod config;
mod seed;

pub use config::{PlatformOptions, REDIS_URL, RunConfig, SUITE_THREADS};
pub use seed::SeededCatalog;

const PLATFORM_ADMIN: &str = "root";
const ADMIN_LOGIN: &str = "admin";
const TENANT_CODE: &str = "loadgen";
/// Prefix of the scratch databases (the drop refuses any other name).
pub const DB_PREFIX: &str = "loadgen_platform_";

/// A running suite with one tenant.
pub struct PlatformFixture {
    /// The tenant's id.
    pub tenant_id: String,
    /// The mini-program's app id (registered in the sandbox and on the tenant).
    pub app_id: String,
    /// The tenant's HQ org unit.
    pub root: String,
    /// The tenant admin's access token (staff, `tenant_admin` on the root).
    pub admin_token: String,
    /// `http://<gateway REST>`.
    pub gateway_url: String,
    /// The sandbox's control API.
    pub sandbox: SandboxControl,
    /// One HTTP/2 connection to identity's gRPC.
    pub identity: Channel,
    /// One HTTP/2 connection to catalog's gRPC.
    pub catalog: Channel,
    /// loadgen's own pool on identity's database (checks).
    pub identity_db: DatabaseConnection,
    /// loadgen's own pool on catalog's database (checks).
    pub catalog_db: DatabaseConnection,
    /// The Redis key prefix of the run.
    pub key_prefix: String,
    admin_url: String,
    db_names: Vec<String>,
    runtime: Option<Runtime>,
    suite: Option<Suite>,
}

impl PlatformFixture {
    /// Creates the databases and starts the suite with pools of `pool` connections; on
    /// failure whatever was created is removed again.
    pub async fn start(options: &PlatformOptions, concurrency: usize) -> anyhow::Result<Self> {
        let id = Uuid::now_v7().simple().to_string();
        let db_names: BTreeMap<&'static str, String> = registry::SERVICES
            .iter()
            .map(|s| (s.name, format!("{DB_PREFIX}{id}_{}", s.name)))
            .collect();
        let admin = admin_connection(&options.database_url).await?;
        for name in db_names.values() {
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .with_context(|| format!("creating {name}"))?;
        }
        admin.close().await?;
        match Self::start_on(options, concurrency, &id, &db_names).await {
            Ok(fixture) => Ok(fixture),
            Err(e) => {
                for name in db_names.values() {
                    // Best effort: the error that matters is the one that stopped the start.
                    let _ = drop_database(&options.database_url, name).await;
                }
                Err(e)
            }
        }
    }

    async fn start_on(
        options: &PlatformOptions,
        concurrency: usize,
        id: &str,
        db_names: &BTreeMap<&'static str, String>,
    ) -> anyhow::Result<Self> {
        let pool_size = match options.pool_size {
            Some(n) => n,
            None => u32::try_from(concurrency).context("concurrency too large")?,
        };
        let key: [u8; 32] = rand::random();
        let databases = db_names
            .iter()
            .map(|(service, name)| Ok((*service, with_database(&options.database_url, name)?)))
            .collect::<anyhow::Result<_>>()?;
        let config = RunConfig {
            databases,
            redis_url: options.redis_url.clone(),
            key_prefix: format!("loadgen:{id}:"),
            bus_url: format!("memory://loadgen-{id}"),
            pool_size,
            encryption_key: base64::engine::general_purpose::STANDARD.encode(key),
        };
        let password = format!("Lg-{}", Uuid::now_v7().simple());
        let start = StartOptions {
            sandbox: SandboxSettings::for_tests(),
            migrate: true,
            platform_admin: (PLATFORM_ADMIN.into(), SecretString::from(password.clone())),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(options.suite_threads)
            .thread_name("suite-server")
            .enable_all()
            .build()
            .context("starting the suite's runtime")?;
        let run_config = config.clone();
        // Started inside the suite's runtime, so the services' tasks run on its threads.
        let suite = runtime
            .spawn(async move { Suite::start(&run_config, start).await })
            .await?
            .context("starting the suite")?;
        let mut fixture = Self {
            tenant_id: String::new(),
            app_id: String::new(),
            root: String::new(),
            admin_token: String::new(),
            gateway_url: suite.gateway_url(),
            sandbox: SandboxControl::new(suite.sandbox_url())?,
            identity: lazy(&suite.grpc_url(identity::NAME)?)?,
            catalog: lazy(&suite.grpc_url(catalog::NAME)?)?,
            identity_db: scratch_pool(config.database(identity::NAME)?, 4).await?,
            catalog_db: scratch_pool(config.database(catalog::NAME)?, 4).await?,
            key_prefix: config.key_prefix.clone(),
            admin_url: options.database_url.clone(),
            db_names: db_names.values().cloned().collect(),
            runtime: Some(runtime),
            suite: Some(suite),
        };
        fixture.tenant(&password).await?;
        Ok(fixture)
    }

    /// Creates the tenant with a fresh sandbox app and its admin (first password change done).
    async fn tenant(&mut self, platform_password: &str) -> anyhow::Result<()> {
        let app = self.sandbox.register_app().await?;
        let platform = staff_token(
            &self.identity,
            "platform",
            PLATFORM_ADMIN,
            platform_password,
            platform_password,
        )
        .await?;
        let initial = format!("Init-{}", Uuid::now_v7().simple());
        let request = pb::CreateTenantRequest {
            code: TENANT_CODE.into(),
            name: "loadgen".into(),
            apps: vec![pb::WeChatApp {
                app_id: app.appid.clone(),
                kind: pb::AppKind::MiniProgram as i32,
                name: "loadgen".into(),
                app_secret: app.secret.clone(),
                enabled: true,
                ..Default::default()
            }],
            admin_login_name: ADMIN_LOGIN.into(),
            admin_display_name: "Admin".into(),
            admin_initial_password: initial.clone(),
            ..Default::default()
        };
        let created = pb::tenant_service_client::TenantServiceClient::new(self.identity.clone())
            .create_tenant(authed(request, &platform, None))
            .await
            .context("CreateTenant")?
            .into_inner()
            .tenant
            .context("CreateTenant answered no tenant")?;
        let password = format!("Adm-{}", Uuid::now_v7().simple());
        self.admin_token = staff_token(
            &self.identity,
            TENANT_CODE,
            ADMIN_LOGIN,
            &initial,
            &password,
        )
        .await?;
        self.tenant_id = created.tenant_id;
        self.root = created.root_org_unit_id;
        self.app_id = app.appid;
        Ok(())
    }

    /// A consumer's WeChat login straight at identity's gRPC (setup): the token pair.
    pub async fn consumer_login(&self, openid: &str) -> anyhow::Result<pb::TokenPair> {
        let code = self.sandbox.login_code(&self.app_id, openid).await?;
        let request = pb::LoginWithWeChatRequest {
            app_id: self.app_id.clone(),
            code,
            ..Default::default()
        };
        pb::consumer_auth_service_client::ConsumerAuthServiceClient::new(self.identity.clone())
            .login_with_we_chat(request)
            .await
            .with_context(|| format!("LoginWithWeChat of {openid}"))?
            .into_inner()
            .tokens
            .context("LoginWithWeChat answered no tokens")
    }

    /// Waits until the gateway answers `/readyz` (it loads identity's JWKS in the background).
    pub async fn gateway_ready(&self, http: &reqwest::Client) -> anyhow::Result<()> {
        let url = format!("{}/readyz", self.gateway_url);
        for _ in 0..500 {
            if http
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!("the gateway did not become ready within 10 s")
    }

    /// Stops the suite, closes the pools and drops the databases.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let stopped = match (self.suite.take(), self.runtime.as_ref()) {
            (Some(suite), Some(runtime)) => runtime.spawn(suite.stop()).await?,
            _ => Ok(()),
        };
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
        let closed = (
            self.identity_db.clone().close().await,
            self.catalog_db.clone().close().await,
        );
        let mut dropped = Ok(());
        for name in &self.db_names {
            if let Err(e) = drop_database(&self.admin_url, name).await {
                dropped = Err(e);
            }
        }
        stopped?;
        closed.0?;
        closed.1?;
        dropped
    }
}

impl Drop for PlatformFixture {
    fn drop(&mut self) {
        // Dropping a runtime from async code panics; this is the safe way out when `stop`
        // was not called.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn lazy(url: &str) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .tcp_nodelay(true)
        .connect_lazy())
}
