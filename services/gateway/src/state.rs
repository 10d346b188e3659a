//! What every request handler shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use siyu_auth::JwksVerifier;
use siyu_store::Cache;
use tokio::sync::Semaphore;

use crate::guard::rate_lease::RateLeases;
use crate::guard::rate_limit::Limiter;
use crate::routes::table::RouteTable;
use crate::settings::LimitSettings;
use crate::upstream::{ServiceTokens, Upstreams};

/// Shared by the REST listener and the gRPC ingress. One `Arc`: axum's `State` extractor
/// clones the state for every request, so a clone must not copy the channel map.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// The state over `shared`.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Shared {
    /// Routes compiled against the descriptors.
    pub table: Arc<RouteTable>,
    /// Channels to the services.
    pub upstreams: Upstreams,
    /// Token verification.
    pub verifier: Arc<JwksVerifier>,
    /// Rate limits and idempotent replies.
    pub cache: Cache,
    /// Rate-limit admissions held by this replica.
    pub leases: RateLeases,
    /// Edge limits.
    pub limits: Arc<LimitSettings>,
    /// Permits for requests in flight; none left means shed load.
    pub in_flight: Arc<Semaphore>,
    /// Set once the JWKS has been fetched.
    pub jwks_loaded: Arc<AtomicBool>,
    /// The OpenAPI document, rendered once at start-up.
    pub openapi: Bytes,
    /// The gateway's own service token, for raw PSP callbacks.
    pub service_tokens: ServiceTokens,
}

impl Shared {
    /// The rate limiter over this state.
    pub fn limiter(&self) -> Limiter<'_> {
        Limiter {
            cache: &self.cache,
            limits: &self.limits,
            leases: &self.leases,
        }
    }

    /// Ready for traffic: the JWKS was fetched. Routes of a service that is not configured
    /// (the contract declares services a deployment may not run yet) answer 503 on their own
    /// and were logged at start-up; they do not hold back the routes that can be served.
    pub fn is_ready(&self) -> bool {
        self.jwks_loaded.load(Ordering::SeqCst)
    }
}
