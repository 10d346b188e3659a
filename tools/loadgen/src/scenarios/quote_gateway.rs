//! `quote-gateway`: the price a mini-program shows before checkout, through the gateway
//! (`POST /api/v1/checkout/quote`): orders reads the member and tier (membership), prices the SKU
//! for the store and tier (catalog), reads the ledger policy for the 100 points asked for
//! (membership) and the tenant's shipping rules, and runs the pricing function. The same shop as
//! `checkout-gateway`. Reference `grpc-echo` (one gRPC round trip, the floor of any RPC).
//!
//! Checks: every SKU was quoted one payable whatever the worker (the function is pure), and no
//! stock was reserved (a quote takes nothing).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, bail, ensure};
use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use super::checkout_gateway::{Shop, post};
use crate::catalog::{DATABASE_URL, POOL_SIZE};
use crate::options::{OptionSpec, ScenarioOptions};
use crate::platform::{PlatformFixture, PlatformOptions, REDIS_URL, SUITE_THREADS};
use crate::scenario::{Invariant, Outcome, Scenario, ScenarioSpec, SetupContext, Worker};

/// Registry entry.
pub const SPEC: ScenarioSpec = ScenarioSpec {
    name: "quote-gateway",
    description: "a checkout quote through the gateway: member, prices, ledger policy, pricing",
    reference: Some("grpc-echo"),
    options: &[
        DATABASE_URL,
        POOL_SIZE,
        REDIS_URL,
        SUITE_THREADS,
        OptionSpec {
            name: "products",
            help: "published products seeded through CatalogService (two SKUs each)",
            default: Some("50"),
        },
    ],
    build,
};

struct QuoteGateway {
    options: PlatformOptions,
    products: usize,
    fixture: Option<PlatformFixture>,
    state: Option<Arc<State>>,
}

struct State {
    http: reqwest::Client,
    url: String,
    /// The quote input of each seeded SKU.
    input: Vec<Value>,
    tokens: Vec<String>,
    next: AtomicUsize,
    /// The first payable quoted per SKU index.
    first: Mutex<HashMap<usize, String>>,
    /// Quotes answered.
    quoted: AtomicU64,
    /// Quotes whose payable differed from the SKU's first.
    differing: AtomicU64,
}

struct QuoteWorker {
    state: Arc<State>,
    token: String,
}

fn build(options: &ScenarioOptions) -> anyhow::Result<Box<dyn Scenario>> {
    let products = options.parse_or("products", 50usize)?;
    ensure!(products >= 1, "--products must be at least 1");
    Ok(Box::new(QuoteGateway {
        options: PlatformOptions::parse(options)?,
        products,
        fixture: None,
        state: None,
    }))
}

#[async_trait]
impl Scenario for QuoteGateway {
    async fn setup(&mut self, ctx: &SetupContext) -> anyhow::Result<()> {
        let fixture = self
            .fixture
            .insert(PlatformFixture::start(&self.options, ctx.concurrency).await?);
        let shop = Shop::open(fixture, self.products, ctx.concurrency).await?;
        self.state = Some(Arc::new(State {
            http: shop.http.clone(),
            url: format!("{}/api/v1/checkout/quote", fixture.gateway_url),
            input: shop.skus.iter().map(|s| shop.input(s)).collect(),
            tokens: shop.tokens,
            next: AtomicUsize::new(0),
            first: Mutex::new(HashMap::new()),
            quoted: AtomicU64::new(0),
            differing: AtomicU64::new(0),
        }));
        Ok(())
    }

    async fn worker(&self, index: usize) -> anyhow::Result<Box<dyn Worker>> {
        let Some(state) = &self.state else {
            bail!("setup did not run")
        };
        let Some(token) = state.tokens.get(index) else {
            bail!("no member token for worker {index}")
        };
        Ok(Box::new(QuoteWorker {
            token: token.clone(),
            state: Arc::clone(state),
        }))
    }

    async fn check(&self, outcome: &Outcome) -> anyhow::Result<Invariant> {
        let (Some(state), Some(fixture)) = (&self.state, &self.fixture) else {
            bail!("setup did not run")
        };
        let quoted = state.quoted.load(Ordering::Relaxed);
        let differing = state.differing.load(Ordering::Relaxed);
        let row = fixture
            .catalog_db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT COALESCE(SUM(reserved), 0)::BIGINT FROM inv_stock",
            ))
            .await?
            .context("sum returned no row")?;
        let reserved: i64 = row.try_get_by_index(0)?;
        Ok(Invariant::expect(
            differing == 0 && reserved == 0 && quoted == outcome.ok_total,
            format!(
                "quotes {quoted} = ok ops {}; quotes differing from their SKU's first \
                 {differing} = 0; reserved units {reserved} = 0; errors {}",
                outcome.ok_total, outcome.errors_total
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
impl Worker for QuoteWorker {
    async fn op(&mut self) -> anyhow::Result<()> {
        let state = &self.state;
        let n = state.next.fetch_add(1, Ordering::Relaxed) % state.input.len();
        let Some(input) = state.input.get(n) else {
            bail!("sku index out of range")
        };
        let quote = post(
            &state.http,
            &state.url,
            &self.token,
            &json!({ "input": input }),
        )
        .await?;
        let payable = quote["quote"]["amounts"]["payable"]["minorUnits"]
            .as_str()
            .context("quote answered no payable")?
            .to_owned();
        let same = state
            .first
            .lock()
            .map(|mut f| *f.entry(n).or_insert_with(|| payable.clone()) == payable)
            .unwrap_or(false);
        if !same {
            state.differing.fetch_add(1, Ordering::Relaxed);
        }
        state.quoted.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
