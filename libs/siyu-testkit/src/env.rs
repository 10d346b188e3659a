//! Where the test servers are, and names that keep parallel tests apart.

use std::sync::Arc;

use siyu_core::SystemClock;
use siyu_store::{Bus, BusConfig, Cache};

/// Postgres URL of a database tests may create databases from.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Redis URL.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
/// NATS URL.
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";

#[expect(
    clippy::disallowed_methods,
    reason = "tests find their servers through the environment"
)]
fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// `SIYU_TEST_DATABASE_URL`, or the local Postgres.
pub fn database_url() -> String {
    env_or("SIYU_TEST_DATABASE_URL", DEFAULT_DATABASE_URL)
}

/// `SIYU_TEST_REDIS_URL`, or the local Redis.
pub fn redis_url() -> String {
    env_or("SIYU_TEST_REDIS_URL", DEFAULT_REDIS_URL)
}

/// `SIYU_TEST_NATS_URL`, or the local NATS.
pub fn nats_url() -> String {
    env_or("SIYU_TEST_NATS_URL", DEFAULT_NATS_URL)
}

/// A short token unique to this call (a UUIDv7 without dashes).
pub fn unique() -> String {
    siyu_core::id::new().simple().to_string()
}

/// A Redis key prefix of its own, e.g. `test:0190…:`.
pub fn unique_key_prefix() -> String {
    format!("test:{}:", unique())
}

/// A subject prefix (`t<id>`) and stream name (`T<id>`) of their own.
pub fn unique_bus_config() -> BusConfig {
    let id = unique();
    BusConfig::new(&format!("t{id}"), &format!("T{id}"))
}

/// A cache on the test Redis with a fresh key prefix.
pub async fn test_cache() -> anyhow::Result<Cache> {
    Ok(Cache::connect(&redis_url(), &unique_key_prefix(), Arc::new(SystemClock)).await?)
}

/// A bus on the test NATS with a fresh subject prefix and stream.
pub async fn test_bus() -> anyhow::Result<(Bus, BusConfig)> {
    let config = unique_bus_config();
    let bus = Bus::connect(&nats_url(), config.clone()).await?;
    Ok((bus, config))
}
