//! Paid membership (付费会员): the tenant's plans, one row per member who ever bought (the
//! auto-renew preference, and the lock every activation and revocation of the member takes),
//! and the bought periods (one per paying order, `UNIQUE (tenant, order_id)`).

use sea_orm_migration::prelude::*;

/// Creates the paid-membership tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "CREATE TABLE mem_paid_plans (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    name TEXT NOT NULL,
                    period SMALLINT NOT NULL,
                    price BIGINT NOT NULL CHECK (price > 0),
                    first_period_price BIGINT CHECK (first_period_price > 0),
                    tier_code TEXT NOT NULL DEFAULT '',
                    coupon_pack_id {uuid},
                    points_multiplier_bps INTEGER NOT NULL,
                    display_benefits TEXT NOT NULL,
                    on_sale BOOLEAN NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE TABLE mem_paid_memberships (
                    tenant {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    auto_renew BOOLEAN NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, member_id)
                )",
                // Periods of one member never overlap: each starts at the later of its payment
                // and the end of the member's last period, under the member's row lock.
                "CREATE TABLE mem_paid_periods (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    plan_id {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    amount_paid BIGINT NOT NULL CHECK (amount_paid >= 0),
                    starts_at_ms BIGINT NOT NULL,
                    ends_at_ms BIGINT NOT NULL,
                    renewal BOOLEAN NOT NULL,
                    revoked_at_ms BIGINT,
                    refund_id {uuid},
                    revoke_reason TEXT NOT NULL DEFAULT '',
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id),
                    UNIQUE (tenant, order_id),
                    CHECK (ends_at_ms > starts_at_ms)
                )",
                "CREATE INDEX mem_paid_periods_member ON mem_paid_periods \
                 (tenant, member_id, starts_at_ms)",
                "CREATE INDEX mem_paid_periods_ends ON mem_paid_periods (tenant, ends_at_ms)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE mem_paid_periods",
                "DROP TABLE mem_paid_memberships",
                "DROP TABLE mem_paid_plans",
            ],
        )
        .await
    }
}
