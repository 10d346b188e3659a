//! Siyu orders service: carts, quotes, the checkout saga, orders and their payments
//! (`siyu.orders.v1` and `siyu.payments.v1` in one deployable and one database, so that a payment
//! and its order change in one transaction).
//!
//! [`Application::build`] connects the database and the bus, builds the token verifier, spawns
//! the outbox relay and serves gRPC on `settings.server.grpc_addr` (port 0 in tests).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use secrecy::ExposeSecret;
use siyu_auth::{JwksVerifier, VerifierSettings};
use siyu_core::Clock;
use siyu_proto::orders::v1::after_sale_service_server::AfterSaleServiceServer;
use siyu_proto::orders::v1::cart_service_server::CartServiceServer;
use siyu_proto::orders::v1::checkout_service_server::CheckoutServiceServer;
use siyu_proto::orders::v1::order_service_server::OrderServiceServer;
use siyu_proto::orders::v1::order_settings_service_server::OrderSettingsServiceServer;
use siyu_proto::payments::v1::payment_service_server::PaymentServiceServer;
use siyu_proto::payments::v1::reconciliation_service_server::ReconciliationServiceServer;
use siyu_proto::payments::v1::refund_service_server::RefundServiceServer;
use siyu_proto::payments::v1::wechat_pay_notify_service_server::WechatPayNotifyServiceServer;
use siyu_server::{GrpcServer, Mutations, ServingHandle};
use siyu_store::{Bus, BusConfig, DbOptions, OutboxRelay};
use siyu_telemetry::{AdminServer, Metrics, Readiness};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub mod app;
mod error;
pub mod events;
pub mod grpc;
pub mod peers;
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
    /// Where WeChat Pay merchant credentials and payer openids come from (default: identity).
    pub pay_directory: Option<Arc<dyn app::payments::merchant::PayDirectory>>,
}

impl std::fmt::Debug for Overrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overrides")
            .field("clock", &self.clock)
            .field("jwks", &self.jwks.is_some())
            .field("pay_directory", &self.pay_directory)
            .finish()
    }
}

/// A running orders service.
pub struct Application {
    app: app::App,
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

/// Applies the orders migrations to the configured database.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = siyu_store::db::connect(settings.database.url.expose_secret(), &DbOptions::default())
        .await?;
    siyu_store::db::migrate::<siyu_orders_migration::Migrator>(&db).await?;
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
        let metrics = Metrics::new("orders")?;

        let peers = Arc::new(peers::Peers::new(&settings.peers, clock.clone()).context("peers")?);
        let pay_directory = match overrides.pay_directory {
            Some(directory) => directory,
            None => Arc::new(app::payments::merchant::IdentityDirectory::new(
                peers.clone(),
            )),
        };
        let merchants = Arc::new(app::payments::merchant::Merchants::new(
            pay_directory,
            settings.wechatpay.clone(),
            clock.clone(),
        ));
        let stale_ms =
            i64::try_from(settings.orders.stale_checkout_secs.max(1) * 1000).unwrap_or(i64::MAX);
        let limits = siyu_store::Cache::connect(
            settings.cache.url.expose_secret(),
            &settings.cache.key_prefix,
            clock.clone(),
        )
        .await
        .context("cache")?;
        let app = app::App::new(db.clone(), clock.clone(), peers)
            .with_merchants(merchants)
            .with_stale_checkout_ms(stale_ms)
            .with_limits(limits);
        let relay = OutboxRelay::new(db.clone(), bus.clone(), clock.clone());
        let handlers = grpc::Handlers {
            app,
            mutations: Mutations::new(db.clone(), clock.clone()).with_outbox(relay.waker()),
        };

        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        if settings.orders.run_jobs {
            let mut rx = stop_rx.clone();
            let stopped = async move {
                let _ = rx.wait_for(|s| *s).await;
            };
            tasks.push(tokio::spawn(relay.run(stopped)));
            // Checkout recovery, the unpaid timeout and follow-up tasks: a leased pass.
            let mut rx = stop_rx.clone();
            let stopped = async move {
                let _ = rx.wait_for(|s| *s).await;
            };
            let lease = siyu_store::Lease::new(
                db.clone(),
                clock.clone(),
                "orders.jobs",
                &format!("orders-{}", siyu_core::id::new_string()),
                Duration::from_secs(300),
            );
            let every = Duration::from_secs(settings.orders.jobs_interval_secs.max(1));
            tasks.push(tokio::spawn(
                handlers.app.clone().run_jobs(lease, every, stopped),
            ));
            // Identity's merges and erasures, catalog's expired reservations: durable consumers.
            let mut rx = stop_rx.clone();
            let stopped = async move {
                let _ = rx.wait_for(|s| *s).await;
            };
            tasks.push(tokio::spawn(events::consume::run(
                handlers.app.clone(),
                bus.clone(),
                stopped,
            )));
        }

        let listener = tokio::net::TcpListener::bind(settings.server.grpc_addr)
            .await
            .context("grpc listener")?;
        let serving = GrpcServer::new(verifier, metrics.clone())
            .add_service(CartServiceServer::new(handlers.clone()))
            .add_service(CheckoutServiceServer::new(handlers.clone()))
            .add_service(OrderServiceServer::new(handlers.clone()))
            .add_service(OrderSettingsServiceServer::new(handlers.clone()))
            .add_service(PaymentServiceServer::new(handlers.clone()))
            .add_service(WechatPayNotifyServiceServer::new(handlers.clone()))
            .add_service(AfterSaleServiceServer::new(handlers.clone()))
            .add_service(RefundServiceServer::new(handlers.clone()))
            .add_service(ReconciliationServiceServer::new(handlers.clone()))
            .spawn(listener)
            .await?;
        serving.set_ready(true).await;
        let readiness = Readiness::default();
        readiness.set_ready(true);
        let admin = AdminServer::start(settings.server.admin_addr, metrics, readiness).await?;
        Ok(Self {
            app: handlers.app.clone(),
            serving,
            admin,
            stop,
            tasks,
        })
    }

    /// The service's application layer (tests and embedded mode drive its jobs directly).
    pub fn app(&self) -> &app::App {
        &self.app
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
