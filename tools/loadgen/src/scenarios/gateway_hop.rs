//! `gateway-hop`: one REST GET through the gateway that is one cheap gRPC call upstream —
//! `GET /.well-known/jwks.json` (public; TokenService.GetJwks on identity, which reads its key
//! ring from memory) — against the whole suite in-process. Compared with `grpc-echo`: the
//! quality bar is "gateway overhead ≤ 2× the bare hop", i.e. a ratio ≥ 0.5.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, bail, ensure};
use async_trait::async_trait;
use serde_json::Value;

use crate::catalog::{DATABASE_URL, POOL_SIZE};
use crate::platform::{PlatformFixture, PlatformOptions, REDIS_URL, SUITE_THREADS};
use crate::scenario::{Invariant, Outcome, Scenario, ScenarioSpec, SetupContext, Worker};

/// Registry entry.
pub const SPEC: ScenarioSpec = ScenarioSpec {
    name: "gateway-hop",
    description: "GET /.well-known/jwks.json through the in-process gateway (one GetJwks gRPC call to identity)",
    reference: Some("grpc-echo"),
    options: &[DATABASE_URL, POOL_SIZE, REDIS_URL, SUITE_THREADS],
    build,
};

const PATH: &str = "/.well-known/jwks.json";

struct GatewayHop {
    options: PlatformOptions,
    fixture: Option<PlatformFixture>,
    state: Option<Arc<State>>,
}

struct State {
    http: reqwest::Client,
    url: String,
    /// The key ids identity publishes, read once in setup.
    kids: Vec<String>,
    /// The whole document read in setup; every reply must be byte for byte this one (compared
    /// as bytes so that the client does not parse JSON the echo reference never parses).
    document: bytes::Bytes,
    verified: AtomicU64,
}

struct HopWorker {
    state: Arc<State>,
}

fn build(options: &crate::options::ScenarioOptions) -> anyhow::Result<Box<dyn Scenario>> {
    Ok(Box::new(GatewayHop {
        options: PlatformOptions::parse(options)?,
        fixture: None,
        state: None,
    }))
}

/// The `kid`s of a JWKS document, in order.
fn kids(body: &Value) -> anyhow::Result<Vec<String>> {
    let keys = body["keys"].as_array().context("no keys array")?;
    keys.iter()
        .map(|k| {
            k["kid"]
                .as_str()
                .map(str::to_owned)
                .context("key without kid")
        })
        .collect()
}

#[async_trait]
impl Scenario for GatewayHop {
    async fn setup(&mut self, ctx: &SetupContext) -> anyhow::Result<()> {
        let fixture = self
            .fixture
            .insert(PlatformFixture::start(&self.options, ctx.concurrency).await?);
        let http = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(ctx.concurrency.max(1))
            .build()?;
        fixture.gateway_ready(&http).await?;
        let url = format!("{}{PATH}", fixture.gateway_url);
        let document = http
            .get(&url)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        let body: Value = serde_json::from_slice(&document)?;
        let kids = kids(&body)?;
        ensure!(!kids.is_empty(), "identity publishes no signing key");
        self.state = Some(Arc::new(State {
            http,
            url,
            kids,
            document,
            verified: AtomicU64::new(0),
        }));
        Ok(())
    }

    async fn worker(&self, _index: usize) -> anyhow::Result<Box<dyn Worker>> {
        let Some(state) = &self.state else {
            bail!("setup did not run")
        };
        Ok(Box::new(HopWorker {
            state: Arc::clone(state),
        }))
    }

    async fn check(&self, outcome: &Outcome) -> anyhow::Result<Invariant> {
        let Some(state) = &self.state else {
            bail!("setup did not run")
        };
        let verified = state.verified.load(Ordering::Relaxed);
        Ok(Invariant::expect(
            verified == outcome.ok_total && outcome.errors_total == 0,
            format!(
                "200 with identity's {} key(s) {verified} = ok ops {}; errors {} \
                 (upstream GetJwks calls: not observable from outside the gateway)",
                state.kids.len(),
                outcome.ok_total,
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
impl Worker for HopWorker {
    async fn op(&mut self) -> anyhow::Result<()> {
        let response = self.state.http.get(&self.state.url).send().await?;
        let status = response.status();
        ensure!(status == reqwest::StatusCode::OK, "status {status}");
        let body = response.bytes().await?;
        ensure!(
            body == self.state.document,
            "unexpected key set {}",
            String::from_utf8_lossy(&body)
        );
        self.state.verified.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
