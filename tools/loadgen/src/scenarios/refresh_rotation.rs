//! `refresh-rotation`: each worker owns one consumer session (logged in through the sandbox's
//! WeChat login during setup) and rotates its refresh token with TokenService.RefreshSession
//! over gRPC straight at identity, keeping the new token for its next op. One op = one
//! rotation = one write transaction (spend + insert + session touch). Reference `pg-insert`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, bail, ensure};
use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use siyu_proto::identity::v1 as pb;
use siyu_proto::identity::v1::token_service_client::TokenServiceClient;
use tonic::transport::Channel;

use crate::catalog::{DATABASE_URL, POOL_SIZE};
use crate::platform::{PlatformFixture, PlatformOptions, REDIS_URL, SUITE_THREADS};
use crate::scenario::{Invariant, Outcome, Scenario, ScenarioSpec, SetupContext, Worker};

/// Registry entry.
pub const SPEC: ScenarioSpec = ScenarioSpec {
    name: "refresh-rotation",
    description: "TokenService.RefreshSession over gRPC, one session per worker (in-process identity on Postgres)",
    reference: Some("pg-insert"),
    options: &[DATABASE_URL, POOL_SIZE, REDIS_URL, SUITE_THREADS],
    build,
};

struct RefreshRotation {
    options: PlatformOptions,
    fixture: Option<PlatformFixture>,
    /// Per worker: its refresh token, taken by `worker(i)`.
    tokens: Mutex<Vec<Option<String>>>,
    /// The workers' session ids (the tenant admin has a session too: it is not counted).
    sessions: Vec<String>,
    rotated: Arc<AtomicU64>,
}

struct RotationWorker {
    client: TokenServiceClient<Channel>,
    token: String,
    rotated: Arc<AtomicU64>,
}

fn build(options: &crate::options::ScenarioOptions) -> anyhow::Result<Box<dyn Scenario>> {
    Ok(Box::new(RefreshRotation {
        options: PlatformOptions::parse(options)?,
        fixture: None,
        tokens: Mutex::new(Vec::new()),
        sessions: Vec::new(),
        rotated: Arc::new(AtomicU64::new(0)),
    }))
}

#[async_trait]
impl Scenario for RefreshRotation {
    async fn setup(&mut self, ctx: &SetupContext) -> anyhow::Result<()> {
        let fixture = self
            .fixture
            .insert(PlatformFixture::start(&self.options, ctx.concurrency).await?);
        let mut tokens = Vec::with_capacity(ctx.concurrency);
        for i in 0..ctx.concurrency {
            let pair = fixture.consumer_login(&format!("lg-rotation-{i}")).await?;
            ensure!(
                !pair.refresh_token.is_empty(),
                "login answered no refresh token"
            );
            tokens.push(Some(pair.refresh_token));
            self.sessions.push(pair.session_id);
        }
        *self
            .tokens
            .lock()
            .map_err(|_| anyhow::anyhow!("token pool poisoned"))? = tokens;
        Ok(())
    }

    async fn worker(&self, index: usize) -> anyhow::Result<Box<dyn Worker>> {
        let Some(fixture) = &self.fixture else {
            bail!("setup did not run")
        };
        let token = self
            .tokens
            .lock()
            .map_err(|_| anyhow::anyhow!("token pool poisoned"))?
            .get_mut(index)
            .and_then(Option::take)
            .with_context(|| format!("no session for worker {index}"))?;
        Ok(Box::new(RotationWorker {
            client: TokenServiceClient::new(fixture.identity.clone()),
            token,
            rotated: Arc::clone(&self.rotated),
        }))
    }

    async fn check(&self, outcome: &Outcome) -> anyhow::Result<Invariant> {
        let Some(fixture) = &self.fixture else {
            bail!("setup did not run")
        };
        let placeholders: Vec<String> = (0..self.sessions.len())
            .map(|i| format!("${}", i + 2))
            .collect();
        let sql = format!(
            "SELECT COUNT(*)::BIGINT AS sessions, \
             COUNT(*) FILTER (WHERE live = 1)::BIGINT AS one_live, \
             COALESCE(SUM(spent), 0)::BIGINT AS spent \
             FROM (SELECT session_id, COUNT(*) FILTER (WHERE spent_at IS NULL) AS live, \
             COUNT(*) FILTER (WHERE spent_at IS NOT NULL) AS spent \
             FROM identity_refresh_tokens WHERE tenant_id = $1 AND session_id IN ({}) \
             GROUP BY session_id) t",
            placeholders.join(", ")
        );
        let mut values: Vec<sea_orm::Value> = vec![fixture.tenant_id.clone().into()];
        values.extend(self.sessions.iter().map(|s| s.clone().into()));
        let row = fixture
            .identity_db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                values,
            ))
            .await?
            .context("no result")?;
        let sessions: i64 = row.try_get("", "sessions")?;
        let one_live: i64 = row.try_get("", "one_live")?;
        let spent: i64 = row.try_get("", "spent")?;
        let rotated = self.rotated.load(Ordering::Relaxed);
        let expected_sessions = i64::try_from(self.sessions.len())?;
        let holds = outcome.errors_total == 0
            && rotated == outcome.ok_total
            && sessions == expected_sessions
            && one_live == sessions
            && u64::try_from(spent).ok() == Some(outcome.ok_total);
        Ok(Invariant::expect(
            holds,
            format!(
                "sessions {sessions} (expected {expected_sessions}), with exactly one live \
                 refresh token {one_live}; spent tokens {spent} = ok rotations {}; errors {}",
                outcome.ok_total, outcome.errors_total
            ),
        ))
    }

    async fn teardown(&mut self) -> anyhow::Result<()> {
        match self.fixture.take() {
            Some(fixture) => fixture.stop().await,
            None => Ok(()),
        }
    }
}

#[async_trait]
impl Worker for RotationWorker {
    async fn op(&mut self) -> anyhow::Result<()> {
        let request = pb::RefreshSessionRequest {
            refresh_token: self.token.clone(),
        };
        let pair = self
            .client
            .refresh_session(request)
            .await?
            .into_inner()
            .tokens
            .context("RefreshSession answered no tokens")?;
        ensure!(
            !pair.refresh_token.is_empty() && pair.refresh_token != self.token,
            "RefreshSession did not rotate the refresh token"
        );
        self.token = pair.refresh_token;
        self.rotated.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
