//! A fresh, migrated database per test.

use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;
use siyu_store::provision::TempDatabase;
use siyu_store::{DbOptions, StoreError};

/// A migrated database of its own; dropped (best effort) with the value.
///
/// On Postgres it is cloned from a template migrated once per migrator and test binary (see
/// [`siyu_store::provision`]), so each test pays a `CREATE DATABASE … TEMPLATE`, not a migration.
#[derive(Debug)]
pub struct TestDb {
    /// A pool on the database.
    pub db: DatabaseConnection,
    temp: TempDatabase,
}

impl TestDb {
    /// A Postgres database migrated with `M`, on the server of `SIYU_TEST_DATABASE_URL`.
    pub async fn postgres<M: MigratorTrait>() -> anyhow::Result<Self> {
        let temp = TempDatabase::postgres::<M>(&crate::env::database_url()).await?;
        Self::open(temp).await
    }

    /// A Postgres database made by `provision` from the URL of `SIYU_TEST_DATABASE_URL`: for a
    /// migrator held as a value rather than a type parameter, e.g. a suite registry entry's
    /// `|url| service.migrations.temp_postgres(url)`.
    pub async fn postgres_with<F, Fut>(provision: F) -> anyhow::Result<Self>
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<TempDatabase, StoreError>>,
    {
        Self::open(provision(crate::env::database_url()).await?).await
    }

    /// A SQLite file migrated with `M`, for embedded-backend tests.
    pub async fn sqlite<M: MigratorTrait>() -> anyhow::Result<Self> {
        Self::open(TempDatabase::sqlite::<M>().await?).await
    }

    async fn open(temp: TempDatabase) -> anyhow::Result<Self> {
        let db = temp.connect(&DbOptions::default()).await?;
        Ok(Self { db, temp })
    }

    /// The URL, to hand to the code under test (e.g. a service's settings).
    pub fn url(&self) -> &str {
        self.temp.url()
    }

    /// Another pool on the same database, as a second replica would have.
    pub async fn another_pool(&self) -> anyhow::Result<DatabaseConnection> {
        Ok(self.temp.connect(&DbOptions::default()).await?)
    }
}
