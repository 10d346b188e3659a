//! What each order earned and what its refunds took back, and the expiry job's reminders.
//!
//! `mem_order_earnings` has one row per order, created by whichever of the order's events comes
//! first and locked by every later one: OrderPaid, OrderRefunded and OrderSettled of one order
//! meet on it, so they apply one at a time whatever order the bus delivers them in. It keeps
//! the base each effect was computed on, which reversals are proportional to.
//! `mem_order_refunds` has one row per (order, refund): the refunded lines as the event told
//! them, or the base / points ReverseEarnedPoints was given, and what was taken back — a refund
//! that arrives before its order's earning waits here until the earning applies it.
//! `mem_expiry_reminders` makes PointsExpiring once per member and expiry date.

use sea_orm_migration::prelude::*;

/// Creates `mem_order_earnings`, `mem_order_refunds`, `mem_expiry_reminders` and the index the
/// expiry job scans.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "CREATE TABLE mem_order_earnings (
                    tenant {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    paid BOOLEAN NOT NULL DEFAULT FALSE,
                    settled BOOLEAN NOT NULL DEFAULT FALSE,
                    points BIGINT NOT NULL DEFAULT 0 CHECK (points >= 0),
                    points_base BIGINT NOT NULL DEFAULT 0 CHECK (points_base >= 0),
                    points_entry_id {uuid},
                    net_of_refunds BOOLEAN NOT NULL DEFAULT FALSE,
                    stored_value_earns BOOLEAN NOT NULL DEFAULT FALSE,
                    excluded_category_ids TEXT NOT NULL DEFAULT '[]',
                    growth BIGINT NOT NULL DEFAULT 0 CHECK (growth >= 0),
                    growth_base BIGINT NOT NULL DEFAULT 0 CHECK (growth_base >= 0),
                    refunded_points_base BIGINT NOT NULL DEFAULT 0,
                    refunded_growth_base BIGINT NOT NULL DEFAULT 0,
                    points_reversed BIGINT NOT NULL DEFAULT 0 CHECK (points_reversed >= 0),
                    points_shortfall BIGINT NOT NULL DEFAULT 0 CHECK (points_shortfall >= 0),
                    growth_reversed BIGINT NOT NULL DEFAULT 0 CHECK (growth_reversed >= 0),
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, order_id),
                    CHECK (points_reversed + points_shortfall <= points),
                    CHECK (growth_reversed <= growth)
                )",
                "CREATE TABLE mem_order_refunds (
                    tenant {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    refund_id {uuid} NOT NULL,
                    lines TEXT NOT NULL DEFAULT '[]',
                    given_base BIGINT,
                    given_points BIGINT,
                    points_done BOOLEAN NOT NULL DEFAULT FALSE,
                    growth_done BOOLEAN NOT NULL DEFAULT FALSE,
                    points_reversed BIGINT NOT NULL DEFAULT 0 CHECK (points_reversed >= 0),
                    points_shortfall BIGINT NOT NULL DEFAULT 0 CHECK (points_shortfall >= 0),
                    growth_reversed BIGINT NOT NULL DEFAULT 0 CHECK (growth_reversed >= 0),
                    entry_id {uuid},
                    created_at_ms BIGINT NOT NULL,
                    reversed_at_ms BIGINT,
                    PRIMARY KEY (tenant, order_id, refund_id)
                )",
                "CREATE INDEX mem_order_refunds_reversed ON mem_order_refunds (tenant, reversed_at_ms)",
                "CREATE TABLE mem_expiry_reminders (
                    tenant {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    expires_at_ms BIGINT NOT NULL,
                    points BIGINT NOT NULL,
                    days_ahead INTEGER NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, member_id, expires_at_ms)
                )",
                "CREATE INDEX mem_lots_expiry ON mem_lots (expires_at_ms, tenant, member_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP INDEX mem_lots_expiry",
                "DROP TABLE mem_expiry_reminders",
                "DROP TABLE mem_order_refunds",
                "DROP TABLE mem_order_earnings",
            ],
        )
        .await
    }
}
