//! Siyu content service: articles and banners with versions and scheduled publishing, page
//! slots per store, the consumer reads, and share links with scene codes, engagements and the
//! funnel (`siyu.content.v1`). Templates, subscriptions, notifications and campaigns are
//! registered and answer UNIMPLEMENTED.
//!
//! [`Application::build`] connects the database and the bus, builds the token verifier and the
//! guests' app resolver (identity), spawns the outbox relay, the scheduler and the orders-event
//! consumer, and serves gRPC on `settings.server.grpc_addr` (port 0 in tests).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use secrecy::ExposeSecret;
use siyu_auth::{JwksVerifier, VerifierSettings};
use siyu_core::Clock;
use siyu_proto::content::v1::campaign_service_server::CampaignServiceServer;
use siyu_proto::content::v1::content_service_server::ContentServiceServer;
use siyu_proto::content::v1::notification_service_server::NotificationServiceServer;
use siyu_proto::content::v1::share_service_server::ShareServiceServer;
use siyu_proto::content::v1::subscription_service_server::SubscriptionServiceServer;
use siyu_proto::content::v1::template_service_server::TemplateServiceServer;
use siyu_server::{GrpcServer, GuestTenants, IdentityGuests, Mutations, ServingHandle};
use siyu_store::{Bus, BusConfig, DbOptions, OutboxRelay};
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
/// channel: identity may start after content, calls only need it once a guest arrives).
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

/// A running content service.
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

/// Applies the content migrations to the configured database.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = siyu_store::db::connect(settings.database.url.expose_secret(), &DbOptions::default())
        .await?;
    siyu_store::db::migrate::<siyu_content_migration::Migrator>(&db).await?;
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
        let metrics = Metrics::new("content")?;
        let guests = guests(&settings, overrides.guests)?;

        let app = app::App::new(db.clone(), clock.clone());
        let relay = OutboxRelay::new(db.clone(), bus.clone(), clock.clone());
        let handlers = grpc::Handlers {
            app,
            mutations: Mutations::new(db.clone(), clock.clone()).with_outbox(relay.waker()),
            guests: guests.clone(),
        };

        let (stop, stop_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        if settings.content.run_jobs {
            let mut rx = stop_rx.clone();
            let stopped = async move {
                let _ = rx.wait_for(|s| *s).await;
            };
            tasks.push(tokio::spawn(relay.run(stopped)));
            // Scheduled publishing and expiry: a leased pass (each item's change is also
            // conditional on its row, so an overlapping pass publishes nothing twice).
            let mut rx = stop_rx.clone();
            let stopped = async move {
                let _ = rx.wait_for(|s| *s).await;
            };
            let lease = siyu_store::Lease::new(
                db.clone(),
                clock.clone(),
                "content.jobs",
                &format!("content-{}", siyu_core::id::new_string()),
                Duration::from_secs(300),
            );
            let every = Duration::from_secs(settings.content.jobs_interval_secs.max(1));
            tasks.push(tokio::spawn(
                handlers.app.clone().run_jobs(lease, every, stopped),
            ));
            // Orders' events for the funnel (attributed orders and refunds).
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
        let mut server = GrpcServer::new(verifier, metrics.clone());
        if let Some(guests) = guests {
            server = server.guests(guests);
        }
        let serving = server
            .add_service(ContentServiceServer::new(handlers.clone()))
            .add_service(ShareServiceServer::new(handlers.clone()))
            .add_service(TemplateServiceServer::new(handlers.clone()))
            .add_service(SubscriptionServiceServer::new(handlers.clone()))
            .add_service(NotificationServiceServer::new(handlers.clone()))
            .add_service(CampaignServiceServer::new(handlers.clone()))
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
