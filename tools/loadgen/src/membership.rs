//! The membership service in-process, for the `ledger-*` and `coupon-*` scenarios: a scratch
//! Postgres database `loadgen_membership_<uuid>` migrated with `siyu-membership-migration`,
//! `siyu_membership::Application` on a runtime of its own (scheduled like a separate process),
//! its default memory:// bus with the outbox relay running, and a static JWKS whose key mints
//! the tokens. [`MembershipFixture::stop`] stops the service and drops the database.

use anyhow::Context as _;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use siyu_auth::SigningKey;
use siyu_core::{PrincipalKind, TenantId};
use siyu_membership::settings::Settings;
use siyu_membership::{Application, Overrides};
use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::member_service_client::MemberServiceClient;
use tokio::runtime::Runtime;
use tokio::task::JoinSet;
use tonic::transport::{Channel, Endpoint};
use uuid::Uuid;

use crate::scenarios::pg_insert::with_database;
use crate::scratch::{create_database, drop_database, scratch_pool};
use crate::service::ServiceConfig;
use crate::tokens::{bearer, mint};

/// Enrolments in flight while seeding members.
const ENROL_CONCURRENCY: usize = 16;

/// An enrolled member: its id and the consumer token it enrolled with.
#[derive(Debug, Clone)]
pub struct SeededMember {
    /// The member id.
    pub member_id: String,
    /// The member's consumer access token.
    pub token: String,
}

/// A running in-process membership service with a seeded tenant.
pub struct MembershipFixture {
    /// The tenant every token acts in.
    pub tenant: TenantId,
    /// A service token (orders and the points mall call the ledger with one).
    pub service_token: String,
    /// A tenant-admin staff token on the tenant's root, for seeding.
    pub admin_token: String,
    /// One HTTP/2 connection to the service.
    pub channel: Channel,
    /// loadgen's own pool on the scratch database, for checks.
    pub db: DatabaseConnection,
    key: SigningKey,
    admin_url: String,
    db_name: String,
    runtime: Option<Runtime>,
    app: Option<Application>,
}

impl MembershipFixture {
    /// Creates and migrates the scratch database and starts the service on it; on failure
    /// whatever was created is removed again.
    pub async fn start(config: &ServiceConfig) -> anyhow::Result<Self> {
        let db_name = format!("loadgen_membership_{}", Uuid::now_v7().simple());
        create_database(&config.database_url, &db_name).await?;
        match Self::start_on(config, &db_name).await {
            Ok(fixture) => Ok(fixture),
            Err(e) => {
                // Best effort: the error that matters is the one that stopped the start.
                let _ = drop_database(&config.database_url, &db_name).await;
                Err(e)
            }
        }
    }

    async fn start_on(config: &ServiceConfig, db_name: &str) -> anyhow::Result<Self> {
        let url = with_database(&config.database_url, db_name)?;
        let db = scratch_pool(&url, 4).await?;
        siyu_store::db::migrate::<siyu_membership_migration::Migrator>(&db)
            .await
            .context("membership migrations")?;

        let key = SigningKey::ed25519_from_seed("loadgen", &[42u8; 32])?;
        let mut settings = Settings {
            database: siyu_config::DatabaseSettings::new(&url),
            ..Settings::default()
        };
        settings.database.max_connections = config.pool_size;
        settings.database.min_connections = config.pool_size;
        settings.server.grpc_addr = "127.0.0.1:0".parse()?;
        settings.server.admin_addr = "127.0.0.1:0".parse()?;
        let overrides = Overrides {
            jwks: Some(SigningKey::jwks([&key])),
            ..Overrides::default()
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.server_threads)
            .thread_name("membership-server")
            .enable_all()
            .build()
            .context("starting the membership service's runtime")?;
        let app = runtime
            .spawn(Application::build_with(settings, overrides))
            .await?
            .context("starting the membership service")?;
        let target = format!("http://{}", app.grpc_addr());
        let tenant = TenantId(Uuid::now_v7());
        let root = Uuid::now_v7();
        Ok(Self {
            tenant,
            service_token: mint(&key, tenant, PrincipalKind::Service, None)?,
            admin_token: mint(&key, tenant, PrincipalKind::Staff, Some(root))?,
            // Connects on the first call (seeding), before anything is measured.
            channel: Endpoint::from_shared(target)?
                .tcp_nodelay(true)
                .connect_lazy(),
            db,
            key,
            admin_url: config.database_url.clone(),
            db_name: db_name.to_owned(),
            runtime: Some(runtime),
            app: Some(app),
        })
    }

    /// Enrols `n` new consumers, each with a token of its own, `ENROL_CONCURRENCY` at a time.
    pub async fn enroll(&self, n: usize) -> anyhow::Result<Vec<SeededMember>> {
        let mut members = Vec::with_capacity(n);
        let mut pending = JoinSet::new();
        for i in 0..n {
            if i >= ENROL_CONCURRENCY
                && let Some(done) = pending.join_next().await
            {
                members.push(done??);
            }
            let token = mint(&self.key, self.tenant, PrincipalKind::Consumer, None)?;
            let client = MemberServiceClient::new(self.channel.clone());
            pending.spawn(enroll_one(client, token));
        }
        while let Some(done) = pending.join_next().await {
            members.push(done??);
        }
        Ok(members)
    }

    /// One number the scenario's invariant reads, from a query answering one BIGINT.
    pub async fn scalar(&self, sql: &str) -> anyhow::Result<i64> {
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [self.tenant.0.into()],
            ))
            .await?
            .context("no row")?;
        Ok(row.try_get_by_index(0)?)
    }

    /// Stops the service, closes the pools and drops the scratch database.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let stopped = match (self.app.take(), self.runtime.as_ref()) {
            (Some(app), Some(runtime)) => runtime.spawn(app.stop()).await?,
            _ => Ok(()),
        };
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
        let closed = self.db.clone().close().await;
        let dropped = drop_database(&self.admin_url, &self.db_name).await;
        stopped?;
        closed?;
        dropped
    }
}

impl Drop for MembershipFixture {
    fn drop(&mut self) {
        // Dropping a runtime from async code panics; this is the safe way out when `stop`
        // was not called.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn enroll_one(
    mut client: MemberServiceClient<Channel>,
    token: String,
) -> anyhow::Result<SeededMember> {
    let member = client
        .enroll_member(bearer(pb::EnrollMemberRequest::default(), &token)?)
        .await
        .context("EnrollMember")?
        .into_inner()
        .member
        .context("EnrollMember answered no member")?;
    Ok(SeededMember {
        member_id: member.member_id,
        token,
    })
}
