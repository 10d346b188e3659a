//! Fresh databases, prefixes and polling for these tests.
//!
//! siyu-testkit depends on this crate, so the tests use `siyu_store::provision` directly.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use sea_orm_migration::{MigrationName, MigrationTrait, MigratorTrait, SchemaManager};
use siyu_core::{Clock, SystemClock};
use siyu_store::provision::TempDatabase;
use siyu_store::{Bus, BusConfig, Cache, DbOptions};

/// Which servers a scenario runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Postgres, Redis, NATS.
    Real,
    /// SQLite, memory cache, memory bus.
    Embedded,
}

/// Expands to one `#[tokio::test]` per backend kind calling `scenario(Kind)`.
#[macro_export]
macro_rules! per_backend {
    ($scenario:ident) => {
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn real() {
                super::$scenario($crate::support::Kind::Real).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn embedded() {
                super::$scenario($crate::support::Kind::Embedded).await;
            }
        }
    };
}

#[allow(
    clippy::disallowed_methods,
    reason = "tests find their servers through the environment"
)]
fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

pub fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// A short unique token for names.
pub fn unique() -> String {
    siyu_core::id::new().simple().to_string()
}

/// The library's tables plus `test_effects`, where scenarios record their side effects.
pub struct TestMigrator;

struct TestEffects;

impl MigrationName for TestEffects {
    fn name(&self) -> &str {
        "m99990101_000000_test_effects"
    }
}

#[allow(
    elided_lifetimes_in_paths,
    reason = "async-trait breaks on a named lifetime here"
)]
#[async_trait::async_trait]
impl MigrationTrait for TestEffects {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("CREATE TABLE test_effects (tag TEXT NOT NULL, note TEXT)")
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE test_effects")
            .await
            .map(|_| ())
    }
}

impl MigratorTrait for TestMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = siyu_store::migrations::all();
        all.push(Box::new(TestEffects));
        all
    }
}

/// A migrated database that is dropped with the value.
pub struct TestDb {
    pub db: DatabaseConnection,
    pub temp: TempDatabase,
}

impl TestDb {
    pub async fn new(kind: Kind) -> Self {
        let temp = match kind {
            Kind::Real => {
                let url = env_or(
                    "SIYU_TEST_DATABASE_URL",
                    "postgres://postgres@127.0.0.1:5432/postgres",
                );
                TempDatabase::postgres::<TestMigrator>(&url).await.unwrap()
            }
            Kind::Embedded => TempDatabase::sqlite::<TestMigrator>().await.unwrap(),
        };
        let db = temp.connect(&DbOptions::default()).await.unwrap();
        Self { db, temp }
    }

    /// Another pool on the same database, like a second replica.
    pub async fn another_pool(&self) -> DatabaseConnection {
        self.temp.connect(&DbOptions::default()).await.unwrap()
    }

    /// Rows in `test_effects` with `tag`.
    pub async fn effects(&self, tag: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM test_effects WHERE tag = $1",
                [tag.into()],
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get("", "n").unwrap()
    }
}

/// Records one effect inside `conn` (usually a transaction).
pub async fn record_effect(conn: &impl ConnectionTrait, tag: &str) -> Result<(), DbErr> {
    conn.execute_raw(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "INSERT INTO test_effects (tag) VALUES ($1)",
        [tag.into()],
    ))
    .await
    .map(|_| ())
}

/// A cache with a per-test key prefix.
pub async fn cache(kind: Kind) -> Cache {
    let url = match kind {
        Kind::Real => env_or("SIYU_TEST_REDIS_URL", "redis://127.0.0.1:6379"),
        Kind::Embedded => "memory://tests".to_owned(),
    };
    Cache::connect(&url, &format!("test:{}:", unique()), clock())
        .await
        .unwrap()
}

/// A bus on a per-test subject prefix and stream.
pub struct TestBus {
    pub bus: Bus,
    pub config: BusConfig,
    pub url: String,
}

impl TestBus {
    pub async fn new(kind: Kind) -> Self {
        let url = match kind {
            Kind::Real => env_or("SIYU_TEST_NATS_URL", "nats://127.0.0.1:4222"),
            Kind::Embedded => "memory://tests".to_owned(),
        };
        let id = unique();
        let config = BusConfig::new(&format!("t{id}"), &format!("T{id}"));
        let bus = Bus::connect(&url, config.clone()).await.unwrap();
        Self { bus, config, url }
    }

    /// Another handle on the same stream, like another process.
    pub async fn reconnect(&self) -> Bus {
        Bus::connect(&self.url, self.config.clone()).await.unwrap()
    }

    /// Deletes the stream, so test runs leave nothing behind.
    pub async fn cleanup(self) {
        self.bus.delete_stream().await.unwrap();
    }
}

/// Polls `check` until it returns true or `within` passes (then fails the test).
pub async fn wait_until<F, Fut>(within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
