//! `catalog-reserve-hot`: every worker reserves quantity 1 of ONE SKU with stock S at one
//! warehouse (fresh order id per op) — the flash-sale contention on a single row. A refusal
//! with INSUFFICIENT_STOCK is a completed attempt like a success; only transport and other
//! failures are errors. The check is the no-oversell one: exactly min(S, attempts) sold.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, bail, ensure};
use async_trait::async_trait;
use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::inventory_service_client::InventoryServiceClient;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::Channel;
use tonic_types::StatusExt as _;
use uuid::Uuid;

use crate::catalog::{CatalogFixture, DATABASE_URL, POOL_SIZE, SERVER_THREADS, ServiceOptions};
use crate::options::{OptionSpec, ScenarioOptions};
use crate::scenario::{Invariant, Outcome, Scenario, ScenarioSpec, SetupContext, Worker};

/// Registry entry.
pub const SPEC: ScenarioSpec = ScenarioSpec {
    name: "catalog-reserve-hot",
    description: "ReserveStock of 1 unit of ONE hot SKU (in-process catalog): attempts/s, exact sold count",
    reference: Some("pg-insert"),
    options: &[
        DATABASE_URL,
        POOL_SIZE,
        SERVER_THREADS,
        OptionSpec {
            name: "stock",
            help: "units of the hot SKU on hand",
            default: Some("1000"),
        },
    ],
    build,
};

/// The service's own per-receipt limit on a quantity.
const MAX_STOCK: i32 = 1_000_000;

struct CatalogReserveHot {
    service: ServiceOptions,
    stock: i32,
    state: Option<Arc<State>>,
    fixture: Option<CatalogFixture>,
}

struct State {
    location: Uuid,
    sku: Uuid,
    sold: AtomicU64,
    refused: AtomicU64,
    token: AsciiMetadataValue,
}

struct HotWorker {
    client: InventoryServiceClient<Channel>,
    state: Arc<State>,
}

fn build(options: &ScenarioOptions) -> anyhow::Result<Box<dyn Scenario>> {
    let stock = options.parse_or("stock", 1000i32)?;
    ensure!(
        (1..=MAX_STOCK).contains(&stock),
        "--stock must be within 1..={MAX_STOCK}"
    );
    Ok(Box::new(CatalogReserveHot {
        service: ServiceOptions::parse(options)?,
        stock,
        state: None,
        fixture: None,
    }))
}

#[async_trait]
impl Scenario for CatalogReserveHot {
    async fn setup(&mut self, ctx: &SetupContext) -> anyhow::Result<()> {
        let config = self.service.config(ctx.concurrency)?;
        let fixture = self.fixture.insert(CatalogFixture::start(&config).await?);
        let location = fixture.warehouse().await?;
        let skus = fixture.skus(1).await?;
        let sku = *skus.first().context("no SKU seeded")?;
        fixture.receive(location, &skus, self.stock).await?;
        let token = MetadataValue::try_from(format!("Bearer {}", fixture.service_token))?;
        self.state = Some(Arc::new(State {
            location,
            sku,
            sold: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            token,
        }));
        Ok(())
    }

    async fn worker(&self, _index: usize) -> anyhow::Result<Box<dyn Worker>> {
        let (Some(fixture), Some(state)) = (&self.fixture, &self.state) else {
            bail!("setup did not run")
        };
        Ok(Box::new(HotWorker {
            client: fixture.client(),
            state: Arc::clone(state),
        }))
    }

    async fn check(&self, outcome: &Outcome) -> anyhow::Result<Invariant> {
        let (Some(fixture), Some(state)) = (&self.fixture, &self.state) else {
            bail!("setup did not run")
        };
        let rows = fixture.stock(state.location).await?;
        let Some((_, on_hand, reserved)) = rows.iter().find(|(s, _, _)| *s == state.sku) else {
            return Ok(Invariant::failed("no stock row for the hot SKU"));
        };
        let sold = state.sold.load(Ordering::Relaxed);
        let refused = state.refused.load(Ordering::Relaxed);
        let attempts = outcome.ok_total;
        let stock = u64::try_from(self.stock)?;
        let expected = stock.min(attempts);
        let holds = sold == expected
            && sold + refused == attempts
            && u64::try_from(*reserved).ok() == Some(sold)
            && *on_hand == i64::from(self.stock)
            && on_hand - reserved >= 0
            && outcome.errors_total == 0;
        Ok(Invariant::expect(
            holds,
            format!(
                "sold {sold} = min(stock {stock}, attempts {attempts}) = {expected}; \
                 refused {refused}; DB reserved {reserved}, on_hand {on_hand}, available {}; \
                 errors {}",
                on_hand - reserved,
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
impl Worker for HotWorker {
    async fn op(&mut self) -> anyhow::Result<()> {
        let state = &self.state;
        let mut request = tonic::Request::new(pb::ReserveStockRequest {
            order_id: Uuid::now_v7().to_string(),
            lines: vec![pb::ReservationLine {
                sku_id: state.sku.to_string(),
                quantity: 1,
                location_id: String::new(),
            }],
            allocation: Some(pb::AllocationPolicy {
                target: Some(pb::allocation_policy::Target::LocationId(
                    state.location.to_string(),
                )),
                ..Default::default()
            }),
            ttl_seconds: 0,
            revive: false,
        });
        request
            .metadata_mut()
            .insert("authorization", state.token.clone());
        match self.client.reserve_stock(request).await {
            Ok(response) => {
                let reservation = response
                    .into_inner()
                    .reservation
                    .context("no reservation in the response")?;
                ensure!(
                    reservation.status == pb::ReservationStatus::Held as i32,
                    "reservation is {:?}",
                    reservation.status
                );
                state.sold.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(status) if is_insufficient_stock(&status) => {
                state.refused.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(status) => Err(status.into()),
        }
    }
}

fn is_insufficient_stock(status: &tonic::Status) -> bool {
    status.code() == tonic::Code::FailedPrecondition
        && status
            .get_details_error_info()
            .is_some_and(|info| info.reason == "INSUFFICIENT_STOCK")
}
