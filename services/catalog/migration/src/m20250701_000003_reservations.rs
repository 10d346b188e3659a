//! Order reservations: one current reservation per order (`inv_order_reservations` is the
//! idempotency anchor by order id), their lines, and restocks keyed by (order, refund).

use sea_orm_migration::prelude::*;

/// Creates the reservation tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "CREATE TABLE inv_order_reservations (
                    tenant {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    reservation_id {uuid} NOT NULL,
                    PRIMARY KEY (tenant, order_id)
                )",
                "CREATE TABLE inv_reservations (
                    id {uuid} NOT NULL PRIMARY KEY,
                    tenant {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    status SMALLINT NOT NULL,
                    expires_at_ms BIGINT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    closed_at_ms BIGINT,
                    release_reason TEXT NOT NULL DEFAULT ''
                )",
                // The expiry job scans HELD reservations by due time.
                "CREATE INDEX inv_reservations_due ON inv_reservations (status, expires_at_ms)",
                "CREATE TABLE inv_reservation_lines (
                    reservation_id {uuid} NOT NULL,
                    tenant {uuid} NOT NULL,
                    sku_id {uuid} NOT NULL,
                    location_id {uuid} NOT NULL,
                    quantity INTEGER NOT NULL CHECK (quantity > 0),
                    restocked INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (reservation_id, sku_id),
                    CHECK (restocked >= 0 AND restocked <= quantity)
                )",
                "CREATE TABLE inv_restocks (
                    tenant {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    refund_id TEXT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, order_id, refund_id)
                )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE inv_restocks",
                "DROP TABLE inv_reservation_lines",
                "DROP TABLE inv_reservations",
                "DROP TABLE inv_order_reservations",
            ],
        )
        .await
    }
}
