//! Typed settings of the content service: the standard sections plus content's own.

use serde::{Deserialize, Serialize};
use siyu_config::{
    AuthSettings, BusSettings, CacheSettings, DatabaseSettings, ServerSettings, Validate,
    Violations,
};

/// Everything `siyu-content` reads at start-up.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// gRPC and admin listeners.
    pub server: ServerSettings,
    /// The content database (`postgres://` or `sqlite://`).
    pub database: DatabaseSettings,
    /// Redis or in-memory cache; not connected yet (the suite configures it for every service).
    pub cache: CacheSettings,
    /// The event bus (`nats://` or `memory://`).
    pub bus: BusSettings,
    /// Token verification against identity's JWKS.
    pub auth: AuthSettings,
    /// Logging.
    pub log: LogSettings,
    /// Content-specific knobs.
    pub content: ContentSettings,
    /// Where identity answers (guests' app ids → tenants).
    pub identity: IdentitySettings,
}

/// The identity service, for guests: a call without a token names its mini-program app, and
/// identity says which tenant owns it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdentitySettings {
    /// identity's gRPC URL (`http://host:port`); empty: guests act in no tenant and storefront
    /// calls without a token answer APP_ID_REQUIRED.
    pub url: String,
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

/// Content-specific settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContentSettings {
    /// Run background work (outbox relay, scheduled publishing, expiry) in this process.
    pub run_jobs: bool,
    /// Seconds between passes of the scheduler.
    pub jobs_interval_secs: u64,
}

impl Default for ContentSettings {
    fn default() -> Self {
        Self {
            run_jobs: true,
            jobs_interval_secs: 5,
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
        v.check(
            (1..=3600).contains(&self.content.jobs_interval_secs),
            "content.jobs_interval_secs",
            "must be within 1..=3600",
        );
        let url = &self.identity.url;
        v.check(
            url.is_empty() || url.starts_with("http://") || url.starts_with("https://"),
            "identity.url",
            "must be empty or an http(s) URL",
        );
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

    #[test]
    fn identity_url_must_be_http() {
        let mut s = Settings::default();
        s.identity.url = "identity:50051".into();
        let mut v = Violations::new();
        s.validate(&mut v);
        assert!(!v.is_empty());
    }
}
