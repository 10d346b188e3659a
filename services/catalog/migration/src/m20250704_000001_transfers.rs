//! Stock transfers (调拨) between two locations of a tenant. The lines (SKU, quantity,
//! received quantity) are a JSON text column read and written with their row: a transfer is
//! always loaded whole and its state changes are one conditional `UPDATE … WHERE status = X`.

use sea_orm_migration::prelude::*;

/// Creates `inv_transfers`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "CREATE TABLE inv_transfers (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    transfer_no TEXT NOT NULL,
                    from_location_id {uuid} NOT NULL,
                    to_location_id {uuid} NOT NULL,
                    status SMALLINT NOT NULL,
                    lines TEXT NOT NULL,
                    note TEXT NOT NULL DEFAULT '',
                    tracking_reference TEXT NOT NULL DEFAULT '',
                    created_by TEXT NOT NULL DEFAULT '',
                    created_at_ms BIGINT NOT NULL,
                    shipped_at_ms BIGINT,
                    closed_at_ms BIGINT,
                    PRIMARY KEY (tenant, id),
                    CONSTRAINT inv_transfers_distinct_locations
                        CHECK (from_location_id <> to_location_id)
                )",
                "CREATE INDEX inv_transfers_from ON inv_transfers (tenant, from_location_id, id)",
                "CREATE INDEX inv_transfers_to ON inv_transfers (tenant, to_location_id, id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP INDEX inv_transfers_to",
                "DROP INDEX inv_transfers_from",
                "DROP TABLE inv_transfers",
            ],
        )
        .await
    }
}
