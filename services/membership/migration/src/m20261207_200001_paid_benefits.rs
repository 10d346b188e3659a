//! Paid-membership benefits: the plan tier applied as a floor and the plan's extra points
//! multiplier (on the member's `mem_paid_memberships` row, as last applied at a period's start,
//! end or revocation, so each change of the floor publishes TierChanged once) and the coupon pack of
//! each month a member held a period (`mem_paid_packs`, primary key member + month: once per
//! member and month, whoever grants it).

use sea_orm_migration::prelude::*;

/// Adds the tier floor and the monthly pack record.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // The plan tier the member holds at least, as last applied (NULL: none).
                "ALTER TABLE mem_paid_memberships ADD COLUMN tier_floor TEXT",
                // The extra points multiplier applied now, bps (10000: none).
                "ALTER TABLE mem_paid_memberships ADD COLUMN points_multiplier_bps INTEGER \
                 NOT NULL DEFAULT 10000",
                // One row per member and Asia/Shanghai month (YYYYMM) whose pack was handled;
                // grant_id is the coupon grant (NULL when the plan had no pack).
                "CREATE TABLE mem_paid_packs (
                    tenant {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    month TEXT NOT NULL,
                    period_id {uuid} NOT NULL,
                    grant_id {uuid},
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, member_id, month)
                )",
                "CREATE INDEX mem_paid_packs_period ON mem_paid_packs (tenant, period_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE mem_paid_packs",
                "ALTER TABLE mem_paid_memberships DROP COLUMN points_multiplier_bps",
                "ALTER TABLE mem_paid_memberships DROP COLUMN tier_floor",
            ],
        )
        .await
    }
}
