//! The test harness: a JWKS endpoint, the identity upstream, and the gateway built with
//! `Application::build` on port 0 against real Redis (or memory://).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use secrecy::SecretString;
use siyu_auth::{Audience, Claims, RoleClaim, SigningKey};
use siyu_core::{Clock as _, PrincipalKind, SystemClock, TenantId};
use siyu_gateway::settings::LimitSettings;
use siyu_gateway::{Application, Settings};
use siyu_testkit::env::{redis_url, unique_key_prefix};

use crate::upstream::{self, Identity, Seen};

pub const ISSUER: &str = "https://identity.siyu.test/";
pub const AUDIENCE: &str = "siyu";
pub const TENANT: &str = "0190b1c2-0000-7000-8000-000000000001";
pub const ORG: &str = "0190b1c2-0000-7000-8000-00000000000a";

/// Which cache backs the gateway.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Redis,
    Memory,
}

pub struct TestApp {
    pub base: String,
    pub grpc_url: String,
    pub http: reqwest::Client,
    pub key: Arc<SigningKey>,
    pub identity: Identity,
    _jwks: siyu_testkit::RunningServer,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// A gateway whose limits `tune` may adjust.
    pub async fn spawn_with(backend: Backend, tune: impl FnOnce(&mut LimitSettings)) -> Self {
        let key = Arc::new(SigningKey::ed25519_from_seed("test-key", &[7; 32]).unwrap());
        let jwks = SigningKey::jwks([key.as_ref()]);
        let body = jwks.to_string();
        let jwks_server = siyu_testkit::spawn_on_port_0(move |listener, shutdown| async move {
            let app = Router::new().route("/jwks.json", get(move || async move { body }));
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown.requested())
                .await?;
            Ok(())
        })
        .await
        .unwrap();

        let identity = Identity {
            seen: Arc::new(Seen::default()),
            jwks,
        };
        let upstream_url = upstream::start(identity.clone()).await;

        let mut settings = Settings::default();
        settings.http_addr = "127.0.0.1:0".parse().unwrap();
        settings.server.grpc_addr = "127.0.0.1:0".parse().unwrap();
        settings.server.shutdown_grace_secs = 1;
        // The catalog routes need an upstream configured for readiness; the test upstream
        // answers UNIMPLEMENTED for catalog methods, which no test here calls.
        settings
            .upstreams
            .insert("catalog".into(), upstream_url.clone());
        // The same upstream plays orders for PSP callbacks.
        settings
            .upstreams
            .insert("orders".into(), upstream_url.clone());
        settings.upstreams.insert("identity".into(), upstream_url);
        settings.service_token.credential = SecretString::from(upstream::GATEWAY_CREDENTIAL);
        settings.cache.url = SecretString::from(match backend {
            Backend::Redis => redis_url(),
            Backend::Memory => "memory://".to_owned(),
        });
        settings.cache.key_prefix = unique_key_prefix();
        settings.auth.jwks_url = format!("{}/jwks.json", jwks_server.http_url());
        settings.auth.issuer = ISSUER.into();
        settings.auth.audience = AUDIENCE.into();
        settings.limits.request_timeout_ms = 1_000;
        tune(&mut settings.limits);

        let app = Application::build(settings).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.http_port());
        let grpc_url = format!("http://127.0.0.1:{}", app.grpc_port());
        tokio::spawn(app.run_until_stopped());
        let test = Self {
            base,
            grpc_url,
            http: reqwest::Client::new(),
            key,
            identity,
            _jwks: jwks_server,
        };
        let client = test.http.clone();
        let url = test.url("/readyz");
        siyu_testkit::wait_until(Duration::from_secs(10), || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                client
                    .get(&url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .await
        .unwrap();
        test
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn sign(&self, claims: &Claims) -> String {
        self.key.sign(claims).unwrap()
    }

    pub fn consumer_token(&self) -> String {
        self.sign(&claims(PrincipalKind::Consumer, "consumer-1"))
    }

    pub fn staff_token(&self, roles: &[&str]) -> String {
        let mut claims = claims(PrincipalKind::Staff, "staff-1");
        claims.roles = roles
            .iter()
            .map(|role| RoleClaim {
                role: (*role).into(),
                org: ORG.into(),
            })
            .collect();
        self.sign(&claims)
    }

    pub fn partner_token(&self, scopes: &[&str]) -> String {
        let mut claims = claims(PrincipalKind::Partner, "pos-1");
        claims.client_id = Some("pos-1".into());
        claims.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self.sign(&claims)
    }

    pub fn expired_consumer_token(&self) -> String {
        let mut claims = claims(PrincipalKind::Consumer, "consumer-1");
        claims.iat -= 3600;
        claims.exp = claims.iat + 900;
        self.sign(&claims)
    }

    /// A POST with a JSON body, a bearer token and an idempotency key.
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: &str,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }
}

pub fn claims(kind: PrincipalKind, sub: &str) -> Claims {
    let now = SystemClock.now().timestamp();
    Claims {
        sub: sub.into(),
        tenant: TenantId::parse(TENANT).unwrap(),
        kind,
        roles: vec![],
        scopes: vec![],
        exp: now + 600,
        nbf: None,
        iat: now,
        iss: ISSUER.into(),
        aud: Audience::One(AUDIENCE.into()),
        jti: siyu_core::id::new_string(),
        client_id: None,
    }
}

/// A problem body, after checking its media type.
pub async fn problem(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let media = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(media, "application/problem+json", "{status} {body}");
    (status, body)
}

pub fn unique_key() -> String {
    siyu_core::id::new_string()
}
