//! Migrations of the membership service: the shared store tables first (outbox, inbox,
//! idempotency, jobs, leases), then membership's own, one per file.
//!
//! Schemas run on Postgres and SQLite alike. Timestamps compared in SQL (enrolment, entry and
//! lot expiry times) are BIGINT milliseconds since the epoch: SQLite keeps timestamps as text
//! whose fraction width varies, which would break range comparisons.

use sea_orm_migration::prelude::*;

mod m20250801_000001_members;
mod m20250801_000002_ledger;
mod m20250801_000003_ledger_settings;
mod m20251201_000010_coupons;
mod m20251201_000020_tiers;
mod m20251201_000021_check_in;
mod m20251215_000030_tags_segments;
mod m20251215_000040_order_earnings;
mod m20251215_000050_guides_distribution;
mod m20251215_000060_paid_membership;
mod m20261207_100000_coupon_jobs;
mod m20261207_200001_paid_benefits;
mod m20261207_200002_purchase_stats;
mod m20261207_200003_merge_moves;

/// The membership migrator.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = siyu_store::migrations::all();
        all.push(Box::new(m20250801_000001_members::Migration));
        all.push(Box::new(m20250801_000002_ledger::Migration));
        all.push(Box::new(m20250801_000003_ledger_settings::Migration));
        all.push(Box::new(m20251201_000010_coupons::Migration));
        all.push(Box::new(m20251201_000020_tiers::Migration));
        all.push(Box::new(m20251201_000021_check_in::Migration));
        all.push(Box::new(m20251215_000040_order_earnings::Migration));
        all.push(Box::new(m20251215_000030_tags_segments::Migration));
        all.push(Box::new(m20251215_000050_guides_distribution::Migration));
        all.push(Box::new(m20251215_000060_paid_membership::Migration));
        all.push(Box::new(m20261207_100000_coupon_jobs::Migration));
        all.push(Box::new(m20261207_200001_paid_benefits::Migration));
        all.push(Box::new(m20261207_200002_purchase_stats::Migration));
        all.push(Box::new(m20261207_200003_merge_moves::Migration));
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
