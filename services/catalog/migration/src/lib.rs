//! Migrations of the catalog service: the shared store tables first (outbox, inbox,
//! idempotency, jobs, leases), then catalog's own, one per file.
//!
//! Schemas run on Postgres and SQLite alike. Timestamps that are compared in SQL (reservation
//! expiry, movement time ranges) are stored as BIGINT milliseconds since the epoch: SQLite keeps
//! timestamps as text whose fraction width varies, which would break range comparisons.

use sea_orm_migration::prelude::*;

mod m20250701_000001_catalog_skus;
mod m20250701_000002_inventory;
mod m20250701_000003_reservations;
mod m20250702_000001_catalog;
mod m20250703_000001_stock_syncs;
mod m20250704_000001_transfers;
mod m20250705_000001_storefront;

/// The catalog migrator.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = siyu_store::migrations::all();
        all.push(Box::new(m20250701_000001_catalog_skus::Migration));
        all.push(Box::new(m20250701_000002_inventory::Migration));
        all.push(Box::new(m20250701_000003_reservations::Migration));
        all.push(Box::new(m20250702_000001_catalog::Migration));
        all.push(Box::new(m20250703_000001_stock_syncs::Migration));
        all.push(Box::new(m20250704_000001_transfers::Migration));
        all.push(Box::new(m20250705_000001_storefront::Migration));
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
