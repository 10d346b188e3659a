//! What a sandbox is started with: where to listen, which apps exist from the start, lifetimes.

use std::net::SocketAddr;

use secrecy::SecretString;
use serde::Deserialize;

use crate::error::SandboxError;

/// Settings for one sandbox instance.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SandboxSettings {
    /// Address to bind; port 0 picks a free port (read it back with `Sandbox::addr`).
    pub listen: SocketAddr,
    /// Mini-program apps registered at start, so a dev setup needs no control calls.
    pub apps: Vec<AppSettings>,
    /// How long a login (`js_code`) or phone code stays valid; WeChat says 5 minutes.
    pub code_ttl_secs: i64,
    /// Lifetime of an access token; WeChat answers `expires_in: 7200`.
    pub access_token_ttl_secs: i64,
    /// How long a superseded `/cgi-bin/token` token keeps working; WeChat documents 5 minutes.
    pub access_token_grace_secs: i64,
    /// Most recorded requests kept by the request log; older ones are dropped first.
    pub request_log_capacity: usize,
    /// Real milliseconds per second of WeChat Pay's callback retry schedule (15 s, 15 s, 30 s,
    /// 3 min …): 1000 is real time; tests use a few so a retry comes within milliseconds.
    pub pay_retry_millis_per_sec: u64,
}

/// A mini-program known to the sandbox from the start.
#[derive(Debug, Clone, Deserialize)]
pub struct AppSettings {
    /// The app's id, e.g. `wx1234567890abcdef`.
    pub appid: String,
    /// The app's secret; masked in `Debug` like every secret in the suite.
    pub secret: SecretString,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 9400)),
            apps: Vec::new(),
            code_ttl_secs: 300,
            access_token_ttl_secs: 7200,
            access_token_grace_secs: 300,
            request_log_capacity: 10_000,
            pay_retry_millis_per_sec: 1000,
        }
    }
}

impl SandboxSettings {
    /// Default settings bound to `127.0.0.1:0`, what tests want.
    pub fn for_tests() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            pay_retry_millis_per_sec: 2,
            ..Self::default()
        }
    }
}

impl SandboxSettings {
    /// Refuses lifetimes that would make every code or token dead on arrival.
    pub fn validate(&self) -> Result<(), SandboxError> {
        if self.code_ttl_secs <= 0 || self.access_token_ttl_secs <= 0 {
            return Err(SandboxError::InvalidSettings(
                "lifetimes must be positive".into(),
            ));
        }
        if self.access_token_grace_secs < 0 {
            return Err(SandboxError::InvalidSettings(
                "the grace period must not be negative".into(),
            ));
        }
        Ok(())
    }
}

impl AppSettings {
    /// An app with the given id and secret.
    pub fn new(appid: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            appid: appid.into(),
            secret: SecretString::from(secret.into()),
        }
    }
}
