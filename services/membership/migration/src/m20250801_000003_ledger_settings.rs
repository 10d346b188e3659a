//! What a tenant configures about its ledger and what top-ups it sold: the ledger policy (one
//! row per tenant, defaults until the first update), earning rules, top-up plans, and one row
//! per paid top-up order (the anchor of TopUpStoredValue and of its reversals).

use sea_orm_migration::prelude::*;

/// Creates the policy, rule, plan and top-up tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "CREATE TABLE mem_ledger_policies (
                    tenant {uuid} NOT NULL PRIMARY KEY,
                    points_per_yuan BIGINT NOT NULL,
                    max_points_deduction_bps INTEGER NOT NULL,
                    min_points_per_order BIGINT NOT NULL,
                    stored_value_enabled BOOLEAN NOT NULL,
                    points_transfer_enabled BOOLEAN NOT NULL,
                    expiry_mode SMALLINT NOT NULL,
                    expiry_days INTEGER NOT NULL,
                    expiry_reminder_days INTEGER NOT NULL,
                    restored_points_grace_days INTEGER NOT NULL,
                    stored_value_earns BOOLEAN NOT NULL,
                    updated_at_ms BIGINT NOT NULL
                )",
                "CREATE TABLE mem_earning_rules (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    name TEXT NOT NULL,
                    rule_trigger SMALLINT NOT NULL,
                    enabled BOOLEAN NOT NULL,
                    fixed_points BIGINT NOT NULL DEFAULT 0,
                    points_per_yuan INTEGER NOT NULL DEFAULT 0,
                    excluded_category_ids TEXT NOT NULL DEFAULT '[]',
                    credit_on_completion BOOLEAN NOT NULL DEFAULT FALSE,
                    check_in TEXT NOT NULL DEFAULT '',
                    daily_cap BIGINT NOT NULL DEFAULT 0,
                    starts_at_ms BIGINT,
                    ends_at_ms BIGINT,
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE INDEX mem_earning_rules_trigger ON mem_earning_rules (tenant, rule_trigger)",
                "CREATE TABLE mem_top_up_plans (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    name TEXT NOT NULL,
                    pay_amount BIGINT NOT NULL CHECK (pay_amount > 0),
                    bonus_amount BIGINT NOT NULL CHECK (bonus_amount >= 0),
                    bonus_points BIGINT NOT NULL DEFAULT 0,
                    coupon_pack_id {uuid},
                    per_member_limit INTEGER NOT NULL DEFAULT 0,
                    on_sale BOOLEAN NOT NULL,
                    starts_at_ms BIGINT,
                    ends_at_ms BIGINT,
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE TABLE mem_top_ups (
                    tenant {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    plan_id {uuid},
                    principal BIGINT NOT NULL CHECK (principal > 0),
                    bonus BIGINT NOT NULL CHECK (bonus >= 0),
                    reversed_principal BIGINT NOT NULL DEFAULT 0,
                    reversed_bonus BIGINT NOT NULL DEFAULT 0,
                    entry_id {uuid} NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, order_id),
                    CHECK (reversed_principal >= 0 AND reversed_principal <= principal),
                    CHECK (reversed_bonus >= 0 AND reversed_bonus <= bonus)
                )",
                // The per-member limit of a plan's bonus counts these.
                "CREATE INDEX mem_top_ups_plan ON mem_top_ups (tenant, member_id, plan_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE mem_top_ups",
                "DROP TABLE mem_top_up_plans",
                "DROP TABLE mem_earning_rules",
                "DROP TABLE mem_ledger_policies",
            ],
        )
        .await
    }
}
