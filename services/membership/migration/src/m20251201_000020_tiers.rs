//! Tiers (等级) and growth (成长值): the tenant's tier ladder and tier policy, each member's
//! tier (one row, locked by every growth change of the member), the growth history
//! (business key unique per tenant) and the history of tier moves.

use sea_orm_migration::prelude::*;

/// Creates the tier tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "CREATE TABLE mem_tiers (
                    tenant {uuid} NOT NULL,
                    code TEXT NOT NULL,
                    name TEXT NOT NULL,
                    tier_rank INTEGER NOT NULL CHECK (tier_rank >= 1),
                    growth_threshold BIGINT NOT NULL CHECK (growth_threshold >= 0),
                    retain_growth BIGINT NOT NULL CHECK (retain_growth >= 0),
                    benefits TEXT NOT NULL,
                    card_image_url TEXT NOT NULL DEFAULT '',
                    archived BOOLEAN NOT NULL DEFAULT FALSE,
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, code)
                )",
                "CREATE TABLE mem_tier_policies (
                    tenant {uuid} NOT NULL PRIMARY KEY,
                    growth_per_yuan INTEGER NOT NULL,
                    evaluation_period_months INTEGER NOT NULL,
                    grace_period_days INTEGER NOT NULL,
                    updated_at_ms BIGINT NOT NULL
                )",
                // The growth value itself stays `mem_members.growth_value` (ListMembers sorts by
                // it). tier_code NULL: the member is in the entry tier, whatever it is.
                "CREATE TABLE mem_member_tiers (
                    tenant {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    tier_code TEXT,
                    achieved_at_ms BIGINT NOT NULL,
                    downgrade_at_ms BIGINT,
                    next_evaluation_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, member_id)
                )",
                "CREATE INDEX mem_member_tiers_code ON mem_member_tiers (tenant, tier_code)",
                "CREATE INDEX mem_member_tiers_due ON mem_member_tiers (next_evaluation_at_ms)",
                "CREATE TABLE mem_growth_changes (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    delta BIGINT NOT NULL,
                    balance_after BIGINT NOT NULL CHECK (balance_after >= 0),
                    source TEXT NOT NULL,
                    reference_id TEXT NOT NULL DEFAULT '',
                    reason TEXT NOT NULL DEFAULT '',
                    operator_id TEXT NOT NULL DEFAULT '',
                    idempotency_key TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id),
                    UNIQUE (tenant, idempotency_key)
                )",
                "CREATE INDEX mem_growth_changes_member ON mem_growth_changes \
                 (tenant, member_id, created_at_ms)",
                "CREATE TABLE mem_tier_changes (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    from_code TEXT NOT NULL,
                    to_code TEXT NOT NULL,
                    cause TEXT NOT NULL,
                    growth BIGINT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE INDEX mem_tier_changes_member ON mem_tier_changes (tenant, member_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE mem_tier_changes",
                "DROP TABLE mem_growth_changes",
                "DROP TABLE mem_member_tiers",
                "DROP TABLE mem_tier_policies",
                "DROP TABLE mem_tiers",
            ],
        )
        .await
    }
}
