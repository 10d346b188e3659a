//! Migrations of the orders service (orders and payments share one database): the shared store
//! tables first (outbox, inbox, idempotency, jobs, leases), then orders' own, one per file.
//!
//! Schemas run on Postgres and SQLite alike. Timestamps compared in SQL (payment deadlines,
//! settlement, job schedules) are BIGINT milliseconds since the epoch, as in membership.

use sea_orm_migration::prelude::*;

mod m20261207_300001_carts;
mod m20261207_300002_orders;
mod m20261207_300003_payments;
mod m20261207_300004_after_sales;
mod m20261207_300005_fulfilment;
mod m20261207_300006_reconciliation;
mod m20261208_300007_consumed_events;

/// The orders migrator.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = siyu_store::migrations::all();
        all.push(Box::new(m20261207_300001_carts::Migration));
        all.push(Box::new(m20261207_300002_orders::Migration));
        all.push(Box::new(m20261207_300003_payments::Migration));
        all.push(Box::new(m20261207_300004_after_sales::Migration));
        all.push(Box::new(m20261207_300005_fulfilment::Migration));
        all.push(Box::new(m20261207_300006_reconciliation::Migration));
        all.push(Box::new(m20261208_300007_consumed_events::Migration));
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
