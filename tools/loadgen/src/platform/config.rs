//! How the platform scenarios configure the suite: Postgres databases of their own, Redis with
//! a unique key prefix (as production would run), an in-process bus, limits wide enough that
//! the gateway's rate limiter never refuses the load generator (it still runs: every request
//! pays its Redis round trip), and the options that size all of it.

use anyhow::{Context as _, ensure};
use secrecy::SecretString;
use siyu_config::DatabaseSettings;
use siyu_platform::{Configure, Wiring};

use crate::options::{OptionSpec, ScenarioOptions};

/// `--redis-url`, declared by every platform scenario.
pub const REDIS_URL: OptionSpec = OptionSpec {
    name: "redis-url",
    help: "Redis for the services' caches and the gateway's limits/idempotency (unique key prefix per run)",
    default: Some(DEFAULT_REDIS),
};
/// `--suite-threads`, declared by every platform scenario.
pub const SUITE_THREADS: OptionSpec = OptionSpec {
    name: "suite-threads",
    help: "worker threads of the runtime the sandbox, identity, catalog and gateway share",
    default: Some("2"),
};

const DEFAULT_REDIS: &str = "redis://127.0.0.1:6379";
const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The platform options as given, before the concurrency is known.
#[derive(Debug, Clone)]
pub struct PlatformOptions {
    /// Server on which the scratch databases are created.
    pub database_url: String,
    /// Redis URL.
    pub redis_url: String,
    /// Pool size of identity and of catalog (default: one connection per worker).
    pub pool_size: Option<u32>,
    /// Threads of the suite's runtime.
    pub suite_threads: usize,
}

impl PlatformOptions {
    /// Parses `--database-url`, `--redis-url`, `--pool-size` and `--suite-threads`.
    pub fn parse(options: &ScenarioOptions) -> anyhow::Result<Self> {
        let database_url = options
            .get("database-url")
            .unwrap_or(DEFAULT_URL)
            .to_owned();
        ensure!(
            database_url.starts_with("postgres://") || database_url.starts_with("postgresql://"),
            "--database-url must be a postgres:// URL"
        );
        let redis_url = options.get("redis-url").unwrap_or(DEFAULT_REDIS).to_owned();
        ensure!(
            redis_url.starts_with("redis://") || redis_url.starts_with("memory://"),
            "--redis-url must be a redis:// (or memory://) URL"
        );
        let pool_size = options
            .get("pool-size")
            .map(str::parse::<u32>)
            .transpose()
            .context("--pool-size")?;
        ensure!(pool_size != Some(0), "--pool-size must be at least 1");
        let suite_threads = options.parse_or("suite-threads", 2usize)?;
        ensure!(suite_threads >= 1, "--suite-threads must be at least 1");
        Ok(Self {
            database_url,
            redis_url,
            pool_size,
            suite_threads,
        })
    }
}

/// The settings of one run (implements `siyu_platform::Configure`).
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Identity's scratch database URL.
    pub identity_db: String,
    /// Catalog's scratch database URL.
    pub catalog_db: String,
    /// Redis URL.
    pub redis_url: String,
    /// `loadgen:<uuid>:` — every key of the run starts with it.
    pub key_prefix: String,
    /// The in-process bus URL of this run.
    pub bus_url: String,
    /// Each service's pool (also its minimum: no connection is opened while measuring).
    pub pool_size: u32,
    /// Identity's token-sealing key (random per run, base64).
    pub encryption_key: String,
}

fn database(url: &str, pool: u32) -> DatabaseSettings {
    let mut db = DatabaseSettings::new(url);
    db.max_connections = pool;
    db.min_connections = pool;
    db
}

impl Configure for RunConfig {
    fn identity(&self, wiring: &Wiring) -> anyhow::Result<siyu_identity::settings::Settings> {
        let mut s = siyu_identity::settings::Settings::default();
        s.server.grpc_addr = "127.0.0.1:0".parse()?;
        s.server.admin_addr = "127.0.0.1:0".parse()?;
        s.server.shutdown_grace_secs = 1;
        s.database = database(&self.identity_db, self.pool_size);
        s.cache.url = SecretString::from(self.redis_url.clone());
        s.cache.key_prefix = format!("{}identity:", self.key_prefix);
        s.bus.url = SecretString::from(self.bus_url.clone());
        s.tokens.encryption_key = SecretString::from(self.encryption_key.clone());
        s.wechat.api_base_url = wiring.sandbox_url.clone();
        // Only the setup's two staff logins hash passwords; no scenario measures them.
        s.staff_auth.argon2_memory_kib = 64;
        s.staff_auth.argon2_iterations = 1;
        Ok(s)
    }

    fn catalog(&self, wiring: &Wiring) -> anyhow::Result<siyu_catalog::settings::Settings> {
        let mut s = siyu_catalog::settings::Settings {
            database: database(&self.catalog_db, self.pool_size),
            ..Default::default()
        };
        s.server.grpc_addr = "127.0.0.1:0".parse()?;
        s.server.admin_addr = "127.0.0.1:0".parse()?;
        s.server.shutdown_grace_secs = 1;
        s.cache.url = SecretString::from(self.redis_url.clone());
        s.cache.key_prefix = format!("{}catalog:", self.key_prefix);
        s.bus.url = SecretString::from(self.bus_url.clone());
        s.auth.jwks_url = wiring.jwks_url.clone();
        Ok(s)
    }

    fn gateway(&self, wiring: &Wiring) -> anyhow::Result<siyu_gateway::Settings> {
        let mut s = siyu_gateway::Settings {
            http_addr: "127.0.0.1:0".parse()?,
            ..Default::default()
        };
        s.server.grpc_addr = "127.0.0.1:0".parse()?;
        s.server.shutdown_grace_secs = 1;
        s.upstreams
            .insert("identity".into(), wiring.identity_url.clone());
        s.upstreams
            .insert("catalog".into(), wiring.catalog_url.clone());
        s.cache.url = SecretString::from(self.redis_url.clone());
        s.cache.key_prefix = format!("{}gateway:", self.key_prefix);
        s.auth.jwks_url = wiring.jwks_url.clone();
        // All load comes from one IP and few users: limits that never bite, still evaluated.
        let wide = siyu_gateway::settings::RateSettings::new(1_000_000, 1, 1_000_000);
        s.limits.per_ip = wide;
        s.limits.per_user = wide;
        Ok(s)
    }
}
