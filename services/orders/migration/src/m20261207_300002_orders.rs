//! Orders: the tenant's order settings, the checkout saga's record per idempotency key, orders
//! with their lines and timeline, and the follow-up tasks (release, settle the paid order) that
//! are retried until they succeed.

use sea_orm_migration::prelude::*;

/// Creates the order tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // body: OrderSettings as JSON; absent row = the documented defaults.
                "CREATE TABLE ord_settings (
                    tenant {uuid} NOT NULL PRIMARY KEY,
                    body TEXT NOT NULL,
                    version BIGINT NOT NULL,
                    updated_by TEXT NOT NULL DEFAULT '',
                    updated_at_ms BIGINT NOT NULL
                )",
                // One row per checkout idempotency key. state: 1 running, 2 order created,
                // 3 failed and compensated. taken: what the saga holds remotely (JSON), so a
                // recovery after a crash releases exactly that.
                "CREATE TABLE ord_checkouts (
                    tenant {uuid} NOT NULL,
                    idempotency_key TEXT NOT NULL,
                    request_hash TEXT NOT NULL,
                    user_id {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    state SMALLINT NOT NULL,
                    taken TEXT NOT NULL DEFAULT '{}',
                    failure TEXT NOT NULL DEFAULT '',
                    started_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, idempotency_key)
                )",
                "CREATE INDEX ord_checkouts_running ON ord_checkouts (state, updated_at_ms)",
                "CREATE UNIQUE INDEX ord_checkouts_order ON ord_checkouts (tenant, order_id)",
                // detail: the priced snapshot (base64 of the contract's encoded Order: amounts,
                // steps, fulfilment, attribution, coupon ids, note); cancellation: JSON, once
                // cancelled.
                "CREATE TABLE ord_orders (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    order_no TEXT NOT NULL,
                    kind SMALLINT NOT NULL,
                    user_id {uuid} NOT NULL,
                    member_id {uuid},
                    store_id {uuid},
                    status SMALLINT NOT NULL,
                    after_sale_state SMALLINT NOT NULL,
                    payable_fen BIGINT NOT NULL CHECK (payable_fen >= 0),
                    paid_fen BIGINT NOT NULL DEFAULT 0 CHECK (paid_fen >= 0),
                    refunded_fen BIGINT NOT NULL DEFAULT 0
                        CHECK (refunded_fen >= 0 AND refunded_fen <= paid_fen),
                    pickup_code TEXT,
                    payment_deadline_ms BIGINT,
                    paid_at_ms BIGINT,
                    auto_complete_at_ms BIGINT,
                    completed_at_ms BIGINT,
                    after_sale_deadline_ms BIGINT,
                    settled_at_ms BIGINT,
                    cancellation TEXT,
                    detail TEXT NOT NULL,
                    version BIGINT NOT NULL DEFAULT 1,
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE UNIQUE INDEX ord_orders_no ON ord_orders (order_no)",
                "CREATE INDEX ord_orders_user ON ord_orders (tenant, user_id, created_at_ms, id)",
                "CREATE INDEX ord_orders_store ON ord_orders (tenant, store_id, created_at_ms, id)",
                "CREATE INDEX ord_orders_deadline ON ord_orders (status, payment_deadline_ms)",
                "CREATE INDEX ord_orders_pickup ON ord_orders (tenant, pickup_code)",
                // priced: base64 of the contract's encoded PricedLine (amounts, allocations).
                "CREATE TABLE ord_order_lines (
                    tenant {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    line_no INTEGER NOT NULL,
                    id {uuid} NOT NULL,
                    sku_id {uuid},
                    quantity INTEGER NOT NULL CHECK (quantity >= 1),
                    location_id TEXT NOT NULL DEFAULT '',
                    refunded_quantity INTEGER NOT NULL DEFAULT 0
                        CHECK (refunded_quantity >= 0 AND refunded_quantity <= quantity),
                    in_after_sale_quantity INTEGER NOT NULL DEFAULT 0
                        CHECK (in_after_sale_quantity >= 0),
                    net_fen BIGINT NOT NULL,
                    refunded_fen BIGINT NOT NULL DEFAULT 0
                        CHECK (refunded_fen >= 0 AND refunded_fen <= net_fen),
                    refunded_points BIGINT NOT NULL DEFAULT 0 CHECK (refunded_points >= 0),
                    priced TEXT NOT NULL,
                    PRIMARY KEY (tenant, order_id, line_no)
                )",
                "CREATE TABLE ord_timeline (
                    tenant {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    seq INTEGER NOT NULL,
                    kind SMALLINT NOT NULL,
                    from_status SMALLINT NOT NULL,
                    to_status SMALLINT NOT NULL,
                    actor_kind SMALLINT NOT NULL,
                    actor_id TEXT NOT NULL DEFAULT '',
                    reference_id TEXT NOT NULL DEFAULT '',
                    note TEXT NOT NULL DEFAULT '',
                    occurred_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, order_id, seq)
                )",
                // Remote follow-ups of an order, retried with backoff until done: kind
                // 'release' (give back what checkout took), 'settle_paid' (use coupons, capture
                // points and stored value, confirm the reservation), 'activate' (top-up or paid
                // plan). state: 1 pending, 2 done.
                "CREATE TABLE ord_tasks (
                    tenant {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    kind TEXT NOT NULL,
                    state SMALLINT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    due_at_ms BIGINT NOT NULL,
                    last_error TEXT NOT NULL DEFAULT '',
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, order_id, kind)
                )",
                "CREATE INDEX ord_tasks_due ON ord_tasks (state, due_at_ms)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE ord_tasks",
                "DROP TABLE ord_timeline",
                "DROP TABLE ord_order_lines",
                "DROP TABLE ord_orders",
                "DROP TABLE ord_checkouts",
                "DROP TABLE ord_settings",
            ],
        )
        .await
    }
}
