//! Locations, stock levels and the movements journal.
//!
//! `inv_stock` carries the stock invariant as a CHECK as well: whatever the code does, the
//! database refuses a row with reserved < 0 or on_hand < reserved (available < 0).

use sea_orm_migration::prelude::*;

/// Creates `inv_locations`, `inv_stock`, `inv_movements` and `inv_receipts`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "CREATE TABLE inv_locations (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    kind SMALLINT NOT NULL,
                    name TEXT NOT NULL,
                    org_path TEXT NOT NULL,
                    province TEXT NOT NULL DEFAULT '',
                    city TEXT NOT NULL DEFAULT '',
                    district TEXT NOT NULL DEFAULT '',
                    detail TEXT NOT NULL DEFAULT '',
                    postal_code TEXT NOT NULL DEFAULT '',
                    contact_name TEXT NOT NULL DEFAULT '',
                    contact_phone TEXT NOT NULL DEFAULT '',
                    latitude DOUBLE PRECISION,
                    longitude DOUBLE PRECISION,
                    status SMALLINT NOT NULL,
                    pickup_enabled BOOLEAN NOT NULL,
                    delivery_enabled BOOLEAN NOT NULL,
                    delivery_radius_m INTEGER NOT NULL,
                    priority INTEGER NOT NULL,
                    opening_hours TEXT NOT NULL DEFAULT '',
                    default_low_threshold INTEGER NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE TABLE inv_stock (
                    tenant {uuid} NOT NULL,
                    sku_id {uuid} NOT NULL,
                    location_id {uuid} NOT NULL,
                    on_hand INTEGER NOT NULL DEFAULT 0,
                    reserved INTEGER NOT NULL DEFAULT 0,
                    in_transit INTEGER NOT NULL DEFAULT 0,
                    low_threshold INTEGER NOT NULL DEFAULT 0,
                    low_alerted BOOLEAN NOT NULL DEFAULT FALSE,
                    version BIGINT NOT NULL DEFAULT 0,
                    last_sync_ms BIGINT,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, sku_id, location_id),
                    CONSTRAINT inv_stock_available_nonnegative
                        CHECK (reserved >= 0 AND on_hand >= reserved AND in_transit >= 0)
                )",
                "CREATE INDEX inv_stock_location ON inv_stock (tenant, location_id, sku_id)",
                "CREATE TABLE inv_movements (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    sku_id {uuid} NOT NULL,
                    location_id {uuid} NOT NULL,
                    kind SMALLINT NOT NULL,
                    quantity INTEGER NOT NULL,
                    on_hand_after INTEGER NOT NULL,
                    reason SMALLINT NOT NULL DEFAULT 0,
                    note TEXT NOT NULL DEFAULT '',
                    order_id TEXT NOT NULL DEFAULT '',
                    refund_id TEXT NOT NULL DEFAULT '',
                    transfer_id TEXT NOT NULL DEFAULT '',
                    sync_id TEXT NOT NULL DEFAULT '',
                    reference TEXT NOT NULL DEFAULT '',
                    operator_id TEXT NOT NULL DEFAULT '',
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE INDEX inv_movements_location ON inv_movements (tenant, location_id, id)",
                "CREATE INDEX inv_movements_sku ON inv_movements (tenant, sku_id, id)",
                "CREATE INDEX inv_movements_order ON inv_movements (tenant, order_id)",
                "CREATE TABLE inv_receipts (
                    tenant {uuid} NOT NULL,
                    location_id {uuid} NOT NULL,
                    reference TEXT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, location_id, reference)
                )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE inv_receipts",
                "DROP TABLE inv_movements",
                "DROP TABLE inv_stock",
                "DROP TABLE inv_locations",
            ],
        )
        .await
    }
}
