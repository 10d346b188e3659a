//! `pgbench-tpcb`: pgbench's built-in TPC-B-like transaction on pgbench's own tables — the
//! reference for checkout (a checkout is a handful of short write transactions across services,
//! so "how many TPC-B transactions does this Postgres do" is the yardstick). Setup runs
//! `pgbench -i` (the real tool: its schema and data) on a scratch database; each operation is the
//! script pgbench runs by default, statement for statement, in one transaction:
//! `UPDATE accounts`, `SELECT abalance`, `UPDATE tellers`, `UPDATE branches`, `INSERT history`.
//! Run in-process so that it shares loadgen's runner, histogram and report with the scenario it
//! is the reference of; `pgbench -T` on the same server gives the same order of magnitude.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail, ensure};
use async_trait::async_trait;
use rand::Rng as _;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    TransactionTrait,
};

use super::pg_insert::with_database;
use crate::options::{OptionSpec, ScenarioOptions};
use crate::scenario::{Invariant, Outcome, Scenario, ScenarioSpec, SetupContext, Worker};

/// Registry entry.
pub const SPEC: ScenarioSpec = ScenarioSpec {
    name: "pgbench-tpcb",
    description: "pgbench's TPC-B-like transaction on a `pgbench -i` database (reference for checkout)",
    reference: None,
    options: &[
        OptionSpec {
            name: "database-url",
            help: "server to use; the scratch database loadgen_tpcb is (re)initialised on it",
            default: Some(DEFAULT_URL),
        },
        OptionSpec {
            name: "scale",
            help: "pgbench scale factor (branches; 100,000 accounts each)",
            default: Some("10"),
        },
    ],
    build,
};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Scratch database, initialised by `pgbench -i` on every run.
const TPCB_DB: &str = "loadgen_tpcb";
/// Accounts and tellers per branch (pgbench's constants).
const ACCOUNTS_PER_BRANCH: i64 = 100_000;
const TELLERS_PER_BRANCH: i64 = 10;

struct PgbenchTpcb {
    url: String,
    scale: i64,
    db: Option<DatabaseConnection>,
}

struct TpcbWorker {
    db: DatabaseConnection,
    scale: i64,
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
    let scale = options.parse_or("scale", 10i64)?;
    ensure!(
        (1..=1000).contains(&scale),
        "--scale must be within 1..=1000"
    );
    Ok(Box::new(PgbenchTpcb {
        url,
        scale,
        db: None,
    }))
}

/// `pgbench -i -s <scale> -q` on the scratch database, created first if missing.
fn initialise(url: &str, scale: i64) -> anyhow::Result<()> {
    let admin = std::process::Command::new("psql")
        .arg(url)
        .args([
            "-qAtc",
            &format!("SELECT 1 FROM pg_database WHERE datname = '{TPCB_DB}'"),
        ])
        .output()
        .context("running psql (is the PostgreSQL client installed?)")?;
    ensure!(
        admin.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&admin.stderr)
    );
    if String::from_utf8_lossy(&admin.stdout).trim() != "1" {
        let created = Command::new("psql")
            .arg(url)
            .args(["-qc", &format!("CREATE DATABASE {TPCB_DB}")])
            .output()
            .context("creating the scratch database")?;
        ensure!(
            created.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&created.stderr)
        );
    }
    let init = Command::new("pgbench")
        .args(["-i", "-q", "-s", &scale.to_string()])
        .arg(with_database(url, TPCB_DB)?)
        .output()
        .context("running pgbench -i (is pgbench installed?)")?;
    ensure!(
        init.status.success(),
        "pgbench -i: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    Ok(())
}

#[async_trait]
impl Scenario for PgbenchTpcb {
    async fn setup(&mut self, ctx: &SetupContext) -> anyhow::Result<()> {
        let (url, scale) = (self.url.clone(), self.scale);
        tokio::task::spawn_blocking(move || initialise(&url, scale)).await??;
        let pool = u32::try_from(ctx.concurrency).context("concurrency too large")?;
        let mut opts = ConnectOptions::new(with_database(&self.url, TPCB_DB)?);
        // Every connection open before the run, as pgbench connects before its clock starts.
        opts.max_connections(pool)
            .min_connections(pool)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        self.db = Some(
            Database::connect(opts)
                .await
                .context("connecting to loadgen_tpcb")?,
        );
        Ok(())
    }

    async fn worker(&self, _index: usize) -> anyhow::Result<Box<dyn Worker>> {
        let Some(db) = &self.db else {
            bail!("setup did not connect")
        };
        Ok(Box::new(TpcbWorker {
            db: db.clone(),
            scale: self.scale,
        }))
    }

    async fn check(&self, outcome: &Outcome) -> anyhow::Result<Invariant> {
        let Some(db) = &self.db else {
            bail!("setup did not connect")
        };
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT count(*) FROM pgbench_history",
            ))
            .await?
            .context("count returned no row")?;
        let rows: i64 = row.try_get_by_index(0)?;
        let ok = outcome.ok_total;
        Ok(Invariant::expect(
            u64::try_from(rows).unwrap_or(0) == ok,
            format!("history rows {rows} = ok transactions {ok} (incl. warmup)"),
        ))
    }

    async fn teardown(&mut self) -> anyhow::Result<()> {
        if let Some(db) = self.db.take() {
            db.close().await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Worker for TpcbWorker {
    async fn op(&mut self) -> anyhow::Result<()> {
        let (aid, tid, bid, delta) = {
            let mut rng = rand::rng();
            (
                rng.random_range(1..=ACCOUNTS_PER_BRANCH * self.scale),
                rng.random_range(1..=TELLERS_PER_BRANCH * self.scale),
                rng.random_range(1..=self.scale),
                rng.random_range(-5000..=5000i64),
            )
        };
        let tx = self.db.begin().await?;
        let run = |sql: &str, values: Vec<sea_orm::Value>| {
            Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
        };
        tx.execute_raw(run(
            "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
            vec![delta.into(), aid.into()],
        ))
        .await?;
        tx.query_one_raw(run(
            "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
            vec![aid.into()],
        ))
        .await?;
        tx.execute_raw(run(
            "UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2",
            vec![delta.into(), tid.into()],
        ))
        .await?;
        tx.execute_raw(run(
            "UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2",
            vec![delta.into(), bid.into()],
        ))
        .await?;
        tx.execute_raw(run(
            "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime)
             VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)",
            vec![tid.into(), bid.into(), aid.into(), delta.into()],
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
