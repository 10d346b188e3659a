//! The gateway's typed settings: listeners, upstream services, cache, token verification and
//! the limits applied at the edge.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use siyu_config::{
    AuthSettings, CacheSettings, ServerSettings, Validate, Violations, require_scheme,
};
use siyu_store::RateLimit;
use siyu_telemetry::TelemetrySettings;

/// Everything `siyu-gateway serve` reads (`SIYU_GATEWAY__SECTION__KEY` in the environment).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// REST/JSON listener (`/api/v1`, `/admin/v1`, `/open/v1`, `/openapi.json`, health).
    pub http_addr: SocketAddr,
    /// `grpc_addr` is the partner gRPC ingress; `admin_addr` serves `/metrics`.
    pub server: ServerSettings,
    /// Upstream gRPC URL per service name (`identity`, `catalog`, …).
    pub upstreams: BTreeMap<String, String>,
    /// Redis (or memory) for rate limits and idempotent replies.
    pub cache: CacheSettings,
    /// Where identity's JWKS is and which tokens are accepted.
    pub auth: AuthSettings,
    /// Body size, timeouts, concurrency, rate limits and idempotency windows.
    pub limits: LimitSettings,
    /// The gateway's own credential for a service token (raw PSP callbacks carry none).
    pub service_token: ServiceTokenSettings,
    /// Logs, traces and metrics.
    #[serde(skip_serializing)]
    pub telemetry: TelemetrySettings,
}

/// How the gateway obtains its own service token from identity (`TokenService/
/// IssueServiceToken`, kind=service in the platform tenant, scope `psp.notify`): the token it
/// forwards PSP callbacks with, since the tenant of one is known only once its signature
/// verified at the service.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceTokenSettings {
    /// The service name identity knows the gateway by.
    pub service: String,
    /// Its credential; empty = PSP callbacks are refused with 503 (the PSP retries later).
    #[serde(serialize_with = "siyu_config::serialize_redacted")]
    pub credential: SecretString,
}

impl Default for ServiceTokenSettings {
    fn default() -> Self {
        Self {
            service: "gateway".to_owned(),
            credential: SecretString::from(String::new()),
        }
    }
}

/// The limits the gateway enforces before any service sees a request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitSettings {
    /// Largest accepted request body; larger answers 413.
    pub max_body_bytes: usize,
    /// Deadline of one upstream call; exceeding it answers 504.
    pub request_timeout_ms: u64,
    /// Requests served at once; more are shed with 503 rather than queued. `/healthz` and
    /// `/readyz` are not counted.
    pub max_concurrency: usize,
    /// How long an HTTP/1 connection may take to send a request head, counted from when it
    /// starts waiting for one (a new connection, or a kept-alive one between requests);
    /// past it the connection is closed.
    pub header_read_timeout_ms: u64,
    /// How long a handler waits for the whole request body; past it 408 `BODY_TIMEOUT`.
    pub body_read_timeout_ms: u64,
    /// A connection with no request in flight for this long is closed (HTTP/2: GOAWAY).
    pub idle_timeout_ms: u64,
    /// Open REST connections per client IP (the socket peer); more are closed on accept.
    pub max_connections_per_ip: usize,
    /// Per client IP, every route.
    pub per_ip: RateSettings,
    /// Per authenticated consumer or staff subject.
    pub per_user: RateSettings,
    /// Per partner client, unless `partner_clients` names it.
    pub per_partner: RateSettings,
    /// Per-client overrides by partner client id (contracted quotas).
    pub partner_clients: BTreeMap<String, RateSettings>,
    /// How long a first reply is kept for replay under its `Idempotency-Key`.
    pub idempotency_ttl_secs: u64,
    /// How long a duplicate waits for the first request in flight before answering 409.
    pub idempotency_wait_ms: u64,
    /// Trusted reverse proxies in front of the gateway: the client IP is taken this many
    /// entries from the right of `X-Forwarded-For` (0 = the socket peer, headers ignored).
    pub forwarded_hops: usize,
}

/// One GCRA limit: `rate` requests per `per_secs`, bursts of `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateSettings {
    /// Requests per period.
    pub rate: u32,
    /// The period, in seconds.
    pub per_secs: u64,
    /// Requests allowed at once.
    pub burst: u32,
}

impl Default for Settings {
    fn default() -> Self {
        let server = ServerSettings {
            grpc_addr: SocketAddr::from(([0, 0, 0, 0], 8081)),
            ..ServerSettings::default()
        };
        Self {
            http_addr: SocketAddr::from(([0, 0, 0, 0], 8080)),
            server,
            upstreams: BTreeMap::from([(
                "identity".to_owned(),
                "http://127.0.0.1:50051".to_owned(),
            )]),
            cache: CacheSettings {
                key_prefix: "siyu:gateway:".to_owned(),
                ..CacheSettings::default()
            },
            auth: AuthSettings::default(),
            limits: LimitSettings::default(),
            service_token: ServiceTokenSettings::default(),
            telemetry: TelemetrySettings::new("gateway"),
        }
    }
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024,
            request_timeout_ms: 10_000,
            max_concurrency: 2048,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 15_000,
            idle_timeout_ms: 60_000,
            max_connections_per_ip: 256,
            per_ip: RateSettings::new(600, 60, 100),
            per_user: RateSettings::new(300, 60, 60),
            per_partner: RateSettings::new(6000, 60, 200),
            partner_clients: BTreeMap::new(),
            idempotency_ttl_secs: 24 * 3600,
            idempotency_wait_ms: 2_000,
            forwarded_hops: 0,
        }
    }
}

impl RateSettings {
    /// `rate` per `per_secs` with bursts of `burst`.
    pub const fn new(rate: u32, per_secs: u64, burst: u32) -> Self {
        Self {
            rate,
            per_secs,
            burst,
        }
    }

    /// The limit in the cache's terms.
    pub fn limit(&self) -> RateLimit {
        RateLimit {
            rate: self.rate,
            per: Duration::from_secs(self.per_secs),
            burst: self.burst,
        }
    }
}

impl LimitSettings {
    /// The upstream deadline.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    /// How long a handler waits for the request body.
    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_millis(self.body_read_timeout_ms)
    }

    /// How long idempotent replies are kept.
    pub fn idempotency_ttl(&self) -> Duration {
        Duration::from_secs(self.idempotency_ttl_secs)
    }

    /// How long a duplicate waits for the first request.
    pub fn idempotency_wait(&self) -> Duration {
        Duration::from_millis(self.idempotency_wait_ms)
    }

    /// The limit of one partner client: its override, or the default.
    pub fn partner_limit(&self, client_id: &str) -> RateLimit {
        self.partner_clients
            .get(client_id)
            .unwrap_or(&self.per_partner)
            .limit()
    }
}

impl Validate for Settings {
    fn validate(&self, v: &mut Violations) {
        v.nested("server", &self.server);
        v.nested("cache", &self.cache);
        v.nested("auth", &self.auth);
        v.nested("limits", &self.limits);
        v.check(
            self.http_addr.port() == 0 || self.http_addr != self.server.grpc_addr,
            "http_addr",
            "must differ from server.grpc_addr",
        );
        for (name, url) in &self.upstreams {
            require_scheme(v, &format!("upstreams.{name}"), url, &["http", "https"]);
        }
    }
}

impl Validate for LimitSettings {
    fn validate(&self, v: &mut Violations) {
        v.check(
            (1024..=16 * 1024 * 1024).contains(&self.max_body_bytes),
            "max_body_bytes",
            "must be between 1 KiB and 16 MiB",
        );
        v.check(
            (100..=300_000).contains(&self.request_timeout_ms),
            "request_timeout_ms",
            "must be between 100 and 300000",
        );
        v.check(
            self.max_concurrency > 0,
            "max_concurrency",
            "must be positive",
        );
        for (field, ms) in [
            ("header_read_timeout_ms", self.header_read_timeout_ms),
            ("body_read_timeout_ms", self.body_read_timeout_ms),
            ("idle_timeout_ms", self.idle_timeout_ms),
        ] {
            v.check(
                (100..=600_000).contains(&ms),
                field,
                "must be between 100 and 600000",
            );
        }
        v.check(
            self.max_connections_per_ip > 0,
            "max_connections_per_ip",
            "must be positive",
        );
        v.check(
            self.idempotency_ttl_secs >= 60,
            "idempotency_ttl_secs",
            "must be at least 60",
        );
        v.check(
            self.idempotency_wait_ms <= 30_000,
            "idempotency_wait_ms",
            "must be at most 30000",
        );
        let named = [
            ("per_ip", &self.per_ip),
            ("per_user", &self.per_user),
            ("per_partner", &self.per_partner),
        ];
        for (field, rate) in named.into_iter().chain(
            self.partner_clients
                .iter()
                .map(|(id, rate)| (id.as_str(), rate)),
        ) {
            v.check(
                rate.rate > 0 && rate.per_secs > 0 && rate.burst > 0,
                field,
                "rate, per_secs and burst must be positive",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_limits_are_named() {
        let mut v = Violations::new();
        Settings::default().validate(&mut v);
        assert!(v.is_empty(), "{:?}", v.into_result());

        let mut bad = Settings::default();
        bad.limits.max_body_bytes = 10;
        bad.limits.per_ip.rate = 0;
        bad.upstreams.insert("orders".into(), "ftp://x".into());
        let mut v = Violations::new();
        bad.validate(&mut v);
        let errors = v.into_result().unwrap_err();
        assert!(errors.get("limits.max_body_bytes").is_some(), "{errors}");
        assert!(errors.get("limits.per_ip").is_some(), "{errors}");
        assert!(errors.get("upstreams.orders").is_some(), "{errors}");
    }
}
