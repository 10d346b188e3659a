//! The catalog service in-process, for the `catalog-*` scenarios: a scratch Postgres database
//! `loadgen_catalog_<uuid>` migrated with `siyu-catalog-migration`, `siyu_catalog::Application`
//! on a runtime of its own (scheduled like a separate process, as `grpc-echo`'s server is),
//! memory:// cache and bus, a static JWKS whose key mints the tokens, one warehouse and N
//! sellable SKUs. [`CatalogFixture::stop`] stops the service and drops the database.

use anyhow::Context as _;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use siyu_auth::SigningKey;
use siyu_catalog::settings::Settings;
use siyu_catalog::{Application, Overrides};
use siyu_core::{PrincipalKind, TenantId};
use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::inventory_service_client::InventoryServiceClient;
use tonic::transport::{Channel, Endpoint};
use uuid::Uuid;

use crate::hosted::Hosted;
use crate::tokens::{bearer, mint};

pub use crate::service::{DATABASE_URL, POOL_SIZE, SERVER_THREADS, ServiceConfig, ServiceOptions};

/// Lines per ReceiveStock call (the service accepts up to 500).
const RECEIVE_CHUNK: usize = 500;

/// A running in-process catalog with a seeded tenant.
pub struct CatalogFixture {
    /// The tenant every token acts in.
    pub tenant: TenantId,
    /// The tenant's HQ org unit, where the admin token's role and the warehouse sit.
    pub root: Uuid,
    /// A service token (orders' saga calls ReserveStock with one).
    pub service_token: String,
    /// A tenant-admin staff token, for seeding.
    pub admin_token: String,
    /// One HTTP/2 connection to the service.
    pub channel: Channel,
    /// The service, its runtime and its scratch database (loadgen's pool: `hosted.db`).
    pub hosted: Hosted<Application>,
}

impl CatalogFixture {
    /// Creates and migrates the scratch database and starts the service on it; on failure
    /// whatever was created is removed again.
    pub async fn start(config: &ServiceConfig) -> anyhow::Result<Self> {
        let key = SigningKey::ed25519_from_seed("loadgen", &[42u8; 32])?;
        let jwks = SigningKey::jwks([&key]);
        let pool = config.pool_size;
        let hosted = Hosted::start::<siyu_catalog_migration::Migrator, _, _>(
            config,
            "catalog",
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
        let fixture = Self {
            tenant,
            root,
            service_token: mint(&key, tenant, PrincipalKind::Service, None)?,
            admin_token: mint(&key, tenant, PrincipalKind::Staff, Some(root))?,
            // Connects on the first call (seeding), before anything is measured.
            channel: Endpoint::from_shared(target)?
                .tcp_nodelay(true)
                .connect_lazy(),
            hosted,
        };
        Ok(fixture)
    }

    /// A client on the shared connection.
    pub fn client(&self) -> InventoryServiceClient<Channel> {
        InventoryServiceClient::new(self.channel.clone())
    }

    /// Creates an ACTIVE warehouse through CreateLocation; returns its id.
    pub async fn warehouse(&self) -> anyhow::Result<Uuid> {
        let location = pb::Location {
            kind: pb::LocationKind::Warehouse as i32,
            name: "loadgen warehouse".to_owned(),
            org_path: self.root.to_string(),
            ..Default::default()
        };
        let request = pb::CreateLocationRequest {
            location: Some(location),
        };
        let response = self
            .client()
            .create_location(bearer(request, &self.admin_token)?)
            .await
            .context("CreateLocation")?;
        let id = response
            .into_inner()
            .location
            .context("CreateLocation returned no location")?
            .location_id;
        Uuid::parse_str(&id).context("location id")
    }

    /// Inserts `n` sellable SKUs of the tenant by SQL (CatalogService is not implemented yet:
    /// this is how the catalog's own tests seed them) and returns their ids.
    pub async fn skus(&self, n: usize) -> anyhow::Result<Vec<Uuid>> {
        let ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
        for chunk in ids.chunks(RECEIVE_CHUNK) {
            let (mut products, mut skus, mut values) = (Vec::new(), Vec::new(), Vec::new());
            values.push(Value::Uuid(Some(self.tenant.0)));
            for (i, sku) in chunk.iter().enumerate() {
                let (p, s) = (2 * i + 2, 2 * i + 3);
                products.push(format!("($1, ${p}, 'loadgen product', 2, 0)"));
                skus.push(format!("($1, ${s}, ${p}, 'loadgen sku', TRUE, 0)"));
                values.push(Value::Uuid(Some(Uuid::now_v7())));
                values.push(Value::Uuid(Some(*sku)));
            }
            let sql = format!(
                "WITH p AS (INSERT INTO cat_products (tenant, id, title, status, created_at_ms) \
                 VALUES {}) INSERT INTO cat_skus (tenant, id, product_id, title, enabled, \
                 created_at_ms) VALUES {}",
                products.join(", "),
                skus.join(", ")
            );
            self.hosted
                .db
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    sql,
                    values,
                ))
                .await
                .context("seeding SKUs")?;
        }
        Ok(ids)
    }

    /// Receives `quantity` of every SKU at `location` through ReceiveStock.
    pub async fn receive(
        &self,
        location: Uuid,
        skus: &[Uuid],
        quantity: i32,
    ) -> anyhow::Result<()> {
        for chunk in skus.chunks(RECEIVE_CHUNK) {
            let request = pb::ReceiveStockRequest {
                location_id: location.to_string(),
                lines: chunk
                    .iter()
                    .map(|s| pb::SkuQuantity {
                        sku_id: s.to_string(),
                        quantity,
                    })
                    .collect(),
                ..Default::default()
            };
            self.client()
                .receive_stock(bearer(request, &self.admin_token)?)
                .await
                .context("ReceiveStock")?;
        }
        Ok(())
    }

    /// `(sku, on_hand, reserved)` of every stock row at `location`.
    pub async fn stock(&self, location: Uuid) -> anyhow::Result<Vec<(Uuid, i64, i64)>> {
        let sql = "SELECT sku_id, on_hand::BIGINT, reserved::BIGINT FROM inv_stock \
                   WHERE tenant = $1 AND location_id = $2";
        let rows = self
            .hosted
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [self.tenant.0.into(), location.into()],
            ))
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get_by_index(0)?,
                    r.try_get_by_index(1)?,
                    r.try_get_by_index(2)?,
                ))
            })
            .collect()
    }

    /// Stops the service, closes the pools and drops the scratch database.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.hosted.stop().await
    }
}
