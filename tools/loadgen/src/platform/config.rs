//! How the platform scenarios configure the suite: Postgres databases of their own, Redis with
//! a unique key prefix (as production would run), an in-process bus, limits wide enough that
//! the gateway's rate limiter never refuses the load generator (it still runs: every request
//! pays its Redis round trip), and the options that size all of it.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail, ensure};
use siyu_platform::registry::identity;
use siyu_platform::suite::GATEWAY;
use siyu_platform::{Configure, Overrides, Wiring};

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
    help: "worker threads of the runtime the sandbox, the services and the gateway share",
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
    /// Pool size of every service (default: one connection per worker).
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
    /// Each registered service's scratch database URL, by name.
    pub databases: BTreeMap<&'static str, String>,
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

impl RunConfig {
    /// The scratch database URL of `service`.
    pub fn database(&self, service: &str) -> anyhow::Result<&str> {
        match self.databases.get(service) {
            Some(url) => Ok(url),
            None => bail!("no scratch database for {service}"),
        }
    }
}

impl Configure for RunConfig {
    fn overrides(&self, service: &str, _wiring: &Wiring) -> anyhow::Result<Overrides> {
        let mut s = Overrides::new()
            .with("SERVER__GRPC_ADDR", "127.0.0.1:0")
            .with("SERVER__SHUTDOWN_GRACE_SECS", 1)
            .with("CACHE__URL", &self.redis_url)
            .with(
                "CACHE__KEY_PREFIX",
                format!("{}{service}:", self.key_prefix),
            );
        if service == GATEWAY {
            s.set("HTTP_ADDR", "127.0.0.1:0");
            // All load comes from one IP and few users: limits that never bite, still evaluated.
            for limit in ["PER_IP", "PER_USER"] {
                s.set(format!("LIMITS__{limit}__RATE"), 1_000_000)
                    .set(format!("LIMITS__{limit}__PER_SECS"), 1)
                    .set(format!("LIMITS__{limit}__BURST"), 1_000_000);
            }
            return Ok(s);
        }
        s.set("SERVER__ADMIN_ADDR", "127.0.0.1:0")
            .set("DATABASE__URL", self.database(service)?)
            .set("DATABASE__MAX_CONNECTIONS", self.pool_size)
            .set("DATABASE__MIN_CONNECTIONS", self.pool_size)
            .set("BUS__URL", &self.bus_url);
        if service == identity::NAME {
            // Only the setup's two staff logins hash passwords; no scenario measures them.
            s.set("TOKENS__ENCRYPTION_KEY", &self.encryption_key)
                .set("STAFF_AUTH__ARGON2_MEMORY_KIB", 64)
                .set("STAFF_AUTH__ARGON2_ITERATIONS", 1);
        }
        Ok(s)
    }
}
