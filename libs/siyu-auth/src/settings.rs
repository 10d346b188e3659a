//! How a service configures token verification.

use std::time::Duration;

use serde::Deserialize;

/// The largest clock skew a verifier accepts: a larger leeway would let stolen tokens live
/// noticeably longer than identity intended.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// Token verification settings, read from the service's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierSettings {
    /// Where identity publishes its JWKS; `None` for a verifier built from a static key set.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// The exact `iss` tokens must carry.
    pub issuer: String,
    /// The audience this service accepts in `aud`.
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds (capped at [`MAX_LEEWAY`]).
    #[serde(default = "default_leeway_secs")]
    pub leeway_secs: u64,
    /// Minimum time between two fetches triggered by unknown `kid`s, in seconds; bounds
    /// the load a stream of forged tokens can put on identity.
    #[serde(default = "default_min_refetch_secs")]
    pub min_refetch_secs: u64,
    /// How often the background task refreshes the key set, in seconds.
    #[serde(default = "default_refresh_secs")]
    pub refresh_secs: u64,
    /// Timeout of one JWKS HTTP request, in seconds.
    #[serde(default = "default_fetch_timeout_secs")]
    pub fetch_timeout_secs: u64,
}

impl VerifierSettings {
    /// Settings with the defaults for everything but issuer and audience.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            jwks_url: None,
            issuer: issuer.into(),
            audience: audience.into(),
            leeway_secs: default_leeway_secs(),
            min_refetch_secs: default_min_refetch_secs(),
            refresh_secs: default_refresh_secs(),
            fetch_timeout_secs: default_fetch_timeout_secs(),
        }
    }

    /// The same settings fetching the key set from `url`.
    pub fn with_jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// The clock skew actually applied.
    pub fn leeway(&self) -> Duration {
        Duration::from_secs(self.leeway_secs).min(MAX_LEEWAY)
    }

    /// The minimum interval between unknown-kid refetches.
    pub fn min_refetch_interval(&self) -> Duration {
        Duration::from_secs(self.min_refetch_secs)
    }

    /// The background refresh interval (at least one second, so a zero cannot spin).
    pub fn refresh_interval(&self) -> Duration {
        Duration::from_secs(self.refresh_secs.max(1))
    }

    /// The per-request fetch timeout (at least one second).
    pub fn fetch_timeout(&self) -> Duration {
        Duration::from_secs(self.fetch_timeout_secs.max(1))
    }
}

fn default_leeway_secs() -> u64 {
    30
}

fn default_min_refetch_secs() -> u64 {
    10
}

fn default_refresh_secs() -> u64 {
    300
}

fn default_fetch_timeout_secs() -> u64 {
    5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leeway_is_capped() {
        let mut settings = VerifierSettings::new("i", "a");
        settings.leeway_secs = 86_400;
        assert_eq!(settings.leeway(), MAX_LEEWAY);
    }

    #[test]
    fn defaults_fill_missing_fields() {
        let settings: VerifierSettings =
            serde_json::from_str(r#"{"issuer":"i","audience":"a","jwks_url":"http://x/jwks"}"#)
                .unwrap();
        assert_eq!(settings.leeway_secs, 30);
        assert_eq!(settings.jwks_url.as_deref(), Some("http://x/jwks"));
    }
}
