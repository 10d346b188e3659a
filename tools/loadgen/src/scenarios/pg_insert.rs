//! `pg-insert`: single-row INSERTs into a scratch table; the reference for ledger throughput
//! (each ledger operation is at least one durable row).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail, ensure};
use async_trait::async_trait;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

use crate::options::{OptionSpec, ScenarioOptions};
use crate::scenario::{Invariant, Outcome, Scenario, ScenarioSpec, SetupContext, Worker};

/// Registry entry.
pub const SPEC: ScenarioSpec = ScenarioSpec {
    name: "pg-insert",
    description: "single-row INSERTs into a scratch Postgres table (reference for ledger)",
    reference: None,
    options: &[
        OptionSpec {
            name: "database-url",
            help: "server to use; the scratch database loadgen_bench is created on it",
            default: Some(DEFAULT_URL),
        },
        OptionSpec {
            name: "pool-size",
            help: "connections (default: one per worker)",
            default: None,
        },
        OptionSpec {
            name: "payload-bytes",
            help: "size of the text column",
            default: Some("64"),
        },
    ],
    build,
};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Scratch database, kept between runs (creating one costs more than a whole short run).
const BENCH_DB: &str = "loadgen_bench";
const MAX_PAYLOAD_BYTES: usize = 64 * 1024;

struct PgInsert {
    url: String,
    pool_size: Option<u32>,
    payload_bytes: usize,
    table: String,
    db: Option<DatabaseConnection>,
}

struct InsertWorker {
    db: DatabaseConnection,
    sql: String,
    worker: i32,
    seq: i64,
    payload: String,
}

fn build(options: &ScenarioOptions) -> anyhow::Result<Box<dyn Scenario>> {
    let url = options
        .get("database-url")
        .unwrap_or(DEFAULT_URL)
        .to_owned();
    ensure!(
        url.starts_with("postgres://") || url.starts_with("postgresql://"),
        "--database-url must be a postgres:// URL"
    );
    let pool_size = options
        .get("pool-size")
        .map(str::parse::<u32>)
        .transpose()
        .context("--pool-size")?;
    ensure!(pool_size != Some(0), "--pool-size must be at least 1");
    let payload_bytes = options.parse_or("payload-bytes", 64usize)?;
    ensure!(
        payload_bytes <= MAX_PAYLOAD_BYTES,
        "--payload-bytes must be at most {MAX_PAYLOAD_BYTES}"
    );
    // Unique per run so concurrent runs (and test processes) never share a table.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let table = format!("run_{}_{nanos}", std::process::id());
    Ok(Box::new(PgInsert {
        url,
        pool_size,
        payload_bytes,
        table,
        db: None,
    }))
}

#[async_trait]
impl Scenario for PgInsert {
    async fn setup(&mut self, ctx: &SetupContext) -> anyhow::Result<()> {
        ensure_bench_database(&self.url).await?;
        let pool_size = match self.pool_size {
            Some(n) => n,
            None => u32::try_from(ctx.concurrency).context("concurrency too large")?,
        };
        let mut opts = ConnectOptions::new(with_database(&self.url, BENCH_DB)?);
        // Open every connection now so connection setup is not measured as insert latency.
        opts.max_connections(pool_size)
            .min_connections(pool_size)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        let db = Database::connect(opts)
            .await
            .context("connecting to loadgen_bench")?;
        db.execute_unprepared(&format!(
            "CREATE TABLE {} (id BIGSERIAL PRIMARY KEY, worker INTEGER NOT NULL, seq BIGINT NOT NULL, \
             payload TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            self.table
        ))
        .await
        .context("creating the scratch table")?;
        self.db = Some(db);
        Ok(())
    }

    async fn worker(&self, index: usize) -> anyhow::Result<Box<dyn Worker>> {
        let Some(db) = &self.db else {
            bail!("setup did not connect")
        };
        Ok(Box::new(InsertWorker {
            db: db.clone(),
            sql: format!(
                "INSERT INTO {} (worker, seq, payload) VALUES ($1, $2, $3)",
                self.table
            ),
            worker: i32::try_from(index).context("worker index")?,
            seq: 0,
            payload: "x".repeat(self.payload_bytes),
        }))
    }

    async fn check(&self, outcome: &Outcome) -> anyhow::Result<Invariant> {
        let Some(db) = &self.db else {
            bail!("setup did not connect")
        };
        let sql = format!("SELECT count(*) AS n FROM {}", self.table);
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await?;
        let rows: i64 = row.context("count returned no row")?.try_get_by_index(0)?;
        let rows = u64::try_from(rows).unwrap_or(0);
        let ok = outcome.ok_total;
        Ok(Invariant::expect(
            rows == ok,
            format!("rows {rows} = ok ops {ok} (incl. warmup)"),
        ))
    }

    async fn teardown(&mut self) -> anyhow::Result<()> {
        if let Some(db) = self.db.take() {
            db.execute_unprepared(&format!("DROP TABLE IF EXISTS {}", self.table))
                .await?;
            db.close().await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Worker for InsertWorker {
    async fn op(&mut self) -> anyhow::Result<()> {
        self.seq += 1;
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            self.sql.as_str(),
            [
                self.worker.into(),
                self.seq.into(),
                self.payload.clone().into(),
            ],
        );
        let result = self.db.execute_raw(stmt).await?;
        ensure!(
            result.rows_affected() == 1,
            "insert affected {} rows",
            result.rows_affected()
        );
        Ok(())
    }
}

/// Creates the scratch database unless it exists; tolerates a concurrent run creating it.
async fn ensure_bench_database(url: &str) -> anyhow::Result<()> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let admin = Database::connect(opts)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))?;
    let exists = |admin: DatabaseConnection| async move {
        let sql = format!("SELECT 1 FROM pg_database WHERE datname = '{BENCH_DB}'");
        let row = admin
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await?;
        anyhow::Ok(row.is_some())
    };
    if !exists(admin.clone()).await?
        && let Err(e) = admin
            .execute_unprepared(&format!("CREATE DATABASE {BENCH_DB}"))
            .await
        // Another run may have created it between the check and here.
        && !exists(admin.clone()).await?
    {
        return Err(e).context("creating database loadgen_bench");
    }
    admin.close().await?;
    Ok(())
}

/// `url` with its database name replaced by `database`.
pub(crate) fn with_database(url: &str, database: &str) -> anyhow::Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .context("database URL has no scheme")?;
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let authority = before_query
        .split_once('/')
        .map_or(before_query, |(a, _)| a);
    let mut out = format!("{scheme}://{authority}/{database}");
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Ok(out)
}

/// The URL without its password, for error messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://…{}", &url[at..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_swapped_and_query_kept() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "b").unwrap(),
            "postgres://u:p@h:5432/b?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h", "b").unwrap(),
            "postgres://h/b"
        );
        assert!(with_database("h/x", "b").is_err());
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://…@h/db");
    }
}
