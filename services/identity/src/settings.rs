//! The identity service's typed settings (`SIYU_IDENTITY__SECTION__KEY` in the environment).

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use siyu_config::{
    BusSettings, CacheSettings, DatabaseSettings, ServerSettings, Validate, Violations,
    require_scheme, serialize_redacted,
};
use siyu_telemetry::TelemetrySettings;

/// Everything `siyu-identity serve` reads.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Listen addresses and drain period.
    pub server: ServerSettings,
    /// Identity's own database.
    pub database: DatabaseSettings,
    /// Redis (or memory) for login challenges and rate limits.
    pub cache: CacheSettings,
    /// NATS (or memory) the outbox relay publishes to.
    pub bus: BusSettings,
    /// Token issuing: issuer, audience, lifetimes, key encryption.
    pub tokens: TokenSettings,
    /// The WeChat API endpoint (the sandbox in tests and staging).
    pub wechat: WeChatSettings,
    /// How the platform operator's tenant is recognised.
    pub platform: PlatformSettings,
    /// Staff login lockout and password hashing.
    pub staff_auth: StaffAuthSettings,
    /// Internal services allowed to obtain kind=service tokens.
    pub service_tokens: ServiceTokenSettings,
    /// Logs, traces and metrics.
    #[serde(skip_serializing)]
    pub telemetry: TelemetrySettings,
}

/// Token issuing.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenSettings {
    /// The `iss` of every token identity signs.
    pub issuer: String,
    /// The `aud` of every token identity signs.
    pub audience: String,
    /// Access-token lifetime in seconds (15 minutes).
    pub access_ttl_secs: i64,
    /// Refresh-token lifetime in seconds (30 days, sliding).
    pub refresh_ttl_secs: i64,
    /// Absolute session lifetime in seconds (90 days).
    pub session_max_secs: i64,
    /// Clock skew accepted on incoming tokens, in seconds.
    pub leeway_secs: u64,
    /// Base64 (standard) of the 32-byte AES-256-GCM key that encrypts private signing keys and
    /// app secrets at rest. Comes from the deployment's secret store.
    #[serde(serialize_with = "serialize_redacted")]
    pub encryption_key: SecretString,
    /// How often the in-memory key set is re-read from the database, in seconds (other replicas'
    /// rotations become visible within this period).
    pub key_reload_secs: u64,
}

/// The WeChat API endpoint.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WeChatSettings {
    /// `https://api.weixin.qq.com` in production, the sandbox's base URL otherwise.
    pub api_base_url: String,
    /// Timeout of one WeChat call, in milliseconds.
    pub timeout_ms: u64,
}

/// The platform operator's tenant.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlatformSettings {
    /// The code of the tenant `siyu-identity bootstrap` creates; its tenant_admins on the root
    /// are the "platform" callers of the contract.
    pub tenant_code: String,
}

/// Internal services allowed to obtain kind=service tokens (IssueServiceToken).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceTokenSettings {
    /// One entry per service.
    pub clients: Vec<ServiceClient>,
}

/// One internal service and its credential.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceClient {
    /// The service name (the token `sub`), e.g. "content".
    pub name: String,
    /// Hex SHA-256 of the service's shared secret: the config holds no secret itself, and the
    /// secret is high-entropy, so a fast hash is enough.
    pub credential_sha256: String,
    /// Scopes the service may ask for.
    pub scopes: Vec<String>,
    /// May ask for a token in the platform tenant (`IssueServiceToken.platform`): the gateway,
    /// which forwards PSP notifications before any tenant is known.
    pub platform: bool,
}

/// Staff login lockout and password hashing.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StaffAuthSettings {
    /// argon2id memory cost in KiB (19456 = OWASP's minimum recommendation).
    pub argon2_memory_kib: u32,
    /// argon2id passes.
    pub argon2_iterations: u32,
    /// Consecutive failures that lock the account.
    pub threshold: i32,
    /// The window the failures must fall in, in seconds.
    pub window_secs: i64,
    /// How long the account stays locked, in seconds.
    pub lock_secs: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            server: ServerSettings::default(),
            database: DatabaseSettings::default(),
            cache: CacheSettings {
                key_prefix: "siyu:identity:".to_owned(),
                ..CacheSettings::default()
            },
            bus: BusSettings::default(),
            tokens: TokenSettings::default(),
            wechat: WeChatSettings::default(),
            platform: PlatformSettings::default(),
            staff_auth: StaffAuthSettings::default(),
            service_tokens: ServiceTokenSettings::default(),
            telemetry: TelemetrySettings::new("identity"),
        }
    }
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            issuer: "siyu-identity".to_owned(),
            audience: "siyu".to_owned(),
            access_ttl_secs: 15 * 60,
            refresh_ttl_secs: 30 * 24 * 3600,
            session_max_secs: 90 * 24 * 3600,
            leeway_secs: 30,
            encryption_key: SecretString::from(String::new()),
            key_reload_secs: 30,
        }
    }
}

impl Default for WeChatSettings {
    fn default() -> Self {
        Self {
            api_base_url: "https://api.weixin.qq.com".to_owned(),
            timeout_ms: 5_000,
        }
    }
}

impl Default for PlatformSettings {
    fn default() -> Self {
        Self {
            tenant_code: "platform".to_owned(),
        }
    }
}

impl Default for StaffAuthSettings {
    fn default() -> Self {
        Self {
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            threshold: 5,
            window_secs: 900,
            lock_secs: 900,
        }
    }
}

impl Validate for Settings {
    fn validate(&self, v: &mut Violations) {
        v.nested("server", &self.server);
        v.nested("database", &self.database);
        v.nested("cache", &self.cache);
        v.nested("bus", &self.bus);
        v.nested("tokens", &self.tokens);
        require_scheme(
            v,
            "wechat.api_base_url",
            &self.wechat.api_base_url,
            &["http", "https"],
        );
        v.check(
            !self.platform.tenant_code.is_empty(),
            "platform.tenant_code",
            "must not be empty",
        );
        v.check(
            self.staff_auth.threshold >= 1 && self.staff_auth.lock_secs >= 1,
            "staff_auth",
            "threshold and lock_secs must be positive",
        );
    }
}

impl Validate for TokenSettings {
    fn validate(&self, v: &mut Violations) {
        v.check(!self.issuer.is_empty(), "issuer", "must not be empty");
        v.check(!self.audience.is_empty(), "audience", "must not be empty");
        v.check(
            (60..=3600).contains(&self.access_ttl_secs),
            "access_ttl_secs",
            "must be 60..=3600",
        );
        v.check(
            self.refresh_ttl_secs >= 3600 && self.session_max_secs >= self.refresh_ttl_secs,
            "refresh_ttl_secs",
            "must be at least an hour and at most session_max_secs",
        );
        v.check(
            crate::crypto::Sealer::from_base64(self.encryption_key.expose_secret()).is_ok(),
            "encryption_key",
            "must be the base64 of 32 bytes",
        );
    }
}
