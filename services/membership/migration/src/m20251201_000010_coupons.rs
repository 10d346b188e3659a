//! Coupons: templates with their issued count (the quota counter), what each member holds of a
//! template (the per-member counter), issued coupons, the lock of each order, packs, grants
//! (business key of GrantCoupons), restores (business key of RestoreCoupons) and dynamic
//! redemption codes.
//!
//! The counters carry `CHECK`s as a last line: the app refuses before they would be crossed,
//! the conditional updates refuse if it did not, and the database refuses if both failed.

use sea_orm_migration::prelude::*;

/// Creates the coupon tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // Locked (FOR UPDATE) by every issue of the template: claims and grants of one
                // template run one after another against its committed counts.
                "CREATE TABLE mem_coupon_templates (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    name TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    kind SMALLINT NOT NULL,
                    rule TEXT NOT NULL,
                    validity TEXT NOT NULL,
                    total_quota INTEGER NOT NULL CHECK (total_quota >= 0),
                    per_member_limit INTEGER NOT NULL CHECK (per_member_limit >= 0),
                    per_member_daily_limit INTEGER NOT NULL CHECK (per_member_daily_limit >= 0),
                    claimable BOOLEAN NOT NULL,
                    claim_starts_at_ms BIGINT,
                    claim_ends_at_ms BIGINT,
                    claim_tier_codes TEXT NOT NULL DEFAULT '[]',
                    claim_segment_id TEXT NOT NULL DEFAULT '',
                    points_price BIGINT NOT NULL DEFAULT 0 CHECK (points_price >= 0),
                    funder SMALLINT NOT NULL,
                    funder_id TEXT NOT NULL DEFAULT '',
                    status SMALLINT NOT NULL,
                    issued_count INTEGER NOT NULL DEFAULT 0
                        CHECK (issued_count >= 0 AND (total_quota = 0 OR issued_count <= total_quota)),
                    created_by TEXT NOT NULL DEFAULT '',
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE INDEX mem_coupon_templates_status ON mem_coupon_templates (tenant, status, id)",
                // What a member holds of a template (any status), by day for the daily limit.
                "CREATE TABLE mem_coupon_holdings (
                    tenant {uuid} NOT NULL,
                    template_id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    held INTEGER NOT NULL CHECK (held >= 0),
                    claimed_day TEXT NOT NULL DEFAULT '',
                    claimed_on_day INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (tenant, template_id, member_id)
                )",
                "CREATE TABLE mem_coupons (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    template_id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    name TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    status SMALLINT NOT NULL,
                    valid_from_ms BIGINT NOT NULL,
                    valid_until_ms BIGINT NOT NULL,
                    source SMALLINT NOT NULL,
                    attribution TEXT NOT NULL DEFAULT '{}',
                    grant_id {uuid},
                    order_id {uuid},
                    redeemed_store_id {uuid},
                    redeemed_by TEXT NOT NULL DEFAULT '',
                    pos_receipt_no TEXT NOT NULL DEFAULT '',
                    in_store_discount BIGINT NOT NULL DEFAULT 0,
                    issued_at_ms BIGINT NOT NULL,
                    used_at_ms BIGINT,
                    funder SMALLINT NOT NULL,
                    funder_id TEXT NOT NULL DEFAULT '',
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE INDEX mem_coupons_member ON mem_coupons (tenant, member_id, status, valid_until_ms)",
                "CREATE INDEX mem_coupons_template ON mem_coupons (tenant, template_id, status)",
                "CREATE INDEX mem_coupons_order ON mem_coupons (tenant, order_id)",
                "CREATE INDEX mem_coupons_grant ON mem_coupons (tenant, grant_id)",
                // One row per order: concurrent locks of one order meet on it.
                "CREATE TABLE mem_coupon_locks (
                    tenant {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    coupon_ids TEXT NOT NULL,
                    status SMALLINT NOT NULL,
                    attempt INTEGER NOT NULL DEFAULT 1,
                    reason TEXT NOT NULL DEFAULT '',
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, order_id)
                )",
                "CREATE TABLE mem_coupon_packs (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    name TEXT NOT NULL,
                    items TEXT NOT NULL,
                    pack_trigger SMALLINT NOT NULL,
                    enabled BOOLEAN NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                // One enabled pack per trigger.
                "CREATE UNIQUE INDEX mem_coupon_packs_trigger ON mem_coupon_packs (tenant, pack_trigger) \
                 WHERE enabled AND pack_trigger <> 0",
                // GrantCoupons' business key, and event packs' `event:<trigger>:<member>:<occasion>`.
                "CREATE TABLE mem_coupon_grants (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    grant_key TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    target_count INTEGER NOT NULL DEFAULT 0,
                    issued_count INTEGER NOT NULL DEFAULT 0,
                    skipped TEXT NOT NULL DEFAULT '[]',
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE UNIQUE INDEX mem_coupon_grants_key ON mem_coupon_grants (tenant, grant_key)",
                "CREATE TABLE mem_coupon_restores (
                    tenant {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    refund_id {uuid} NOT NULL,
                    coupon_ids TEXT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, order_id, refund_id)
                )",
                "CREATE TABLE mem_coupon_codes (
                    tenant {uuid} NOT NULL,
                    code TEXT NOT NULL,
                    coupon_id {uuid} NOT NULL,
                    expires_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, code)
                )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE mem_coupon_codes",
                "DROP TABLE mem_coupon_restores",
                "DROP TABLE mem_coupon_grants",
                "DROP TABLE mem_coupon_packs",
                "DROP TABLE mem_coupon_locks",
                "DROP TABLE mem_coupons",
                "DROP TABLE mem_coupon_holdings",
                "DROP TABLE mem_coupon_templates",
            ],
        )
        .await
    }
}
