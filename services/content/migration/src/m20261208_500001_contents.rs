//! Content items and their versions. A version is immutable once written: its snapshot (body,
//! tags, products, audience) is JSON in `snapshot`. The item row carries what lists filter on:
//! the latest version's title and tags, and the live (published) version's snapshot with its
//! tags, products and audience flattened into `|a|b|` strings, so consumer lists filter in SQL
//! on both backends with `LIKE '%|x|%'`.

use sea_orm_migration::prelude::*;

/// Creates the content and version tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // kind: ContentKind numbers; status: ContentStatus numbers. row_version is the
                // etag, bumped by every change. live_*: the published version ('' when none);
                // live_org_units '' = every store, live_segments '' = no segment limit.
                "CREATE TABLE cnt_contents (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    kind SMALLINT NOT NULL,
                    status SMALLINT NOT NULL,
                    version INTEGER NOT NULL,
                    published_version INTEGER NOT NULL DEFAULT 0,
                    scheduled_version INTEGER,
                    scheduled_at_ms BIGINT,
                    first_published_at_ms BIGINT,
                    published_at_ms BIGINT,
                    expire_at_ms BIGINT,
                    owner_org_unit_id {uuid},
                    title TEXT NOT NULL,
                    tags TEXT NOT NULL DEFAULT '',
                    product_ids TEXT NOT NULL DEFAULT '',
                    live_snapshot TEXT NOT NULL DEFAULT '',
                    live_tags TEXT NOT NULL DEFAULT '',
                    live_products TEXT NOT NULL DEFAULT '',
                    live_org_units TEXT NOT NULL DEFAULT '',
                    live_segments TEXT NOT NULL DEFAULT '',
                    created_by TEXT NOT NULL,
                    updated_by TEXT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    row_version BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE INDEX cnt_contents_updated ON cnt_contents (tenant, updated_at_ms, id)",
                "CREATE INDEX cnt_contents_published ON cnt_contents (tenant, kind, published_at_ms, id)",
                // The scheduler's scan: every tenant's due items.
                "CREATE INDEX cnt_contents_scheduled ON cnt_contents (status, scheduled_at_ms)",
                "CREATE INDEX cnt_contents_expiring ON cnt_contents (status, expire_at_ms)",
                "CREATE TABLE cnt_versions (
                    tenant {uuid} NOT NULL,
                    content_id {uuid} NOT NULL,
                    version INTEGER NOT NULL,
                    snapshot TEXT NOT NULL,
                    note TEXT NOT NULL DEFAULT '',
                    created_by TEXT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, content_id, version)
                )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &["DROP TABLE cnt_versions", "DROP TABLE cnt_contents"],
        )
        .await
    }
}
