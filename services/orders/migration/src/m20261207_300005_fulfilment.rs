//! Fulfilment: the shipment and pickup details of an order, the open pickup codes (unique per
//! tenant while an order waits at a store, so a code scanned at any store names one order), and
//! the work lists of auto-completion and settlement.

use sea_orm_migration::prelude::*;

/// Adds fulfilment columns and indexes to `ord_orders`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // shipment, pickup: JSON, once shipped / ready for pickup.
                "ALTER TABLE ord_orders ADD COLUMN shipment TEXT",
                "ALTER TABLE ord_orders ADD COLUMN pickup TEXT",
                // Status 5 is READY_FOR_PICKUP: a code is taken only while its order waits.
                "CREATE UNIQUE INDEX ord_orders_open_pickup ON ord_orders (tenant, pickup_code)
                    WHERE status = 5",
                "CREATE INDEX ord_orders_auto_complete ON ord_orders (status, auto_complete_at_ms)",
                "CREATE INDEX ord_orders_settle ON ord_orders (status, after_sale_deadline_ms)
                    WHERE settled_at_ms IS NULL",
                "CREATE INDEX ord_orders_updated ON ord_orders (tenant, updated_at_ms, id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP INDEX ord_orders_updated",
                "DROP INDEX ord_orders_settle",
                "DROP INDEX ord_orders_auto_complete",
                "DROP INDEX ord_orders_open_pickup",
                "ALTER TABLE ord_orders DROP COLUMN pickup",
                "ALTER TABLE ord_orders DROP COLUMN shipment",
            ],
        )
        .await
    }
}
