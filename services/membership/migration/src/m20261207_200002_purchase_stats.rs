//! Purchase statistics behind the system tags (RFM buckets, purchase stage): one row per
//! member and order (`mem_tag_orders`, what each order counts for, applied once per order
//! whatever the deliveries; a member's statistics are read from them and kept, as of its last
//! retagging, in `mem_purchase_stats`, the row that retagging locks), and the tenant's RFM
//! thresholds as last computed with the next nightly pass (`mem_rfm_thresholds`).

use sea_orm_migration::prelude::*;

/// Creates the purchase statistics tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // An order's row is created by whichever of its events comes first and locked
                // by each; every field only moves forward (`paid`, the amounts as the largest
                // cumulative figure seen, `fully_refunded`), so redeliveries and any order of
                // delivery end the same.
                "CREATE TABLE mem_tag_orders (
                    tenant {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    paid BOOLEAN NOT NULL DEFAULT FALSE,
                    paid_amount BIGINT NOT NULL DEFAULT 0 CHECK (paid_amount >= 0),
                    refunded_amount BIGINT NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
                    paid_at_ms BIGINT,
                    fully_refunded BOOLEAN NOT NULL DEFAULT FALSE,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, order_id)
                )",
                "CREATE INDEX mem_tag_orders_member ON mem_tag_orders (tenant, member_id)",
                // A member's statistics as of its last retagging; the row each retagging of
                // the member locks, so two orders' events of one member take turns.
                "CREATE TABLE mem_purchase_stats (
                    tenant {uuid} NOT NULL,
                    member_id {uuid} NOT NULL,
                    orders BIGINT NOT NULL DEFAULT 0,
                    orders_365d BIGINT NOT NULL DEFAULT 0,
                    amount_365d BIGINT NOT NULL DEFAULT 0,
                    first_at_ms BIGINT,
                    last_at_ms BIGINT,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, member_id)
                )",
                "CREATE TABLE mem_rfm_thresholds (
                    tenant {uuid} NOT NULL,
                    recency_days TEXT NOT NULL,
                    frequency TEXT NOT NULL,
                    monetary TEXT NOT NULL,
                    computed_at_ms BIGINT NOT NULL,
                    next_run_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant)
                )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE mem_rfm_thresholds",
                "DROP TABLE mem_purchase_stats",
                "DROP TABLE mem_tag_orders",
            ],
        )
        .await
    }
}
