//! Payments (siyu.payments.v1, in the orders database so that a payment and its order change in
//! one transaction): payment attempts, the notification inbox keyed by the PSP's id, and the
//! notify route keys that name a tenant's merchant in the notify URL.

use sea_orm_migration::prelude::*;

/// Creates the payment tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // provider and status: the PaymentProvider / PaymentStatus numbers.
                // late_payment: the LatePayment record as JSON, when the order was cancelled.
                "CREATE TABLE pay_payments (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    order_id {uuid} NOT NULL,
                    order_no TEXT NOT NULL,
                    attempt_no INTEGER NOT NULL,
                    provider SMALLINT NOT NULL,
                    status SMALLINT NOT NULL,
                    amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
                    out_trade_no TEXT NOT NULL DEFAULT '',
                    app_id TEXT NOT NULL DEFAULT '',
                    mch_id TEXT NOT NULL DEFAULT '',
                    payer_openid TEXT NOT NULL DEFAULT '',
                    prepay_id TEXT NOT NULL DEFAULT '',
                    prepay_expires_at_ms BIGINT,
                    psp_transaction_id TEXT NOT NULL DEFAULT '',
                    psp_trade_state TEXT NOT NULL DEFAULT '',
                    bank_type TEXT NOT NULL DEFAULT '',
                    paid_at_ms BIGINT,
                    expires_at_ms BIGINT,
                    closed_at_ms BIGINT,
                    close_reason TEXT NOT NULL DEFAULT '',
                    refunded_fen BIGINT NOT NULL DEFAULT 0
                        CHECK (refunded_fen >= 0 AND refunded_fen <= amount_fen),
                    late_payment TEXT,
                    created_at_ms BIGINT NOT NULL,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE UNIQUE INDEX pay_payments_attempt ON pay_payments (tenant, order_id, attempt_no)",
                "CREATE INDEX pay_payments_trade ON pay_payments (tenant, out_trade_no)",
                // The inbox: one row per (kind, PSP id); a duplicate delivery only counts.
                "CREATE TABLE pay_notifications (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    provider SMALLINT NOT NULL,
                    kind SMALLINT NOT NULL,
                    psp_key TEXT NOT NULL,
                    psp_notification_id TEXT NOT NULL DEFAULT '',
                    event_type TEXT NOT NULL DEFAULT '',
                    out_trade_no TEXT NOT NULL DEFAULT '',
                    out_refund_no TEXT NOT NULL DEFAULT '',
                    payment_id {uuid},
                    refund_id {uuid},
                    psp_state TEXT NOT NULL DEFAULT '',
                    amount_fen BIGINT NOT NULL DEFAULT 0,
                    outcome SMALLINT NOT NULL,
                    delivery_count INTEGER NOT NULL DEFAULT 1,
                    first_received_at_ms BIGINT NOT NULL,
                    last_received_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE UNIQUE INDEX pay_notifications_key ON pay_notifications (tenant, kind, psp_key)",
                "CREATE INDEX pay_notifications_payment ON pay_notifications (tenant, payment_id)",
                // route_key: the opaque {route_key} of the notify URL, one per tenant merchant.
                "CREATE TABLE pay_notify_routes (
                    route_key TEXT NOT NULL PRIMARY KEY,
                    tenant {uuid} NOT NULL,
                    mch_id TEXT NOT NULL,
                    created_at_ms BIGINT NOT NULL
                )",
                "CREATE UNIQUE INDEX pay_notify_routes_merchant ON pay_notify_routes (tenant, mch_id)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE pay_notify_routes",
                "DROP TABLE pay_notifications",
                "DROP TABLE pay_payments",
            ],
        )
        .await
    }
}
