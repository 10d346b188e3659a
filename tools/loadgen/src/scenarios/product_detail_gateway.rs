//! `product-detail-gateway`: a consumer's `GET /api/v1/products/{id}` through the gateway
//! (StorefrontService.GetProductDetail on catalog: product, SKUs, prices, availability) with
//! a consumer token, round-robin over a catalog seeded through the RPCs (`--products`
//! published products, two SKUs each, stock at a warehouse). Reference `grpc-echo`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use anyhow::{bail, ensure};
use async_trait::async_trait;
use serde_json::Value;

use crate::catalog::{DATABASE_URL, POOL_SIZE};
use crate::options::{OptionSpec, ScenarioOptions};
use crate::platform::{PlatformFixture, PlatformOptions, REDIS_URL, SUITE_THREADS};
use crate::scenario::{Invariant, Outcome, Scenario, ScenarioSpec, SetupContext, Worker};

/// Registry entry.
pub const SPEC: ScenarioSpec = ScenarioSpec {
    name: "product-detail-gateway",
    description: "GET /api/v1/products/{id} through the in-process gateway with a consumer token (seeded catalog)",
    reference: Some("grpc-echo"),
    options: &[
        DATABASE_URL,
        POOL_SIZE,
        REDIS_URL,
        SUITE_THREADS,
        OptionSpec {
            name: "products",
            help: "published products seeded through CatalogService (two SKUs each, stocked)",
            default: Some("300"),
        },
    ],
    build,
};

struct ProductDetail {
    options: PlatformOptions,
    products: usize,
    fixture: Option<PlatformFixture>,
    state: Option<Arc<State>>,
}

struct State {
    http: reqwest::Client,
    base: String,
    products: Vec<String>,
    /// One consumer access token per worker.
    tokens: Vec<String>,
    next: AtomicUsize,
    verified: AtomicU64,
}

struct DetailWorker {
    state: Arc<State>,
    token: String,
}

fn build(options: &ScenarioOptions) -> anyhow::Result<Box<dyn Scenario>> {
    let products = options.parse_or("products", 300usize)?;
    ensure!(products >= 1, "--products must be at least 1");
    Ok(Box::new(ProductDetail {
        options: PlatformOptions::parse(options)?,
        products,
        fixture: None,
        state: None,
    }))
}

#[async_trait]
impl Scenario for ProductDetail {
    async fn setup(&mut self, ctx: &SetupContext) -> anyhow::Result<()> {
        let fixture = self
            .fixture
            .insert(PlatformFixture::start(&self.options, ctx.concurrency).await?);
        let seeded = fixture.seed_catalog(self.products, 1_000).await?;
        let mut tokens = Vec::with_capacity(ctx.concurrency);
        for i in 0..ctx.concurrency {
            tokens.push(
                fixture
                    .consumer_login(&format!("lg-shopper-{i}"))
                    .await?
                    .access_token,
            );
        }
        let http = reqwest::Client::builder().tcp_nodelay(true).build()?;
        fixture.gateway_ready(&http).await?;
        self.state = Some(Arc::new(State {
            http,
            base: format!("{}/api/v1/products/", fixture.gateway_url),
            products: seeded.products,
            tokens,
            next: AtomicUsize::new(0),
            verified: AtomicU64::new(0),
        }));
        Ok(())
    }

    async fn worker(&self, index: usize) -> anyhow::Result<Box<dyn Worker>> {
        let Some(state) = &self.state else {
            bail!("setup did not run")
        };
        let Some(token) = state.tokens.get(index) else {
            bail!("no consumer token for worker {index}")
        };
        Ok(Box::new(DetailWorker {
            token: token.clone(),
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
                "200 with the requested product id {verified} = ok ops {} over {} products; \
                 errors {}",
                outcome.ok_total,
                state.products.len(),
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
impl Worker for DetailWorker {
    async fn op(&mut self) -> anyhow::Result<()> {
        let state = &self.state;
        let n = state.next.fetch_add(1, Ordering::Relaxed) % state.products.len();
        let Some(id) = state.products.get(n) else {
            bail!("product index out of range")
        };
        let response = state
            .http
            .get(format!("{}{id}", state.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        ensure!(status == reqwest::StatusCode::OK, "status {status}: {body}");
        let got = body["product"]["productId"].as_str().unwrap_or_default();
        ensure!(got == id, "asked for product {id}, got {got:?}");
        ensure!(
            body["skus"].as_array().is_some_and(|s| !s.is_empty()),
            "product {id} without SKUs"
        );
        state.verified.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
