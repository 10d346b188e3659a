//! Typed settings of the orders service: the standard sections, the peers it calls and WeChat
//! Pay's endpoints.

use serde::{Deserialize, Serialize};
use siyu_config::{
    AuthSettings, BusSettings, CacheSettings, DatabaseSettings, ServerSettings, Validate,
    Violations,
};

/// Everything `siyu-orders` reads at start-up.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// gRPC and admin listeners.
    pub server: ServerSettings,
    /// The orders database (`postgres://` or `sqlite://`).
    pub database: DatabaseSettings,
    /// Redis or in-memory cache; not connected yet (the suite configures it for every service).
    pub cache: CacheSettings,
    /// The event bus (`nats://` or `memory://`).
    pub bus: BusSettings,
    /// Token verification against identity's JWKS.
    pub auth: AuthSettings,
    /// Logging.
    pub log: LogSettings,
    /// Orders-specific knobs.
    pub orders: OrdersSettings,
    /// The services checkout calls, and how orders obtains its service token.
    pub peers: PeerSettings,
    /// WeChat Pay API v3: where it is and where it calls back.
    pub wechatpay: WechatPaySettings,
}

/// Log output of the binary.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `EnvFilter` directive.
    pub filter: String,
    /// JSON lines (production) or text.
    pub json: bool,
    /// OTLP collector endpoint; no export when empty.
    pub otlp_endpoint: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            filter: "info".into(),
            json: true,
            otlp_endpoint: String::new(),
        }
    }
}

/// Orders-specific settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrdersSettings {
    /// Run background work (outbox relay, unpaid timeout, follow-up tasks) in this process.
    pub run_jobs: bool,
    /// Seconds between passes of the order jobs.
    pub jobs_interval_secs: u64,
    /// Seconds after which a checkout still running is taken for dead (its process died) and
    /// what it took is given back; far above a saga's length (each peer call times out first).
    pub stale_checkout_secs: u64,
}

impl Default for OrdersSettings {
    fn default() -> Self {
        Self {
            run_jobs: true,
            jobs_interval_secs: 5,
            stale_checkout_secs: 120,
        }
    }
}

/// The services orders calls over gRPC, and its own service credential.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PeerSettings {
    /// Identity's gRPC URL (service tokens, app credentials, the payer's openid).
    pub identity_url: String,
    /// Catalog's gRPC URL (prices, reservations).
    pub catalog_url: String,
    /// Membership's gRPC URL (members, coupons, points, stored value).
    pub membership_url: String,
    /// The name identity knows this service by (`service_tokens.clients[].name`).
    pub service_name: String,
    /// The service credential identity checks (its SHA-256 is configured there).
    #[serde(serialize_with = "siyu_config::serialize_redacted")]
    pub credential: secrecy::SecretString,
    /// Seconds a call to a peer may take.
    pub timeout_secs: u64,
}

impl Default for PeerSettings {
    fn default() -> Self {
        Self {
            identity_url: "http://127.0.0.1:50051".into(),
            catalog_url: "http://127.0.0.1:50053".into(),
            membership_url: "http://127.0.0.1:50052".into(),
            service_name: "orders".into(),
            credential: secrecy::SecretString::from(String::new()),
            timeout_secs: 5,
        }
    }
}

/// WeChat Pay API v3 endpoints.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WechatPaySettings {
    /// The API base URL (`https://api.mch.weixin.qq.com`; the sandbox's URL in development).
    pub api_base: String,
    /// The public base URL of the gateway's notify route; the notify URL is
    /// `<notify_base>/psp/wechatpay/v1/notify/<route_key>`.
    pub notify_base: String,
}

impl Default for WechatPaySettings {
    fn default() -> Self {
        Self {
            api_base: "https://api.mch.weixin.qq.com".into(),
            notify_base: "https://localhost:8080".into(),
        }
    }
}

impl Validate for Settings {
    fn validate(&self, v: &mut Violations) {
        v.nested("server", &self.server);
        v.nested("database", &self.database);
        v.nested("cache", &self.cache);
        v.nested("bus", &self.bus);
        v.nested("auth", &self.auth);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let mut v = Violations::new();
        Settings::default().validate(&mut v);
        assert!(v.is_empty());
    }
}
