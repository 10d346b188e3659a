//! Page slots and their placements. A slot's code is unique in its tenant; placements are
//! replaced as a whole (SetSlotPlacements), so they carry no version of their own: the slot's
//! `row_version` is the etag of both.

use sea_orm_migration::prelude::*;

/// Creates the slot and placement tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // layout: SlotLayout numbers.
                "CREATE TABLE cnt_slots (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    code TEXT NOT NULL,
                    name TEXT NOT NULL,
                    page TEXT NOT NULL,
                    layout SMALLINT NOT NULL,
                    max_items INTEGER NOT NULL,
                    sort_order INTEGER NOT NULL,
                    enabled BOOLEAN NOT NULL,
                    row_version BIGINT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE UNIQUE INDEX cnt_slots_code ON cnt_slots (tenant, code)",
                // audience: the Audience as JSON; org_units / segments flattened as in
                // cnt_contents ('' = no limit).
                "CREATE TABLE cnt_placements (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    slot_id {uuid} NOT NULL,
                    content_id {uuid} NOT NULL,
                    org_units TEXT NOT NULL DEFAULT '',
                    segments TEXT NOT NULL DEFAULT '',
                    sort_order INTEGER NOT NULL,
                    start_ms BIGINT,
                    end_ms BIGINT,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE INDEX cnt_placements_slot ON cnt_placements (tenant, slot_id, sort_order)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &["DROP TABLE cnt_placements", "DROP TABLE cnt_slots"],
        )
        .await
    }
}
