//! What orders keeps of the events it consumes: identity's merges (one row per merge and the
//! journal of every row it moved, so a reversal gives back exactly that) and erasures (the users
//! whose orders lose their addresses and names once past the legal retention).

use sea_orm_migration::prelude::*;

/// Creates `ord_merges`, `ord_merge_moves`, `ord_erasures` and `ord_orders.pii_stripped_at_ms`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // state: 1 merged, 2 reversed. A reversal arriving before its merge inserts the
                // row reversed, so the late merge finds it and moves nothing.
                "CREATE TABLE ord_merges (
                    tenant {uuid} NOT NULL,
                    merge_id {uuid} NOT NULL,
                    kept_user_id {uuid} NOT NULL,
                    merged_user_id {uuid} NOT NULL,
                    state SMALLINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, merge_id)
                )",
                // One row per row a merge moved (kind 'order', 'after_sale', 'checkout',
                // 'cart_line') or removed because the kept user's cart won ('cart_line_dropped',
                // 'cart': the line or the cart's fulfilment as JSON in `kept`).
                "CREATE TABLE ord_merge_moves (
                    tenant {uuid} NOT NULL,
                    merge_id {uuid} NOT NULL,
                    kind TEXT NOT NULL,
                    row_id {uuid} NOT NULL,
                    from_user_id {uuid} NOT NULL,
                    to_user_id {uuid} NOT NULL,
                    kept TEXT NOT NULL DEFAULT '{}',
                    PRIMARY KEY (tenant, merge_id, kind, row_id)
                )",
                "CREATE TABLE ord_erasures (
                    tenant {uuid} NOT NULL,
                    user_id {uuid} NOT NULL,
                    erased_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, user_id)
                )",
                // Set once the snapshot's addresses and contact names were stripped.
                "ALTER TABLE ord_orders ADD COLUMN pii_stripped_at_ms BIGINT",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "ALTER TABLE ord_orders DROP COLUMN pii_stripped_at_ms",
                "DROP TABLE ord_erasures",
                "DROP TABLE ord_merge_moves",
                "DROP TABLE ord_merges",
            ],
        )
        .await
    }
}
