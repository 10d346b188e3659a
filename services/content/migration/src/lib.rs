//! Migrations of the content service: the shared store tables first (outbox, inbox,
//! idempotency, jobs, leases), then content's own, one per file.
//!
//! Schemas run on Postgres and SQLite alike. Timestamps compared in SQL (schedules, expiry,
//! placement windows) are BIGINT milliseconds since the epoch, as in the other services.

use sea_orm_migration::prelude::*;

mod m20261208_500001_contents;
mod m20261208_500002_slots;
mod m20261208_500003_shares;

/// The content migrator.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = siyu_store::migrations::all();
        all.push(Box::new(m20261208_500001_contents::Migration));
        all.push(Box::new(m20261208_500002_slots::Migration));
        all.push(Box::new(m20261208_500003_shares::Migration));
        all
    }
}

/// Renders `{uuid}` per backend and runs each statement.
async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let pg = matches!(
        manager.get_database_backend(),
        sea_orm_migration::sea_orm::DbBackend::Postgres
    );
    let conn = manager.get_connection();
    for sql in statements {
        let sql = sql.replace("{uuid}", if pg { "UUID" } else { "BLOB" });
        conn.execute_unprepared(&sql).await?;
    }
    Ok(())
}
