//! What a merge of two members moved besides points, stored value and growth (unused coupons,
//! manual tags, commission entries and balance, invitees), one row per thing moved, so its
//! reversal gives back exactly what the merge moved and the kept member still has.

use sea_orm_migration::prelude::*;

/// Creates `mem_merge_moves`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // kind: coupon, tag_added (to the kept member), tag_removed (from the merged
                // one), invitee, commission_entry, commission_balance (item nil, amount fen).
                "CREATE TABLE mem_merge_moves (
                    tenant {uuid} NOT NULL,
                    merge_id {uuid} NOT NULL,
                    kind TEXT NOT NULL,
                    item_id {uuid} NOT NULL,
                    amount BIGINT NOT NULL DEFAULT 0,
                    PRIMARY KEY (tenant, merge_id, kind, item_id)
                )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(manager, &["DROP TABLE mem_merge_moves"]).await
    }
}
