//! The coupon jobs: expiry and reminders, bulk grants to a segment.
//!
//! - `mem_coupons.expiry_reminded_at_ms` marks a coupon a CouponExpiring listed, and
//!   `mem_coupon_reminders` (member + Asia/Shanghai day) makes that event once per member and
//!   day; the partial index on AVAILABLE coupons by end of validity is what both scans read.
//! - `mem_coupon_grants` gains the progress of a bulk grant (state, the segment, what it grants,
//!   counts, the cursor of the last member served) and `mem_coupon_grant_members` holds the
//!   members of the segment when the grant started, which the job serves in id order.

use sea_orm_migration::prelude::*;

/// Adds the coupon expiry, reminder and bulk grant columns and tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "ALTER TABLE mem_coupons ADD COLUMN expiry_reminded_at_ms BIGINT",
                // Stored AVAILABLE (2) only: what can still expire or be reminded of.
                "CREATE INDEX mem_coupons_due ON mem_coupons (valid_until_ms) WHERE status = 2",
                "CREATE TABLE mem_coupon_reminders (
                    tenant {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    day TEXT NOT NULL,
                    coupon_count INTEGER NOT NULL,
                    days_ahead INTEGER NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, member_id, day)
                )",
                // 1 RUNNING, 2 COMPLETED (every grant before bulk grants), 3 FAILED.
                "ALTER TABLE mem_coupon_grants ADD COLUMN status SMALLINT NOT NULL DEFAULT 2",
                "ALTER TABLE mem_coupon_grants ADD COLUMN segment_id {uuid}",
                "ALTER TABLE mem_coupon_grants ADD COLUMN spec TEXT NOT NULL DEFAULT ''",
                "ALTER TABLE mem_coupon_grants ADD COLUMN processed_count INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE mem_coupon_grants ADD COLUMN skipped_count INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE mem_coupon_grants ADD COLUMN snapshot_at_ms BIGINT",
                "ALTER TABLE mem_coupon_grants ADD COLUMN cursor_member_id {uuid}",
                "ALTER TABLE mem_coupon_grants ADD COLUMN error_message TEXT NOT NULL DEFAULT ''",
                "ALTER TABLE mem_coupon_grants ADD COLUMN finished_at_ms BIGINT",
                "UPDATE mem_coupon_grants SET finished_at_ms = created_at_ms",
                "CREATE TABLE mem_coupon_grant_members (
                    tenant {uuid} NOT NULL,
                    grant_id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    PRIMARY KEY (tenant, grant_id, member_id)
                )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE mem_coupon_grant_members",
                "ALTER TABLE mem_coupon_grants DROP COLUMN finished_at_ms",
                "ALTER TABLE mem_coupon_grants DROP COLUMN error_message",
                "ALTER TABLE mem_coupon_grants DROP COLUMN cursor_member_id",
                "ALTER TABLE mem_coupon_grants DROP COLUMN snapshot_at_ms",
                "ALTER TABLE mem_coupon_grants DROP COLUMN skipped_count",
                "ALTER TABLE mem_coupon_grants DROP COLUMN processed_count",
                "ALTER TABLE mem_coupon_grants DROP COLUMN spec",
                "ALTER TABLE mem_coupon_grants DROP COLUMN segment_id",
                "ALTER TABLE mem_coupon_grants DROP COLUMN status",
                "DROP TABLE mem_coupon_reminders",
                "DROP INDEX mem_coupons_due",
                "ALTER TABLE mem_coupons DROP COLUMN expiry_reminded_at_ms",
            ],
        )
        .await
    }
}
