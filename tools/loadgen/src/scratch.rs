//! Scratch Postgres databases for the in-process service scenarios: created on the server of
//! `--database-url`, used through small pools of loadgen's own, dropped `WITH (FORCE)` on stop.
//! Only names with one of [`PREFIXES`] can be dropped, so a typo never drops a real database.

use std::time::Duration;

use anyhow::{Context as _, bail};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

use crate::scenarios::pg_insert::redact;

/// The prefixes of the databases loadgen creates (and the only ones it drops).
pub const PREFIXES: &[&str] = &[
    "loadgen_catalog_",
    "loadgen_membership_",
    crate::platform::DB_PREFIX,
];

/// loadgen's own small pool on a scratch database (seeding and checks).
pub(crate) async fn scratch_pool(url: &str, size: u32) -> anyhow::Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(size)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(opts).await.context("scratch database")
}

/// A one-connection pool on the server's maintenance database (CREATE/DROP DATABASE).
pub(crate) async fn admin_connection(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(opts)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))
}

/// Creates the scratch database `name` on the server of `url`.
pub(crate) async fn create_database(url: &str, name: &str) -> anyhow::Result<()> {
    let admin = admin_connection(url).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .with_context(|| format!("creating {name}"))?;
    admin.close().await?;
    Ok(())
}

/// Drops a scratch database `WITH (FORCE)`; refuses any name that is not loadgen's.
pub(crate) async fn drop_database(url: &str, name: &str) -> anyhow::Result<()> {
    if !PREFIXES.iter().any(|p| name.starts_with(p)) {
        bail!("refusing to drop {name}");
    }
    let admin = admin_connection(url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .with_context(|| format!("dropping {name}"))?;
    admin.close().await?;
    Ok(())
}
