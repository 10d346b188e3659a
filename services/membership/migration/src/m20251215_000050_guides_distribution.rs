//! Guides (专属导购) and distribution (分销).
//!
//! Guides: the tenant's guide policy (does a consumer's latest scan replace a current guide; what
//! happens to a departed guide's members), the guides seen (those identity reported disabled take
//! no new bindings), and history indexes on `mem_guide_bindings` (created with the members).
//!
//! Distribution: invite codes, the commission policy and per-SKU rates, distributors, one row per
//! order that the order's events meet on (`mem_commission_orders`, locked by each of them), the
//! entries (one per order line and level — the unique key is what makes OrderPaid apply once),
//! the refunds seen per order (so a refund that arrives before its payment still counts), the
//! distributors' balances (each column `CHECK (>= 0)`) and withdrawals, at most one open per
//! member (a partial unique index).

use sea_orm_migration::prelude::*;

/// Creates the guide and distribution tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "CREATE TABLE mem_guide_policies (
                    tenant {uuid} NOT NULL PRIMARY KEY,
                    latest_scan_wins BOOLEAN NOT NULL DEFAULT FALSE,
                    succession SMALLINT NOT NULL DEFAULT 1,
                    updated_at_ms BIGINT NOT NULL
                )",
                // Every guide bound to: binds share the row, disabling updates it (see
                // `repo::members::guides::share_guide`).
                "CREATE TABLE mem_guides (
                    tenant {uuid} NOT NULL,
                    guide_id {uuid} NOT NULL,
                    disabled_at_ms BIGINT,
                    reason TEXT NOT NULL DEFAULT '',
                    PRIMARY KEY (tenant, guide_id)
                )",
                "CREATE INDEX mem_guide_bindings_member_history ON mem_guide_bindings \
                 (tenant, member_id, bound_at_ms)",
                "CREATE INDEX mem_guide_bindings_guide_history ON mem_guide_bindings \
                 (tenant, guide_id, bound_at_ms)",
                "CREATE INDEX mem_members_inviter ON mem_members \
                 (tenant, inviter_member_id, enrolled_at_ms)",
                "CREATE TABLE mem_invite_codes (
                    tenant {uuid} NOT NULL,
                    code TEXT NOT NULL,
                    member_id {uuid} NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, code)
                )",
                "CREATE UNIQUE INDEX mem_invite_codes_member ON mem_invite_codes (tenant, member_id)",
                "CREATE TABLE mem_commission_policies (
                    tenant {uuid} NOT NULL PRIMARY KEY,
                    enabled BOOLEAN NOT NULL,
                    open_to_all_members BOOLEAN NOT NULL,
                    level1_rate_bps INTEGER NOT NULL CHECK (level1_rate_bps BETWEEN 0 AND 5000),
                    level2_enabled BOOLEAN NOT NULL,
                    level2_rate_bps INTEGER NOT NULL CHECK (level2_rate_bps BETWEEN 0 AND 5000),
                    min_withdrawal BIGINT NOT NULL CHECK (min_withdrawal >= 0),
                    auto_approve_max BIGINT NOT NULL CHECK (auto_approve_max >= 0),
                    updated_at_ms BIGINT NOT NULL
                )",
                "CREATE TABLE mem_sku_commission_rates (
                    tenant {uuid} NOT NULL,
                    sku_id {uuid} NOT NULL,
                    level1_rate_bps INTEGER NOT NULL CHECK (level1_rate_bps BETWEEN 0 AND 5000),
                    level2_rate_bps INTEGER NOT NULL CHECK (level2_rate_bps BETWEEN 0 AND 5000),
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, sku_id)
                )",
                "CREATE TABLE mem_distributors (
                    tenant {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    enabled BOOLEAN NOT NULL,
                    reason TEXT NOT NULL DEFAULT '',
                    changed_by TEXT NOT NULL DEFAULT '',
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, member_id)
                )",
                "CREATE TABLE mem_commission_orders (
                    tenant {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    buyer_member_id {uuid},
                    paid BOOLEAN NOT NULL DEFAULT FALSE,
                    settled_at_ms BIGINT,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, order_id)
                )",
                "CREATE INDEX mem_commission_orders_buyer ON mem_commission_orders \
                 (tenant, buyer_member_id)",
                "CREATE TABLE mem_commission_entries (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    buyer_member_id {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    order_line_id TEXT NOT NULL,
                    sku_id TEXT NOT NULL,
                    level SMALLINT NOT NULL CHECK (level IN (1, 2)),
                    base_amount BIGINT NOT NULL CHECK (base_amount >= 0),
                    stored_value_counts BOOLEAN NOT NULL,
                    rate_bps INTEGER NOT NULL,
                    amount BIGINT NOT NULL CHECK (amount >= 0),
                    reversed_amount BIGINT NOT NULL DEFAULT 0 \
                        CHECK (reversed_amount >= 0 AND reversed_amount <= amount),
                    status SMALLINT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    settled_at_ms BIGINT,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE UNIQUE INDEX mem_commission_entries_line ON mem_commission_entries \
                 (tenant, order_id, order_line_id, level)",
                "CREATE INDEX mem_commission_entries_member ON mem_commission_entries \
                 (tenant, member_id, created_at_ms, id)",
                "CREATE TABLE mem_commission_refunds (
                    tenant {uuid} NOT NULL,
                    refund_id TEXT NOT NULL,
                    order_id {uuid} NOT NULL,
                    lines TEXT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, refund_id)
                )",
                "CREATE INDEX mem_commission_refunds_order ON mem_commission_refunds \
                 (tenant, order_id)",
                "CREATE TABLE mem_commission_balances (
                    tenant {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    available BIGINT NOT NULL DEFAULT 0 CHECK (available >= 0),
                    withdrawing BIGINT NOT NULL DEFAULT 0 CHECK (withdrawing >= 0),
                    paid_out BIGINT NOT NULL DEFAULT 0 CHECK (paid_out >= 0),
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, member_id)
                )",
                "CREATE TABLE mem_withdrawals (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    amount BIGINT NOT NULL CHECK (amount > 0),
                    status SMALLINT NOT NULL,
                    reason TEXT NOT NULL DEFAULT '',
                    reviewed_by TEXT NOT NULL DEFAULT '',
                    payout_reference TEXT NOT NULL DEFAULT '',
                    requested_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                // One open request (REQUESTED 1, APPROVED 2) per member at a time.
                "CREATE UNIQUE INDEX mem_withdrawals_open ON mem_withdrawals (tenant, member_id) \
                 WHERE status IN (1, 2)",
                "CREATE INDEX mem_withdrawals_list ON mem_withdrawals \
                 (tenant, requested_at_ms, id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE mem_withdrawals",
                "DROP TABLE mem_commission_balances",
                "DROP TABLE mem_commission_refunds",
                "DROP TABLE mem_commission_entries",
                "DROP TABLE mem_commission_orders",
                "DROP TABLE mem_distributors",
                "DROP TABLE mem_sku_commission_rates",
                "DROP TABLE mem_commission_policies",
                "DROP TABLE mem_invite_codes",
                "DROP INDEX mem_members_inviter",
                "DROP INDEX mem_guide_bindings_guide_history",
                "DROP INDEX mem_guide_bindings_member_history",
                "DROP TABLE mem_guides",
                "DROP TABLE mem_guide_policies",
            ],
        )
        .await
    }
}
