//! `catalog-reserve`: ReserveStock over gRPC against the in-process catalog — a 3-line order
//! on distinct SKUs at one warehouse with a fresh order id per op; SKUs are taken round-robin
//! so concurrent orders rarely touch the same row. The checkout's stock step, reported against
//! `pg-insert` (each reservation is one transaction of several durable rows).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, bail, ensure};
use async_trait::async_trait;
use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::inventory_service_client::InventoryServiceClient;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::Channel;
use uuid::Uuid;

use crate::catalog::{CatalogFixture, DATABASE_URL, POOL_SIZE, SERVER_THREADS, ServiceOptions};
use crate::options::{OptionSpec, ScenarioOptions};
use crate::scenario::{Invariant, Outcome, Scenario, ScenarioSpec, SetupContext, Worker};

/// Registry entry.
pub const SPEC: ScenarioSpec = ScenarioSpec {
    name: "catalog-reserve",
    description: "ReserveStock over gRPC, 3 lines on distinct SKUs at a fixed location (in-process catalog)",
    reference: Some("pg-insert"),
    options: &[
        DATABASE_URL,
        POOL_SIZE,
        SERVER_THREADS,
        OptionSpec {
            name: "skus",
            help: "SKUs seeded and reserved round-robin (at least 3)",
            default: Some("1000"),
        },
        OptionSpec {
            name: "sku-stock",
            help: "on hand per SKU (lines reserve 1-3 each)",
            default: Some("100000"),
        },
    ],
    build,
};

/// Lines per order.
const LINES: usize = 3;
/// The service's own per-receipt limit on a quantity.
const MAX_STOCK: i32 = 1_000_000;

struct CatalogReserve {
    service: ServiceOptions,
    skus: usize,
    sku_stock: i32,
    state: Option<Arc<State>>,
    fixture: Option<CatalogFixture>,
}

/// Seeded ids and what the clients were told they reserved, per SKU.
struct State {
    location: Uuid,
    skus: Vec<Uuid>,
    reserved: Vec<AtomicU64>,
    next: AtomicU64,
    token: AsciiMetadataValue,
}

struct ReserveWorker {
    client: InventoryServiceClient<Channel>,
    state: Arc<State>,
}

fn build(options: &ScenarioOptions) -> anyhow::Result<Box<dyn Scenario>> {
    let skus = options.parse_or("skus", 1000usize)?;
    ensure!(
        (LINES..=1_000_000).contains(&skus),
        "--skus must be within {LINES}..=1000000"
    );
    let sku_stock = options.parse_or("sku-stock", 100_000i32)?;
    ensure!(
        (1..=MAX_STOCK).contains(&sku_stock),
        "--sku-stock must be within 1..={MAX_STOCK}"
    );
    Ok(Box::new(CatalogReserve {
        service: ServiceOptions::parse(options)?,
        skus,
        sku_stock,
        state: None,
        fixture: None,
    }))
}

#[async_trait]
impl Scenario for CatalogReserve {
    async fn setup(&mut self, ctx: &SetupContext) -> anyhow::Result<()> {
        let config = self.service.config(ctx.concurrency)?;
        let fixture = self.fixture.insert(CatalogFixture::start(&config).await?);
        let location = fixture.warehouse().await?;
        let skus = fixture.skus(self.skus).await?;
        fixture.receive(location, &skus, self.sku_stock).await?;
        let token = MetadataValue::try_from(format!("Bearer {}", fixture.service_token))?;
        self.state = Some(Arc::new(State {
            location,
            reserved: skus.iter().map(|_| AtomicU64::new(0)).collect(),
            skus,
            next: AtomicU64::new(0),
            token,
        }));
        Ok(())
    }

    async fn worker(&self, _index: usize) -> anyhow::Result<Box<dyn Worker>> {
        let (Some(fixture), Some(state)) = (&self.fixture, &self.state) else {
            bail!("setup did not run")
        };
        Ok(Box::new(ReserveWorker {
            client: fixture.client(),
            state: Arc::clone(state),
        }))
    }

    async fn check(&self, _outcome: &Outcome) -> anyhow::Result<Invariant> {
        let (Some(fixture), Some(state)) = (&self.fixture, &self.state) else {
            bail!("setup did not run")
        };
        let rows = fixture.stock(state.location).await?;
        let (mut mismatched, mut negative, mut total) = (0usize, 0usize, 0u64);
        for (i, sku) in state.skus.iter().enumerate() {
            let expected = state
                .reserved
                .get(i)
                .map_or(0, |r| r.load(Ordering::Relaxed));
            total += expected;
            let row = rows.iter().find(|(s, _, _)| s == sku);
            let (on_hand, reserved) = row.map_or((0, 0), |(_, o, r)| (*o, *r));
            if u64::try_from(reserved).ok() != Some(expected) {
                mismatched += 1;
            }
            if on_hand - reserved < 0 {
                negative += 1;
            }
        }
        let db_total: i64 = rows.iter().map(|(_, _, r)| r).sum();
        Ok(Invariant::expect(
            mismatched == 0 && negative == 0 && rows.len() == state.skus.len(),
            format!(
                "reserved in DB {db_total} = sum of ok reservations {total} \
                 ({mismatched} of {} SKUs differ); available < 0 at {negative}",
                state.skus.len()
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
impl Worker for ReserveWorker {
    async fn op(&mut self) -> anyhow::Result<()> {
        let state = &self.state;
        let n = state.skus.len();
        let c = usize::try_from(state.next.fetch_add(1, Ordering::Relaxed))?;
        // Consecutive orders take consecutive SKU triples: lines collide only when more than
        // skus/3 orders are in flight.
        let picked: Vec<(usize, u64)> = (0..LINES)
            .map(|k| ((c * LINES + k) % n, 1 + ((c + k) % 3) as u64))
            .collect();
        let mut lines = Vec::with_capacity(LINES);
        for (i, q) in &picked {
            let sku = state.skus.get(*i).context("sku index")?;
            lines.push(pb::ReservationLine {
                sku_id: sku.to_string(),
                quantity: i32::try_from(*q)?,
                location_id: String::new(),
            });
        }
        let mut request = tonic::Request::new(pb::ReserveStockRequest {
            order_id: Uuid::now_v7().to_string(),
            lines,
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
        let reservation = self
            .client
            .reserve_stock(request)
            .await?
            .into_inner()
            .reservation
            .context("no reservation in the response")?;
        ensure!(
            reservation.status == pb::ReservationStatus::Held as i32
                && reservation.lines.len() == LINES,
            "reservation is {:?} with {} lines",
            reservation.status,
            reservation.lines.len()
        );
        for (i, q) in picked {
            if let Some(r) = state.reserved.get(i) {
                r.fetch_add(q, Ordering::Relaxed);
            }
        }
        Ok(())
    }
}
