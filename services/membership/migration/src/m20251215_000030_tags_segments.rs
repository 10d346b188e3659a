//! Tags (标签) and segments (人群): the tenant's tags (manual ones by staff, system ones kept by
//! membership), which member carries which tag, saved segments and their frozen snapshots.
//!
//! `mem_member_tags` is what segment queries read: its primary key leads with the tag, so "members
//! carrying tag X" is one index range and a tag condition becomes a semi-join. Snapshots are
//! written with one `INSERT … SELECT`; their primary key (snapshot, member) is the export's order.

use sea_orm_migration::prelude::*;

/// Creates the tag and segment tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // code: NULL for manual tags (NULLs never collide in a unique index), the fixed
                // code of a system tag otherwise.
                "CREATE TABLE mem_tags (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    name TEXT NOT NULL,
                    tag_group TEXT NOT NULL DEFAULT '',
                    kind SMALLINT NOT NULL,
                    code TEXT,
                    store_id {uuid},
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE UNIQUE INDEX mem_tags_code ON mem_tags (tenant, code)",
                "CREATE UNIQUE INDEX mem_tags_name ON mem_tags (tenant, tag_group, name)",
                "CREATE TABLE mem_member_tags (
                    tenant {uuid} NOT NULL,
                    tag_id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, tag_id, member_id)
                )",
                "CREATE INDEX mem_member_tags_member ON mem_member_tags (tenant, member_id)",
                "CREATE TABLE mem_segments (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    name TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    expression TEXT NOT NULL,
                    scope_store_id {uuid},
                    last_count INTEGER NOT NULL DEFAULT 0,
                    last_evaluated_at_ms BIGINT,
                    archived BOOLEAN NOT NULL DEFAULT FALSE,
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE INDEX mem_segments_updated ON mem_segments (tenant, updated_at_ms, id)",
                "CREATE TABLE mem_segment_snapshots (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    segment_id {uuid} NOT NULL,
                    member_count INTEGER NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    expires_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE INDEX mem_segment_snapshots_segment ON mem_segment_snapshots \
                 (tenant, segment_id, expires_at_ms)",
                "CREATE TABLE mem_segment_members (
                    tenant {uuid} NOT NULL,
                    snapshot_id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    PRIMARY KEY (tenant, snapshot_id, member_id)
                )",
                // Attribute conditions most segments use.
                "CREATE INDEX mem_members_growth ON mem_members (tenant, growth_value)",
                "CREATE INDEX mem_balances_points ON mem_balances (tenant, points_available)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP INDEX mem_balances_points",
                "DROP INDEX mem_members_growth",
                "DROP TABLE mem_segment_members",
                "DROP TABLE mem_segment_snapshots",
                "DROP TABLE mem_segments",
                "DROP TABLE mem_member_tags",
                "DROP TABLE mem_tags",
            ],
        )
        .await
    }
}
