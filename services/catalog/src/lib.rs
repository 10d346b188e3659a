//! Siyu catalog and inventory service.
//!
//! [`Application::build`] connects the database and the bus, builds the token verifier and the
//! guests' app resolver (identity), spawns the outbox relay, the reservation expiry job and the
//! orders-event consumer, and serves gRPC on `settings.server.grpc_addr` (port 0 in tests).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use secrecy::ExposeSecret;
use siyu_auth::{JwksVerifier, VerifierSettings};
use siyu_core::Clock;
use siyu_proto::catalog::v1::assortment_service_server::AssortmentServiceServer;
use siyu_proto::catalog::v1::catalog_service_server::CatalogServiceServer;
use siyu_proto::catalog::v1::inventory_service_server::InventoryServiceServer;
use siyu_proto::catalog::v1::price_service_server::PriceServiceServer;
use siyu_proto::catalog::v1::storefront_service_server::StorefrontServiceServer;
use siyu_server::{GrpcServer, GuestTenants, IdentityGuests, Mutations, ServingHandle};
use siyu_store::{Bus, BusConfig, DbOptions, Lease, OutboxRelay};
use siyu_telemetry::{AdminServer, Metrics, Readiness};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub mod app;
mod error;
pub mod events;
pub mod grpc;
pub mod repo;
pub mod settings;

pub use error::AppError;
use settings::Settings;

/// What tests (or embedded mode) may replace.
#[derive(Default)]
pub struct Overrides {
    /// The clock (default: the system clock).
    pub clock: Option<Arc<dyn Clock>>,
    /// A static JWKS instead of fetching `auth.jwks_url`.
    pub jwks: Option<serde_json::Value>,
    /// How guests' app ids resolve to tenants (default: identity at `identity.url`).
    pub guests: Option<Arc<dyn GuestTenants>>,
}

impl std::fmt::Debug for Overrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overrides")
            .field("clock", &self.clock)
            .field("jwks", &self.jwks.is_some())
            .field("guests", &self.guests.is_some())
            .finish()
    }
}

/// Who resolves guests' app ids: the override, else identity when its URL is set (a lazy
/// channel: identity may start after catalog, calls only need it once a guest arrives).
fn guests(
    settings: &Settings,
    given: Option<Arc<dyn GuestTenants>>,
) -> anyhow::Result<Option<Arc<dyn GuestTenants>>> {
    if given.is_some() || settings.identity.url.is_empty() {
        return Ok(given);
    }
    let channel = tonic::transport::Channel::from_shared(settings.identity.url.clone())
        .context("identity.url")?
        .connect_lazy();
    Ok(Some(Arc::new(IdentityGuests::new(channel))))
}

/// A running catalog service.
pub struct Application {
    serving: ServingHandle,
    admin: AdminServer,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("grpc_addr", &self.serving.addr())
            .finish()
    }
}

/// Applies the catalog migrations to the configured database.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = siyu_store::db::connect(settings.database.url.expose_secret(), &DbOptions::default())
        .await?;
    siyu_store::db::migrate::<siyu_catalog_migration::Migrator>(&db).await?;
    Ok(())
}

impl Application {
    /// Builds and starts the service with the system clock and identity's JWKS.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, Overrides::default()).await
    }

    /// Builds and starts the service with `overrides`.
    pub async fn build_with(settings: Settings, overrides: Overrides) -> anyhow::Result<Self> {
        let clock = overrides.clock.unwrap_or_else(siyu_core::clock::system);
        let url = settings.database.url.expose_secret();
        let backend = siyu_store::Backend::from_url(url)?;
        let options = DbOptions {
            max_connections: match backend {
                siyu_store::Backend::Postgres => Some(settings.database.max_connections),
                siyu_store::Backend::Sqlite => None,
            },
            min_connections: settings.database.min_connections,
            connect_timeout: Duration::from_secs(settings.database.connect_timeout_secs),
            ..DbOptions::default()
        };
        let db = siyu_store::db::connect(url, &options)
            .await
            .context("database")?;
        let bus = Bus::connect(
            settings.bus.url.expose_secret(),
            BusConfig::new(&settings.bus.subject_prefix, &settings.bus.stream),
        )
        .await
        .context("bus")?;

        let vs = VerifierSettings {
            jwks_url: Some(settings.auth.jwks_url.clone()),
            leeway_secs: settings.auth.leeway_secs,
            ..VerifierSettings::new(settings.auth.issuer.clone(), settings.auth.audience.clone())
        };
        let verifier = Arc::new(match &overrides.jwks {
            Some(jwks) => JwksVerifier::from_static_jwks(vs, jwks, clock.clone())?,
            None => JwksVerifier::from_settings(vs, clock.clone())?,
        });
        let metrics = Metrics::new("catalog")?;

        let mut app = app::App::new(db.clone(), clock.clone());
        if backend == siyu_store::Backend::Sqlite && !url.contains(":memory:") {
            // SQLite: writes stay on the single connection above (BEGIN IMMEDIATE serialises
            // them, so stock reservations keep their no-oversell guarantee); storefront reads
            // get their own pool of WAL readers, sized by `database.max_connections`.
            let reads = siyu_store::db::connect(
                url,
                &DbOptions {
                    max_connections: Some(settings.database.max_connections.max(1)),
                    ..options.clone()
                },
            )
            .await
            .context("database readers")?;
            app = app.with_reads(reads);
        }
        // The storefront read model of products written before it existed.
        let txn = siyu_store::db::begin_write(&db).await?;
        let filled = app::storefront::read_model::backfill(&txn, clock.now().timestamp_millis())
            .await
            .context("storefront backfill")?;
        txn.commit().await?;
        if filled > 0 {
            tracing::info!(filled, "storefront read model backfilled");
        }
        let relay = OutboxRelay::new(db.clone(), bus.clone(), clock.clone());
        let handlers = grpc::Handlers {
            app: app.clone(),
            mutations: Mutations::new(db.clone(), clock.clone()).with_outbox(relay.waker()),
        };
        let guests = guests(&settings, overrides.guests)?;

        let (stop, stop_rx) = watch::channel(false);
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };
        let mut tasks = Vec::new();
        if settings.catalog.run_jobs {
            tasks.push(tokio::spawn(relay.run(stopped())));
            let owner = format!("catalog-{}", siyu_core::id::new_string());
            let lease = Lease::new(
                db.clone(),
                clock.clone(),
                "catalog.reservation_expiry",
                &owner,
                Duration::from_secs(120),
            );
            let every = Duration::from_secs(settings.catalog.reservation_expiry_interval_secs);
            tasks.push(tokio::spawn(app.clone().run_expiry(
                lease,
                every,
                stopped(),
            )));
            tasks.push(tokio::spawn(events::consume::run(
                app.clone(),
                bus.clone(),
                stopped(),
            )));
        }

        let listener = tokio::net::TcpListener::bind(settings.server.grpc_addr)
            .await
            .context("grpc listener")?;
        let mut server = GrpcServer::new(verifier, metrics.clone());
        if let Some(guests) = guests {
            server = server.guests(guests);
        }
        let serving = server
            .add_service(InventoryServiceServer::new(handlers.clone()))
            .add_service(CatalogServiceServer::new(handlers.clone()))
            .add_service(PriceServiceServer::new(handlers.clone()))
            .add_service(AssortmentServiceServer::new(handlers.clone()))
            .add_service(StorefrontServiceServer::new(handlers))
            .spawn(listener)
            .await?;
        serving.set_ready(true).await;
        let readiness = Readiness::default();
        readiness.set_ready(true);
        let admin = AdminServer::start(settings.server.admin_addr, metrics, readiness).await?;
        Ok(Self {
            serving,
            admin,
            stop,
            tasks,
        })
    }

    /// Where gRPC listens.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.serving.addr()
    }

    /// Serves until `shutdown` resolves, then stops gracefully.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        shutdown.await;
        self.stop().await
    }

    /// Stops background jobs, drains in-flight calls and stops the admin server.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.serving.stop().await?;
        for t in self.tasks {
            let _ = t.await;
        }
        self.admin.shutdown().await;
        Ok(())
    }
}
