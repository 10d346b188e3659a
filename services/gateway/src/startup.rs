//! [`Application`]: builds the gateway from settings (listeners bound, tables compiled,
//! channels and cache ready) and runs both listeners until shutdown.

use std::future::Future;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use secrecy::ExposeSecret as _;
use siyu_auth::{JwksVerifier, VerifierSettings};
use siyu_core::Clock;
use siyu_store::Cache;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use crate::error::GatewayError;
use crate::guard::rate_lease::RateLeases;
use crate::routes::derived;
use crate::routes::table::RouteTable;
use crate::settings::Settings;
use crate::state::{AppState, Shared};
use crate::upstream::{ServiceTokens, Upstreams};

/// The longest pause between two attempts at the first JWKS fetch.
const MAX_JWKS_RETRY: Duration = Duration::from_secs(10);

/// A built gateway, listening but not yet serving.
#[derive(Debug)]
pub struct Application {
    http: TcpListener,
    grpc: TcpListener,
    state: AppState,
    jwks: JwksTask,
    grace: Duration,
}

/// Loads the JWKS (retrying until it succeeds), then keeps it fresh; aborted with the app.
#[derive(Debug)]
struct JwksTask(JoinHandle<()>);

impl Drop for JwksTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Application {
    /// Builds the gateway with the system clock.
    pub async fn build(settings: Settings) -> Result<Self, GatewayError> {
        Self::build_with_clock(settings, siyu_core::clock::system()).await
    }

    /// Builds the gateway with `clock` (token times, rate limits, cache expiry).
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, GatewayError> {
        let contract = siyu_proto::contract::Contract::global()
            .map_err(|err| GatewayError::RouteTable(err.to_string()))?;
        let routes = derived()?;
        let table = RouteTable::compile(contract.pool(), routes.rest.clone(), routes.grpc.clone())?;
        let upstreams = Upstreams::connect_lazy(&settings.upstreams)?;
        for name in table.upstreams() {
            if !upstreams.has(name) {
                tracing::warn!(upstream = name, "no URL configured; its routes answer 503");
            }
        }
        let auth = &settings.auth;
        let mut verifier_settings =
            VerifierSettings::new(auth.issuer.clone(), auth.audience.clone())
                .with_jwks_url(auth.jwks_url.clone());
        verifier_settings.leeway_secs = auth.leeway_secs;
        let verifier = Arc::new(JwksVerifier::from_settings(
            verifier_settings,
            Arc::clone(&clock),
        )?);
        let cache = Cache::connect(
            settings.cache.url.expose_secret(),
            &settings.cache.key_prefix,
            clock,
        )
        .await?;
        let openapi = serde_json::to_vec(&crate::openapi::document(&table))
            .map_err(|err| GatewayError::RouteTable(format!("OpenAPI rendering: {err}")))?;

        let http = TcpListener::bind(settings.http_addr).await?;
        let grpc = TcpListener::bind(settings.server.grpc_addr).await?;
        let jwks_loaded = Arc::new(AtomicBool::new(false));
        let jwks = JwksTask(tokio::spawn(load_jwks(
            Arc::clone(&verifier),
            Arc::clone(&jwks_loaded),
        )));
        let state = AppState::new(Shared {
            table: Arc::new(table),
            upstreams,
            verifier,
            cache,
            leases: RateLeases::default(),
            in_flight: Arc::new(Semaphore::new(settings.limits.max_concurrency)),
            limits: Arc::new(settings.limits.clone()),
            jwks_loaded,
            openapi: Bytes::from(openapi),
            service_tokens: ServiceTokens::new(&settings.service_token),
        });
        tracing::info!(
            http = %http.local_addr()?,
            grpc = %grpc.local_addr()?,
            routes = state.table.routes().len(),
            "gateway built"
        );
        Ok(Self {
            http,
            grpc,
            state,
            jwks,
            grace: settings.server.shutdown_grace(),
        })
    }

    /// The port of the REST listener.
    pub fn http_port(&self) -> u16 {
        self.http.local_addr().map_or(0, |a| a.port())
    }

    /// The port of the partner gRPC ingress.
    pub fn grpc_port(&self) -> u16 {
        self.grpc.local_addr().map_or(0, |a| a.port())
    }

    /// Serves until SIGTERM or Ctrl-C, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> Result<(), GatewayError> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` resolves, then drains for at most the shutdown grace period.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), GatewayError> {
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            stop.await;
            let _ = tx.send(true);
        });
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let limits = crate::http::ConnectionLimits::from(self.state.limits.as_ref());
        let http_stop = stopped(rx.clone());
        let (http_listener, router) = (self.http, crate::http::router(self.state.clone()));
        let http = async move {
            crate::http::serve(http_listener, router, limits, http_stop).await;
            Ok::<(), std::io::Error>(())
        };
        let (grpc_listener, ingress) = (self.grpc, crate::ingress::router(self.state.clone()));
        let grpc_stop = stopped(rx.clone());
        let grpc = async move {
            crate::ingress::serve(grpc_listener, ingress, grpc_stop).await;
            Ok::<(), std::io::Error>(())
        };
        let serve = async { tokio::try_join!(http, grpc) };
        tokio::pin!(serve);
        let grace = self.grace;
        let drained = async move {
            stopped(rx).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = &mut serve => { result?; }
            () = drained => tracing::warn!("shutdown grace elapsed with requests in flight"),
        }
        drop(self.jwks);
        Ok(())
    }
}

async fn load_jwks(verifier: Arc<JwksVerifier>, loaded: Arc<AtomicBool>) {
    let mut pause = Duration::from_millis(200);
    loop {
        match verifier.refresh().await {
            Ok(()) => break,
            Err(err) => {
                tracing::warn!(error = %err, "JWKS not loaded yet; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_JWKS_RETRY);
            }
        }
    }
    loaded.store(true, Ordering::SeqCst);
    tracing::info!("JWKS loaded");
    // The periodic refresh stops when this task is aborted (it owns the handle).
    let _refresh = verifier.spawn_refresh();
    std::future::pending::<()>().await;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested");
}
