//! What every request handler shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use siyu_auth::JwksVerifier;
use siyu_store::Cache;
use tokio::sync::Semaphore;

use crate::routes::table::RouteTable;
use crate::settings::LimitSettings;
use crate::upstream::Upstreams;

/// Shared by the REST listener and the gRPC ingress; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Routes compiled against the descriptors.
    pub table: Arc<RouteTable>,
    /// Channels to the services.
    pub upstreams: Upstreams,
    /// Token verification.
    pub verifier: Arc<JwksVerifier>,
    /// Rate limits and idempotent replies.
    pub cache: Cache,
    /// Edge limits.
    pub limits: Arc<LimitSettings>,
    /// Permits for requests in flight; none left means shed load.
    pub in_flight: Arc<Semaphore>,
    /// Set once the JWKS has been fetched.
    pub jwks_loaded: Arc<AtomicBool>,
    /// The OpenAPI document, rendered once at start-up.
    pub openapi: Bytes,
}

impl AppState {
    /// Ready for traffic: the JWKS was fetched and every upstream a route needs is configured.
    pub fn is_ready(&self) -> bool {
        self.jwks_loaded.load(Ordering::SeqCst)
            && self
                .table
                .upstreams()
                .iter()
                .all(|name| self.upstreams.has(name))
    }
}
