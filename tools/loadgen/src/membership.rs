//! The membership service in-process, for the `ledger-*` and `coupon-*` scenarios: a scratch
//! Postgres database `loadgen_membership_<uuid>` migrated with `siyu-membership-migration`,
//! `siyu_membership::Application` on a runtime of its own (scheduled like a separate process),
//! its default memory:// bus with the outbox relay running, and a static JWKS whose key mints
//! the tokens. [`MembershipFixture::stop`] stops the service and drops the database.

use anyhow::Context as _;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use siyu_auth::SigningKey;
use siyu_core::{PrincipalKind, TenantId};
use siyu_membership::settings::Settings;
use siyu_membership::{Application, Overrides};
use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::member_service_client::MemberServiceClient;
use tokio::task::JoinSet;
use tonic::transport::{Channel, Endpoint};
use uuid::Uuid;

use crate::hosted::Hosted;
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
    /// The service, its runtime and its scratch database (loadgen's pool: `hosted.db`).
    pub hosted: Hosted<Application>,
    key: SigningKey,
}

impl MembershipFixture {
    /// Creates and migrates the scratch database and starts the service on it; on failure
    /// whatever was created is removed again.
    pub async fn start(config: &ServiceConfig) -> anyhow::Result<Self> {
        let key = SigningKey::ed25519_from_seed("loadgen", &[42u8; 32])?;
        let jwks = SigningKey::jwks([&key]);
        let pool = config.pool_size;
        let hosted = Hosted::start::<siyu_membership_migration::Migrator, _, _>(
            config,
            "membership",
            move |url| async move {
                let settings = crate::in_process_settings!(Settings, url, pool);
                let overrides = Overrides {
                    jwks: Some(jwks),
                    ..Overrides::default()
                };
                Application::build_with(settings, overrides).await
            },
        )
        .await?;
        let target = hosted.target()?;
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
            hosted,
            key,
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
            .hosted
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
    pub async fn stop(self) -> anyhow::Result<()> {
        self.hosted.stop().await
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
