//! After-sales and refunds: cases with their lines, refunds (the PSP refund of the cash part and
//! its compensation steps). Money never goes back twice: a case's units are taken from the order
//! line by a guarded update (`refunded_quantity + in_after_sale_quantity <= quantity`), and the
//! CHECKs here and on `ord_orders` / `ord_order_lines` refuse any total above what was paid.

use sea_orm_migration::prelude::*;

/// Creates the after-sale and refund tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // kind, status, reason: the AfterSaleKind / AfterSaleStatus / AfterSaleReason
                // numbers. extra: evidence URLs, decision, return address and parcel as JSON.
                "CREATE TABLE ord_after_sales (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    after_sale_no TEXT NOT NULL,
                    order_id {uuid} NOT NULL,
                    user_id {uuid} NOT NULL,
                    store_id {uuid},
                    kind SMALLINT NOT NULL,
                    status SMALLINT NOT NULL,
                    reason SMALLINT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    requested_fen BIGINT CHECK (requested_fen IS NULL OR requested_fen > 0),
                    shipping_refund_fen BIGINT NOT NULL DEFAULT 0 CHECK (shipping_refund_fen >= 0),
                    refund_fen BIGINT NOT NULL CHECK (refund_fen >= 0),
                    refund_points BIGINT NOT NULL DEFAULT 0 CHECK (refund_points >= 0),
                    full_refund BOOLEAN NOT NULL DEFAULT FALSE,
                    opened_by_kind SMALLINT NOT NULL,
                    opened_by_id TEXT NOT NULL DEFAULT '',
                    refund_id {uuid},
                    refund_issue TEXT NOT NULL DEFAULT '',
                    extra TEXT NOT NULL DEFAULT '{}',
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    closed_at_ms BIGINT,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE UNIQUE INDEX ord_after_sales_no ON ord_after_sales (after_sale_no)",
                "CREATE INDEX ord_after_sales_order ON ord_after_sales (tenant, order_id)",
                "CREATE INDEX ord_after_sales_created ON ord_after_sales (tenant, created_at_ms, id)",
                // The units of one order line in a case and the refund computed for them.
                "CREATE TABLE ord_after_sale_lines (
                    tenant {uuid} NOT NULL,
                    after_sale_id {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    order_line_id {uuid} NOT NULL,
                    line_no INTEGER NOT NULL,
                    quantity INTEGER NOT NULL CHECK (quantity >= 1),
                    cash_fen BIGINT NOT NULL CHECK (cash_fen >= 0),
                    stored_value_fen BIGINT NOT NULL CHECK (stored_value_fen >= 0),
                    points BIGINT NOT NULL CHECK (points >= 0),
                    PRIMARY KEY (tenant, after_sale_id, order_line_id)
                )",
                // reason, status, psp_status: RefundReason / RefundStatus / PspRefundStatus
                // numbers. refund_no is the PSP out_refund_no: one PSP refund per row, ever.
                // lines: the RefundLine list as JSON.
                "CREATE TABLE pay_refunds (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    refund_no TEXT NOT NULL,
                    order_id {uuid} NOT NULL,
                    order_no TEXT NOT NULL,
                    after_sale_id {uuid},
                    payment_id {uuid},
                    reason SMALLINT NOT NULL,
                    status SMALLINT NOT NULL,
                    cash_fen BIGINT NOT NULL CHECK (cash_fen >= 0),
                    shipping_fen BIGINT NOT NULL DEFAULT 0
                        CHECK (shipping_fen >= 0 AND shipping_fen <= cash_fen),
                    stored_value_fen BIGINT NOT NULL CHECK (stored_value_fen >= 0),
                    points BIGINT NOT NULL CHECK (points >= 0),
                    full_refund BOOLEAN NOT NULL DEFAULT FALSE,
                    psp_status SMALLINT NOT NULL,
                    psp_refund_id TEXT NOT NULL DEFAULT '',
                    psp_received_account TEXT NOT NULL DEFAULT '',
                    psp_succeeded_at_ms BIGINT,
                    lines TEXT NOT NULL DEFAULT '[]',
                    initiated_by TEXT NOT NULL DEFAULT '',
                    created_at_ms BIGINT NOT NULL,
                    succeeded_at_ms BIGINT,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE UNIQUE INDEX pay_refunds_no ON pay_refunds (refund_no)",
                "CREATE INDEX pay_refunds_order ON pay_refunds (tenant, order_id)",
                "CREATE INDEX pay_refunds_created ON pay_refunds (tenant, created_at_ms, id)",
                // One row per (refund, CompensationKind): each step runs exactly once. status:
                // CompensationStatus numbers.
                "CREATE TABLE pay_refund_steps (
                    tenant {uuid} NOT NULL,
                    refund_id {uuid} NOT NULL,
                    kind SMALLINT NOT NULL,
                    mechanism SMALLINT NOT NULL,
                    status SMALLINT NOT NULL,
                    amount_fen BIGINT NOT NULL DEFAULT 0 CHECK (amount_fen >= 0),
                    points BIGINT NOT NULL DEFAULT 0 CHECK (points >= 0),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT NOT NULL DEFAULT '',
                    completed_at_ms BIGINT,
                    PRIMARY KEY (tenant, refund_id, kind)
                )",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE pay_refund_steps",
                "DROP TABLE pay_refunds",
                "DROP TABLE ord_after_sale_lines",
                "DROP TABLE ord_after_sales",
            ],
        )
        .await
    }
}
