//! The identity service: tenants and org, consumers (WeChat login), staff (password login with
//! lockout), partners, tokens and sessions (rotating Ed25519 key set, refresh-token families
//! with reuse detection), and the hash-chained security audit log.
//!
//! `Application::build(settings)` connects the database, cache and bus, opens the key ring,
//! spawns the outbox relay, key reloader and data export job runner, and serves gRPC on
//! `settings.server.grpc_addr`.

pub mod app;
pub mod crypto;
pub mod error;
pub mod events;
pub mod grpc;
pub mod http;
pub mod otp;
pub mod repo;
pub mod settings;
pub mod totp;
pub mod wechat;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use siyu_auth::VerifierSettings;
use siyu_core::Clock;
use siyu_store::{Bus, BusConfig, Cache, DbOptions, OutboxRelay};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use siyu_identity_migration::Migrator;

use crate::app::App;
use crate::app::tokens::key_ring::KeyRing;
use crate::crypto::{PasswordHashing, Sealer};
use crate::settings::Settings;
use crate::wechat::WeChatClient;

/// A running identity service.
pub struct Application {
    app: Arc<App>,
    serving: siyu_server::ServingHandle,
    http: http::HttpServer,
    stop_tx: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Application {
    /// Builds and starts the service (migrations are run by `siyu-identity migrate`, or by
    /// the caller beforehand).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, siyu_core::clock::system()).await
    }

    /// [`Application::build`] with a clock seam (tests use a `ManualClock`).
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let app = Arc::new(open_app(&settings, Arc::clone(&clock)).await?);
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = Vec::new();

        let bus = Bus::connect(
            settings.bus.url.expose_secret(),
            BusConfig::new(&settings.bus.subject_prefix, &settings.bus.stream),
        )
        .await?;
        let relay = OutboxRelay::new(app.db.clone(), bus, Arc::clone(&clock));
        let outbox = relay.waker();
        tasks.push(tokio::spawn(relay.run(stopped(stop_rx.clone()))));

        let reload_app = Arc::clone(&app);
        let period = Duration::from_secs(settings.tokens.key_reload_secs.max(1));
        tasks.push(every(period, stop_rx.clone(), move || {
            let app = Arc::clone(&reload_app);
            async move {
                if let Err(err) = app.keys.reload().await {
                    tracing::warn!(error = %err, "signing key reload failed");
                }
            }
        }));
        // Pairs kept for the refresh grace rest sealed for its 10 s only; any replica clears
        // expired ones (an idempotent UPDATE).
        let purge_app = Arc::clone(&app);
        let grace = app::tokens::refresh_grace::GRACE
            .to_std()
            .unwrap_or(Duration::from_secs(10));
        tasks.push(every(grace, stop_rx.clone(), move || {
            let app = Arc::clone(&purge_app);
            async move {
                if let Err(err) = app.forget_spent_successors().await {
                    tracing::warn!(error = %err, "forgetting refresh successors failed");
                }
            }
        }));

        // Data exports are built and purged by leased jobs, so any replica may run them.
        let runner = app::privacy::export_jobs::export_runner(&app);
        tasks.push(tokio::spawn(runner.run(stopped(stop_rx.clone()))));

        // Calls are admitted by their contract; tokens are verified against the live key ring
        // and guests' apps resolved in identity's own tables (see `grpc::access`).
        let metrics = siyu_telemetry::Metrics::new("identity")?;
        let api = grpc::Api::new(Arc::clone(&app), outbox);
        let server = siyu_server::GrpcServer::new(
            Arc::new(grpc::access::OwnTokens(Arc::clone(&app))),
            metrics,
        )
        .guests(Arc::new(grpc::access::OwnApps(Arc::clone(&app))));
        let server = grpc::add_services(server, &api);
        let listener = tokio::net::TcpListener::bind(settings.server.grpc_addr).await?;
        let serving = server.spawn(listener).await?;
        let http = http::HttpServer::start(
            settings.server.admin_addr,
            Arc::clone(&app.keys),
            stop_rx.clone(),
        )
        .await?;
        serving.set_ready(true).await;
        Ok(Self {
            app,
            serving,
            http,
            stop_tx,
            tasks,
        })
    }

    /// The address gRPC listens on.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.serving.addr()
    }

    /// The address of the HTTP listener serving `/.well-known/jwks.json`.
    pub fn http_addr(&self) -> SocketAddr {
        self.http.addr()
    }

    /// The URL other services' verifiers fetch identity's JWKS from.
    pub fn jwks_url(&self) -> String {
        format!("http://{}{}", self.http.addr(), http::JWKS_PATH)
    }

    /// The domain layer (tests and the bootstrap command use it directly).
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Serves until Ctrl-C / SIGTERM, then stops.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        siyu_server::shutdown::signal().await;
        self.stop().await
    }

    /// Stops serving (draining in-flight calls) and the background tasks.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop_tx.send(true);
        self.serving.stop().await?;
        self.http.join().await;
        for task in self.tasks {
            let _ = task.await;
        }
        Ok(())
    }
}

/// Connects everything the domain layer needs (no server).
pub async fn open_app(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<App> {
    let db = siyu_store::db::connect(
        settings.database.url.expose_secret(),
        &DbOptions {
            max_connections: Some(settings.database.max_connections),
            min_connections: settings.database.min_connections,
            connect_timeout: Duration::from_secs(settings.database.connect_timeout_secs),
            ..DbOptions::default()
        },
    )
    .await?;
    let sealer = Sealer::from_base64(settings.tokens.encryption_key.expose_secret())?;
    let mut verifier = VerifierSettings::new(&settings.tokens.issuer, &settings.tokens.audience);
    verifier.leeway_secs = settings.tokens.leeway_secs;
    let keys = KeyRing::open(
        db.clone(),
        sealer.clone(),
        Arc::clone(&clock),
        verifier,
        chrono::Duration::seconds(settings.tokens.access_ttl_secs),
    )
    .await?;
    let cache = Cache::connect(
        settings.cache.url.expose_secret(),
        &settings.cache.key_prefix,
        Arc::clone(&clock),
    )
    .await?;
    let wechat = WeChatClient::new(
        &settings.wechat.api_base_url,
        Duration::from_millis(settings.wechat.timeout_ms),
    )?;
    let hashing = PasswordHashing::new(
        settings.staff_auth.argon2_memory_kib,
        settings.staff_auth.argon2_iterations,
    )?;
    Ok(App {
        db,
        clock,
        keys: Arc::new(keys),
        sealer,
        settings: Arc::new(settings.clone()),
        cache,
        wechat,
        hashing,
        // No SMS provider is wired yet: OTPs are kept in memory (tests read them there).
        otp_sender: Arc::new(crate::otp::MemoryOtpSender::default()),
    })
}

/// Runs `tick` every `period` until the stop signal.
fn every<F, Fut>(period: Duration, mut stop: watch::Receiver<bool>, tick: F) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        loop {
            tokio::select! {
                _ = ticker.tick() => tick().await,
                _ = stop.changed() => break,
            }
        }
    })
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}
