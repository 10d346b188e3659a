//! Identity's plain-HTTP listener (on `settings.server.admin_addr`): the JWKS document other
//! services' `siyu_auth::JwksVerifier::from_settings` fetch, plus liveness.
//!
//! The shared `siyu_telemetry::AdminServer` owns its router and cannot take extra routes, so
//! identity serves this small router on the admin address instead (metrics stay on gRPC-side
//! counters until AdminServer grows an extension point).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::tokens::key_ring::KeyRing;

/// The path of the JWKS document.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// A running HTTP listener.
#[derive(Debug)]
pub struct HttpServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl HttpServer {
    /// Binds `addr` (port 0 picks a free port) and serves until `stop` turns true.
    pub async fn start(
        addr: SocketAddr,
        keys: Arc<KeyRing>,
        mut stop: watch::Receiver<bool>,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let router = Router::new()
            .route(JWKS_PATH, get(jwks))
            .route("/healthz", get(|| async { "ok" }))
            .with_state(keys);
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            if let Err(err) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %err, "identity http listener failed");
            }
        });
        Ok(Self { addr, task })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits for the listener to finish after the stop signal.
    pub async fn join(self) {
        let _ = self.task.await;
    }
}

/// The published keys (PENDING, ACTIVE, RETIRING) as an RFC 7517 key set. Verifiers cache it
/// for five minutes; a PENDING key is published ≥ 10 minutes before it signs.
async fn jwks(State(keys): State<Arc<KeyRing>>) -> impl IntoResponse {
    let body = serde_json::json!({ "keys": keys.public_jwks() });
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body.to_string(),
    )
}
