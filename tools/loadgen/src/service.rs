//! The options every in-process service scenario (catalog, membership) declares: where
//! Postgres is and how the service is sized.

use anyhow::{Context as _, ensure};

use crate::options::{OptionSpec, ScenarioOptions};

/// `--database-url`, declared by every in-process service scenario.
pub const DATABASE_URL: OptionSpec = OptionSpec {
    name: "database-url",
    help: "server to use; a scratch database loadgen_<service>_<uuid> is created and dropped on it",
    default: Some(DEFAULT_URL),
};
/// `--pool-size`, declared by every in-process service scenario.
pub const POOL_SIZE: OptionSpec = OptionSpec {
    name: "pool-size",
    help: "the service's database connections (default: one per worker)",
    default: None,
};
/// `--server-threads`, declared by every in-process service scenario.
pub const SERVER_THREADS: OptionSpec = OptionSpec {
    name: "server-threads",
    help: "worker threads of the in-process service's own runtime",
    default: Some("2"),
};

/// How to start the service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Server whose `postgres` database is used to create and drop the scratch database.
    pub database_url: String,
    /// The service's pool size (also its minimum, so no connection is opened while measuring).
    pub pool_size: u32,
    /// Worker threads of the service's runtime.
    pub server_threads: usize,
}

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The service options as given, before the concurrency is known.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    database_url: String,
    pool_size: Option<u32>,
    server_threads: usize,
}

impl ServiceOptions {
    /// Parses and validates [`DATABASE_URL`], [`POOL_SIZE`] and [`SERVER_THREADS`].
    pub fn parse(options: &ScenarioOptions) -> anyhow::Result<Self> {
        let database_url = options
            .get("database-url")
            .unwrap_or(DEFAULT_URL)
            .to_owned();
        ensure!(
            database_url.starts_with("postgres://") || database_url.starts_with("postgresql://"),
            "--database-url must be a postgres:// URL"
        );
        let pool_size = options
            .get("pool-size")
            .map(str::parse::<u32>)
            .transpose()
            .context("--pool-size")?;
        ensure!(pool_size != Some(0), "--pool-size must be at least 1");
        let server_threads = options.parse_or("server-threads", 2usize)?;
        ensure!(server_threads >= 1, "--server-threads must be at least 1");
        Ok(Self {
            database_url,
            pool_size,
            server_threads,
        })
    }

    /// The start configuration for `concurrency` workers.
    pub fn config(&self, concurrency: usize) -> anyhow::Result<ServiceConfig> {
        let pool_size = match self.pool_size {
            Some(n) => n,
            None => u32::try_from(concurrency).context("concurrency too large")?,
        };
        Ok(ServiceConfig {
            database_url: self.database_url.clone(),
            pool_size,
            server_threads: self.server_threads,
        })
    }
}
