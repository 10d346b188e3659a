//! Test fixtures: keys, claims, a fixed clock and a JWKS endpoint served over real HTTP.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use siyu_auth::{Audience, Claims, JwksVerifier, RoleClaim, SigningKey, VerifierSettings};
use siyu_core::{ManualClock, PrincipalKind, TenantId};
use tokio::sync::Semaphore;

pub const ISSUER: &str = "https://identity.siyu.test/";
pub const AUDIENCE: &str = "siyu";
/// The fixed "now" of every test: tokens are minted relative to it.
pub const NOW: i64 = 1_750_000_000;
pub const TENANT: &str = "0190b1c2-0000-7000-8000-000000000001";
pub const ES256_PEM: &str = include_str!("../fixtures/es256_test_key.pem");

pub fn ed_key(kid: &str, seed: u8) -> SigningKey {
    SigningKey::ed25519_from_seed(kid, &[seed; 32]).unwrap()
}

pub fn es_key(kid: &str) -> SigningKey {
    SigningKey::es256_from_pkcs8_pem(kid, ES256_PEM).unwrap()
}

pub fn clock() -> Arc<ManualClock> {
    let start: DateTime<Utc> = DateTime::from_timestamp(NOW, 0).unwrap();
    Arc::new(ManualClock::new(start))
}

pub fn tenant() -> TenantId {
    TenantId::parse(TENANT).unwrap()
}

/// Valid consumer claims, issued now, living five minutes.
pub fn claims() -> Claims {
    Claims {
        sub: "consumer-1".into(),
        tenant: tenant(),
        kind: PrincipalKind::Consumer,
        roles: vec![],
        scopes: vec![],
        exp: NOW + 300,
        nbf: None,
        iat: NOW,
        iss: ISSUER.into(),
        aud: Audience::One(AUDIENCE.into()),
        jti: "jti-1".into(),
        client_id: None,
    }
}

pub fn staff_claims(grants: &[(&str, &str)]) -> Claims {
    Claims {
        sub: "staff-1".into(),
        kind: PrincipalKind::Staff,
        roles: grants
            .iter()
            .map(|(role, org)| RoleClaim {
                role: (*role).into(),
                org: (*org).into(),
            })
            .collect(),
        ..claims()
    }
}

/// Settings with a refetch interval long enough that a test never sees two
/// unknown-kid fetches unless it asks for them.
pub fn settings(url: &str) -> VerifierSettings {
    let mut settings = VerifierSettings::new(ISSUER, AUDIENCE).with_jwks_url(url);
    settings.min_refetch_secs = 3600;
    settings
}

pub fn verifier(server: &JwksServer) -> JwksVerifier {
    JwksVerifier::from_settings(settings(&server.url), clock()).unwrap()
}

/// A JWKS endpoint on 127.0.0.1:0 that counts its requests and can be held closed.
pub struct JwksServer {
    pub url: String,
    state: Arc<ServerState>,
    task: tokio::task::JoinHandle<()>,
}

struct ServerState {
    hits: AtomicUsize,
    body: Mutex<String>,
    /// Requests wait for a permit; `hold` takes them all so a fetch stays in flight.
    gate: Semaphore,
}

const OPEN: usize = 1 << 20;

impl JwksServer {
    pub async fn start(keys: &[&SigningKey]) -> Self {
        let state = Arc::new(ServerState {
            hits: AtomicUsize::new(0),
            body: Mutex::new(SigningKey::jwks(keys.iter().copied()).to_string()),
            gate: Semaphore::new(OPEN),
        });
        let app = Router::new()
            .route("/jwks.json", get(serve))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { url, state, task }
    }

    pub fn publish(&self, keys: &[&SigningKey]) {
        *self.state.body.lock().unwrap() = SigningKey::jwks(keys.iter().copied()).to_string();
    }

    pub fn publish_raw(&self, body: &str) {
        *self.state.body.lock().unwrap() = body.to_owned();
    }

    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    /// Holds every request after it has been counted, until [`JwksServer::release`].
    pub async fn hold(&self) {
        self.state
            .gate
            .acquire_many(OPEN as u32)
            .await
            .unwrap()
            .forget();
    }

    pub fn release(&self) {
        self.state.gate.add_permits(OPEN);
    }

    /// Polls until the server has seen `n` requests (never sleeps blindly).
    pub async fn wait_for_hits(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.hits() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "server saw {} requests, wanted {n}",
                self.hits()
            );
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    State(state): State<Arc<ServerState>>,
) -> ([(&'static str, &'static str); 1], String) {
    state.hits.fetch_add(1, Ordering::SeqCst);
    drop(state.gate.acquire().await.unwrap());
    let body = state.body.lock().unwrap().clone();
    ([("content-type", "application/json")], body)
}
