//! Typed settings of the membership service: the standard sections plus membership's own.

use serde::{Deserialize, Serialize};
use siyu_config::{
    AuthSettings, BusSettings, CacheSettings, DatabaseSettings, ServerSettings, Validate,
    Violations,
};

/// Everything `siyu-membership` reads at start-up.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// gRPC and admin listeners.
    pub server: ServerSettings,
    /// The membership database (`postgres://` or `sqlite://`).
    pub database: DatabaseSettings,
    /// Redis or in-memory cache; not connected yet (the suite configures it for every service).
    pub cache: CacheSettings,
    /// The event bus (`nats://` or `memory://`).
    pub bus: BusSettings,
    /// Token verification against identity's JWKS.
    pub auth: AuthSettings,
    /// Logging.
    pub log: LogSettings,
    /// Membership-specific knobs.
    pub membership: MembershipSettings,
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

/// Membership-specific settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MembershipSettings {
    /// Run background work (the outbox relay) in this process.
    pub run_jobs: bool,
    /// Seconds between passes of the points expiry job (expiry and reminders).
    pub points_expiry_interval_secs: u64,
}

impl Default for MembershipSettings {
    fn default() -> Self {
        Self {
            run_jobs: true,
            points_expiry_interval_secs: 60,
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
