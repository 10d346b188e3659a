//! `checkout-gateway`: the purchase a mini-program makes, end to end through the gateway — a
//! quote, then a checkout with the payable seen (`POST /api/v1/checkout/quote` and
//! `POST /api/v1/checkout` with a fresh Idempotency-Key): orders prices through catalog and
//! membership, reserves the stock (catalog), holds 100 points (membership), creates the order
//! and prepays it with WeChat Pay against the sandbox, answering signed `wx.requestPayment`
//! parameters. One member per worker, each with points for every order; a seeded catalog with
//! stock enough for the run. Reference `pgbench-tpcb`.
//!
//! Checks: every checkout answered REQUEST_PAYMENT with a new order, and catalog's reserved
//! units equal the orders made (one unit each) — no reservation lost or taken twice.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, bail, ensure};
use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use wechat_sandbox::pay::control::RegisterMerchant;

use crate::catalog::{DATABASE_URL, POOL_SIZE};
use crate::options::{OptionSpec, ScenarioOptions};
use crate::platform::{PlatformFixture, PlatformOptions, REDIS_URL, SUITE_THREADS};
use crate::scenario::{Invariant, Outcome, Scenario, ScenarioSpec, SetupContext, Worker};

/// Registry entry.
pub const SPEC: ScenarioSpec = ScenarioSpec {
    name: "checkout-gateway",
    description: "quote + checkout through the gateway: reserve, hold points, order, WeChat prepay (sandbox)",
    reference: Some("pgbench-tpcb"),
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

/// Units of every SKU in stock (more than a run sells).
const UNITS: i32 = 1_000_000;
/// Points each order holds (1 CNY at the default rate).
const POINTS_PER_ORDER: i64 = 100;

struct CheckoutGateway {
    options: PlatformOptions,
    products: usize,
    fixture: Option<PlatformFixture>,
    state: Option<Arc<State>>,
}

struct State {
    http: reqwest::Client,
    gateway: String,
    /// The quote input of each seeded SKU.
    input: Vec<Value>,
    /// One member's access token per worker.
    tokens: Vec<String>,
    next: AtomicUsize,
    orders: Mutex<HashSet<String>>,
    verified: AtomicU64,
}

struct CheckoutWorker {
    state: Arc<State>,
    token: String,
}

fn build(options: &ScenarioOptions) -> anyhow::Result<Box<dyn Scenario>> {
    let products = options.parse_or("products", 50usize)?;
    ensure!(products >= 1, "--products must be at least 1");
    Ok(Box::new(CheckoutGateway {
        options: PlatformOptions::parse(options)?,
        products,
        fixture: None,
        state: None,
    }))
}

/// A POST through the gateway with a fresh Idempotency-Key; the JSON body of a 200.
pub(crate) async fn post(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> anyhow::Result<Value> {
    let response = http
        .post(url)
        .bearer_auth(token)
        .header("idempotency-key", uuid::Uuid::now_v7().simple().to_string())
        .json(body)
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    ensure!(
        status == reqwest::StatusCode::OK,
        "{url}: status {status}: {body}"
    );
    Ok(body)
}

/// The sandbox merchant of the tenant's mini-program, configured in identity by the admin.
async fn wechat_pay(fixture: &PlatformFixture, http: &reqwest::Client) -> anyhow::Result<()> {
    let merchant = fixture
        .sandbox
        .register_merchant(&RegisterMerchant {
            appids: vec![fixture.app_id.clone()],
            ..RegisterMerchant::default()
        })
        .await?;
    let platform = fixture.sandbox.enable_pay_public_key().await?;
    let config = json!({"config": {
        "mchId": merchant.mchid, "appId": fixture.app_id,
        "merchantSerialNo": merchant.serial_no, "apiV3Key": merchant.apiv3_key,
        "privateKeyPem": merchant.private_key_pem.unwrap_or_default(),
        "wechatpayPublicKeyId": platform.public_key_id,
        "wechatpayPublicKeyPem": platform.public_key_pem,
    }});
    let url = format!("{}/admin/v1/wechat-pay", fixture.gateway_url);
    post(http, &url, &fixture.admin_token, &config).await?;
    Ok(())
}

/// The storefront orders are placed in.
async fn store(fixture: &PlatformFixture, http: &reqwest::Client) -> anyhow::Result<String> {
    let unit = json!({
        "parentId": fixture.root, "type": "ORG_UNIT_TYPE_STORE", "name": "loadgen store",
        "code": "LG01",
        "store": {"address": {"city": "上海", "detail": "南京西路1号"},
                  "geo": {"latitude": 31.23, "longitude": 121.47}, "pickupEnabled": true}
    });
    let url = format!("{}/admin/v1/org-units", fixture.gateway_url);
    let created = post(http, &url, &fixture.admin_token, &unit).await?;
    created["orgUnit"]["orgUnitId"]
        .as_str()
        .map(str::to_owned)
        .context("CreateOrgUnit answered no id")
}

/// A member with points for `orders` checkouts; answers their access token.
async fn member(
    fixture: &PlatformFixture,
    http: &reqwest::Client,
    openid: &str,
    orders: i64,
) -> anyhow::Result<String> {
    let token = fixture.consumer_login(openid).await?.access_token;
    let gw = &fixture.gateway_url;
    let enrolled = post(http, &format!("{gw}/api/v1/me/member"), &token, &json!({})).await?;
    let member = enrolled["member"]["memberId"]
        .as_str()
        .context("EnrollMember answered no member")?;
    let gift = json!({"points": (POINTS_PER_ORDER * orders).to_string(), "reason": "loadgen",
                      "idempotencyKey": format!("lg-{openid}")});
    let url = format!("{gw}/admin/v1/members/{member}/adjustments");
    post(http, &url, &fixture.admin_token, &gift).await?;
    Ok(token)
}

/// A shop ready to sell: the suite started, `products` seeded with stock, WeChat Pay
/// configured, a store, and one member with points per worker.
pub(crate) struct Shop {
    pub http: reqwest::Client,
    pub store: String,
    pub skus: Vec<String>,
    pub tokens: Vec<String>,
}

impl Shop {
    /// Sets the shop up in `fixture` for `workers` buyers.
    pub(crate) async fn open(
        fixture: &PlatformFixture,
        products: usize,
        workers: usize,
    ) -> anyhow::Result<Self> {
        let seeded = fixture.seed_catalog(products, UNITS).await?;
        let http = reqwest::Client::builder().tcp_nodelay(true).build()?;
        fixture.gateway_ready(&http).await?;
        wechat_pay(fixture, &http).await?;
        let store = store(fixture, &http).await?;
        let mut tokens = Vec::with_capacity(workers);
        for i in 0..workers {
            tokens.push(member(fixture, &http, &format!("lg-buyer-{i}"), 90_000).await?);
        }
        Ok(Self {
            http,
            store,
            skus: seeded.skus,
            tokens,
        })
    }

    /// The quote input of one unit of `sku` delivered from the shop, paying 100 points.
    pub(crate) fn input(&self, sku: &str) -> Value {
        json!({
            "lines": {"lines": [{"skuId": sku, "quantity": 1}]},
            "channel": "CHANNEL_MINI_PROGRAM",
            "pointsToUse": POINTS_PER_ORDER.to_string(),
            "fulfilment": {"mode": "FULFILMENT_MODE_DELIVERY", "storeId": self.store,
                "address": {"province": "上海市", "city": "上海市", "detail": "南京西路1号",
                            "contactName": "王小明", "contactPhone": "13800138000"}}
        })
    }
}

#[async_trait]
impl Scenario for CheckoutGateway {
    async fn setup(&mut self, ctx: &SetupContext) -> anyhow::Result<()> {
        let fixture = self
            .fixture
            .insert(PlatformFixture::start(&self.options, ctx.concurrency).await?);
        let shop = Shop::open(fixture, self.products, ctx.concurrency).await?;
        self.state = Some(Arc::new(State {
            http: shop.http.clone(),
            gateway: fixture.gateway_url.clone(),
            input: shop.skus.iter().map(|s| shop.input(s)).collect(),
            tokens: shop.tokens,
            next: AtomicUsize::new(0),
            orders: Mutex::new(HashSet::new()),
            verified: AtomicU64::new(0),
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
        Ok(Box::new(CheckoutWorker {
            token: token.clone(),
            state: Arc::clone(state),
        }))
    }

    async fn check(&self, outcome: &Outcome) -> anyhow::Result<Invariant> {
        let (Some(state), Some(fixture)) = (&self.state, &self.fixture) else {
            bail!("setup did not run")
        };
        let verified = state.verified.load(Ordering::Relaxed);
        let orders = state.orders.lock().map(|o| o.len()).unwrap_or(0) as u64;
        let row = fixture
            .catalog_db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT COALESCE(SUM(reserved), 0)::BIGINT FROM inv_stock",
            ))
            .await?
            .context("sum returned no row")?;
        let reserved: i64 = row.try_get_by_index(0)?;
        let reserved = u64::try_from(reserved).unwrap_or(0);
        Ok(Invariant::expect(
            verified == outcome.ok_total && orders == verified && reserved == orders,
            format!(
                "REQUEST_PAYMENT answers {verified} = ok ops {}; distinct orders {orders}; \
                 reserved units {reserved} = orders; errors {}",
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
impl Worker for CheckoutWorker {
    async fn op(&mut self) -> anyhow::Result<()> {
        let state = &self.state;
        let n = state.next.fetch_add(1, Ordering::Relaxed) % state.input.len();
        let Some(input) = state.input.get(n) else {
            bail!("sku index out of range")
        };
        let gw = &state.gateway;
        let quote = post(
            &state.http,
            &format!("{gw}/api/v1/checkout/quote"),
            &self.token,
            &json!({ "input": input }),
        )
        .await?;
        let payable = quote["quote"]["amounts"]["payable"].clone();
        let placed = post(
            &state.http,
            &format!("{gw}/api/v1/checkout"),
            &self.token,
            &json!({"input": input, "expectedPayable": payable}),
        )
        .await?;
        ensure!(
            placed["nextAction"] == "CHECKOUT_NEXT_ACTION_REQUEST_PAYMENT"
                && placed["wechatPayParams"]["paySign"].is_string(),
            "checkout did not answer payment parameters: {placed}"
        );
        let order = placed["order"]["orderId"]
            .as_str()
            .context("checkout answered no order")?
            .to_owned();
        let fresh = state
            .orders
            .lock()
            .map(|mut o| o.insert(order))
            .unwrap_or(false);
        ensure!(fresh, "an order id was answered twice");
        state.verified.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
