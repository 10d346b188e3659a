//! `wechat-login-gateway`: consumer WeChat logins through the gateway's REST route
//! `POST /api/v1/auth/wechat-login` (with an `Idempotency-Key`, as the mini-program sends one
//! for retry safety), with `wx.login()` codes minted in bulk from the sandbox's control API
//! during setup: a pool per worker, every `--returning-every`-th code for an openid the worker
//! already used (a returning user), the rest for new openids. Reference `pg-insert`: a login
//! is one write transaction (user + identity + session + refresh token + audit append) behind
//! one WeChat call, so its cost is a durable commit's, not a hop's.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, bail, ensure};
use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::catalog::{DATABASE_URL, POOL_SIZE};
use crate::options::{OptionSpec, ScenarioOptions};
use crate::platform::{PlatformFixture, PlatformOptions, REDIS_URL, SUITE_THREADS};
use crate::scenario::{Invariant, Outcome, Scenario, ScenarioSpec, SetupContext, Worker};

/// Registry entry.
pub const SPEC: ScenarioSpec = ScenarioSpec {
    name: "wechat-login-gateway",
    description: "POST /api/v1/auth/wechat-login through the in-process gateway, codes pre-minted in the sandbox",
    reference: Some("pg-insert"),
    options: &[
        DATABASE_URL,
        POOL_SIZE,
        REDIS_URL,
        SUITE_THREADS,
        OptionSpec {
            name: "codes",
            help: "login codes minted per worker in setup (a worker that runs out errors)",
            default: Some("400"),
        },
        OptionSpec {
            name: "returning-every",
            help: "every Nth code logs in an openid the worker already used (0 = never)",
            default: Some("5"),
        },
    ],
    build,
};

/// `(openid, code)` pairs of one worker, used from the back.
type CodePool = Vec<(String, String)>;

struct WeChatLogin {
    options: PlatformOptions,
    codes: usize,
    returning_every: usize,
    fixture: Option<PlatformFixture>,
    pools: Mutex<Vec<Option<CodePool>>>,
    state: Option<Arc<Shared>>,
}

struct Shared {
    http: reqwest::Client,
    url: String,
    app_id: String,
    /// Openids whose login succeeded, and how many replies said `isNewUser`.
    seen: Mutex<(HashSet<String>, u64)>,
}

struct LoginWorker {
    shared: Arc<Shared>,
    pool: CodePool,
}

fn build(options: &ScenarioOptions) -> anyhow::Result<Box<dyn Scenario>> {
    let codes = options.parse_or("codes", 400usize)?;
    ensure!(codes >= 1, "--codes must be at least 1");
    Ok(Box::new(WeChatLogin {
        options: PlatformOptions::parse(options)?,
        codes,
        returning_every: options.parse_or("returning-every", 5usize)?,
        fixture: None,
        pools: Mutex::new(Vec::new()),
        state: None,
    }))
}

/// The openids of worker `w`'s pool, in use order.
fn openids(w: usize, codes: usize, returning_every: usize) -> Vec<String> {
    let mut fresh = 0usize;
    (0..codes)
        .map(|n| {
            let returning = returning_every > 0 && n > 0 && n % returning_every == 0;
            if !returning {
                fresh += 1;
            }
            // A returning code reuses the newest fresh openid, minted (and used) before it.
            format!("lg-login-{w}-{}", fresh.saturating_sub(1))
        })
        .collect()
}

#[async_trait]
impl Scenario for WeChatLogin {
    async fn setup(&mut self, ctx: &SetupContext) -> anyhow::Result<()> {
        let fixture = self
            .fixture
            .insert(PlatformFixture::start(&self.options, ctx.concurrency).await?);
        let http = reqwest::Client::builder().tcp_nodelay(true).build()?;
        fixture.gateway_ready(&http).await?;
        let mut minting = tokio::task::JoinSet::new();
        for w in 0..ctx.concurrency {
            let (sandbox, app) = (fixture.sandbox.clone(), fixture.app_id.clone());
            let ids = openids(w, self.codes, self.returning_every);
            minting.spawn(async move {
                let mut pool = Vec::with_capacity(ids.len());
                for openid in ids {
                    let code = sandbox.login_code(&app, &openid).await?;
                    pool.push((openid, code));
                }
                pool.reverse();
                Ok::<_, anyhow::Error>((w, pool))
            });
        }
        let mut pools = vec![None; ctx.concurrency];
        while let Some(joined) = minting.join_next().await {
            let (w, pool) = joined??;
            if let Some(slot) = pools.get_mut(w) {
                *slot = Some(pool);
            }
        }
        *self.pools.lock().map_err(|_| anyhow::anyhow!("poisoned"))? = pools;
        self.state = Some(Arc::new(Shared {
            http,
            url: format!("{}/api/v1/auth/wechat-login", fixture.gateway_url),
            app_id: fixture.app_id.clone(),
            seen: Mutex::new((HashSet::new(), 0)),
        }));
        Ok(())
    }

    async fn worker(&self, index: usize) -> anyhow::Result<Box<dyn Worker>> {
        let Some(shared) = &self.state else {
            bail!("setup did not run")
        };
        let pool = self
            .pools
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .get_mut(index)
            .and_then(Option::take)
            .with_context(|| format!("no code pool for worker {index}"))?;
        Ok(Box::new(LoginWorker {
            shared: Arc::clone(shared),
            pool,
        }))
    }

    async fn check(&self, outcome: &Outcome) -> anyhow::Result<Invariant> {
        let (Some(fixture), Some(shared)) = (&self.fixture, &self.state) else {
            bail!("setup did not run")
        };
        let row = fixture
            .identity_db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT COUNT(*)::BIGINT AS n FROM identity_users WHERE tenant_id = $1",
                [fixture.tenant_id.clone().into()],
            ))
            .await?
            .context("no result")?;
        let users: i64 = row.try_get("", "n")?;
        let (distinct, new_flags) = {
            let seen = shared
                .seen
                .lock()
                .map_err(|_| anyhow::anyhow!("poisoned"))?;
            (seen.0.len() as u64, seen.1)
        };
        let holds = outcome.errors_total == 0
            && u64::try_from(users).ok() == Some(distinct)
            && new_flags == distinct;
        Ok(Invariant::expect(
            holds,
            format!(
                "users in DB {users} = distinct openids logged in {distinct} = replies with \
                 isNewUser {new_flags}; logins {} ({} returning); errors {}",
                outcome.ok_total,
                outcome.ok_total.saturating_sub(distinct),
                outcome.errors_total
            ),
        ))
    }

    async fn teardown(&mut self) -> anyhow::Result<()> {
        self.state = None;
        match self.fixture.take() {
            Some(fixture) => fixture.stop().await,
            None => Ok(()),
        }
    }
}

#[async_trait]
impl Worker for LoginWorker {
    async fn op(&mut self) -> anyhow::Result<()> {
        let (openid, code) = self
            .pool
            .pop()
            .context("code pool exhausted: raise --codes")?;
        let shared = &self.shared;
        let response = shared
            .http
            .post(&shared.url)
            .header("idempotency-key", Uuid::now_v7().to_string())
            .json(&json!({"appId": shared.app_id, "code": code}))
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        ensure!(status == reqwest::StatusCode::OK, "status {status}: {body}");
        ensure!(
            body["tokens"]["accessToken"]
                .as_str()
                .is_some_and(|t| !t.is_empty()),
            "no access token in {body}"
        );
        let new_user = body["isNewUser"].as_bool().unwrap_or(false);
        let mut seen = shared
            .seen
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?;
        seen.0.insert(openid);
        seen.1 += u64::from(new_user);
        Ok(())
    }
}
