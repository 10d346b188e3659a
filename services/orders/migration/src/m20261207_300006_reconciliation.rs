//! Reconciliation (对账): the PSP's daily bills as imported (one per tenant, provider and day),
//! their rows, the runs matching them against payments and refunds, and the mismatches found.
//! Dates are the PSP's day in Asia/Shanghai, kept as `YYYY-MM-DD` text (which sorts by day).

use sea_orm_migration::prelude::*;

/// Creates the bill, run and mismatch tables.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                // status: BillImportStatus numbers. claim / claimed_at_ms: who is downloading it
                // now (a claim older than the stale limit died with its process). fee_total is
                // in 0.00001 yuan, as the bill writes fees. daily_run_at_ms: the daily job
                // started its run of this day (once).
                "CREATE TABLE pay_bill_imports (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    provider SMALLINT NOT NULL,
                    bill_date TEXT NOT NULL,
                    merchant_id TEXT NOT NULL DEFAULT '',
                    status SMALLINT NOT NULL,
                    payment_row_count INTEGER NOT NULL DEFAULT 0,
                    refund_row_count INTEGER NOT NULL DEFAULT 0,
                    payment_total_fen BIGINT NOT NULL DEFAULT 0,
                    refund_total_fen BIGINT NOT NULL DEFAULT 0,
                    fee_total BIGINT NOT NULL DEFAULT 0,
                    file_sha256 TEXT NOT NULL DEFAULT '',
                    error_reason TEXT NOT NULL DEFAULT '',
                    claim TEXT NOT NULL DEFAULT '',
                    claimed_at_ms BIGINT,
                    retry_at_ms BIGINT,
                    daily_run_at_ms BIGINT,
                    requested_at_ms BIGINT NOT NULL,
                    imported_at_ms BIGINT,
                    updated_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE UNIQUE INDEX pay_bill_imports_day ON pay_bill_imports (tenant, provider, bill_date)",
                "CREATE INDEX pay_bill_imports_status ON pay_bill_imports (status, updated_at_ms)",
                // One row per bill line. subject: MismatchSubject numbers (1 payment, 2 refund).
                "CREATE TABLE pay_bill_rows (
                    tenant {uuid} NOT NULL,
                    bill_import_id {uuid} NOT NULL,
                    line_no INTEGER NOT NULL,
                    subject SMALLINT NOT NULL,
                    traded_at TEXT NOT NULL DEFAULT '',
                    out_trade_no TEXT NOT NULL DEFAULT '',
                    transaction_id TEXT NOT NULL DEFAULT '',
                    out_refund_no TEXT NOT NULL DEFAULT '',
                    refund_id TEXT NOT NULL DEFAULT '',
                    trade_state TEXT NOT NULL DEFAULT '',
                    refund_status TEXT NOT NULL DEFAULT '',
                    amount_fen BIGINT NOT NULL,
                    PRIMARY KEY (tenant, bill_import_id, line_no)
                )",
                // status: ReconciliationRunStatus numbers; one RUNNING run per day at a time.
                "CREATE TABLE pay_reconciliation_runs (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    provider SMALLINT NOT NULL,
                    bill_date TEXT NOT NULL,
                    bill_import_id {uuid} NOT NULL,
                    status SMALLINT NOT NULL,
                    matched_count INTEGER NOT NULL DEFAULT 0,
                    mismatch_count INTEGER NOT NULL DEFAULT 0,
                    auto_resolved_count INTEGER NOT NULL DEFAULT 0,
                    local_payment_total_fen BIGINT NOT NULL DEFAULT 0,
                    psp_payment_total_fen BIGINT NOT NULL DEFAULT 0,
                    local_refund_total_fen BIGINT NOT NULL DEFAULT 0,
                    psp_refund_total_fen BIGINT NOT NULL DEFAULT 0,
                    error_reason TEXT NOT NULL DEFAULT '',
                    started_by_staff_id TEXT NOT NULL DEFAULT '',
                    started_at_ms BIGINT NOT NULL,
                    finished_at_ms BIGINT,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE UNIQUE INDEX pay_reconciliation_runs_running
                    ON pay_reconciliation_runs (tenant, provider, bill_date) WHERE status = 1",
                "CREATE INDEX pay_reconciliation_runs_started
                    ON pay_reconciliation_runs (tenant, started_at_ms, id)",
                "CREATE INDEX pay_reconciliation_runs_status
                    ON pay_reconciliation_runs (status, started_at_ms)",
                // kind, subject, resolution: MismatchKind / MismatchSubject / MismatchResolution
                // numbers. match_key names what differs ("P:<out_trade_no>", "R:<out_refund_no>")
                // so a later run of the day finds it again.
                "CREATE TABLE pay_reconciliation_mismatches (
                    tenant {uuid} NOT NULL,
                    id {uuid} NOT NULL,
                    run_id {uuid} NOT NULL,
                    provider SMALLINT NOT NULL,
                    bill_date TEXT NOT NULL,
                    match_key TEXT NOT NULL,
                    kind SMALLINT NOT NULL,
                    subject SMALLINT NOT NULL,
                    out_trade_no TEXT NOT NULL DEFAULT '',
                    out_refund_no TEXT NOT NULL DEFAULT '',
                    psp_transaction_id TEXT NOT NULL DEFAULT '',
                    psp_refund_id TEXT NOT NULL DEFAULT '',
                    order_id {uuid},
                    payment_id {uuid},
                    refund_id {uuid},
                    local_fen BIGINT,
                    psp_fen BIGINT,
                    local_status TEXT NOT NULL DEFAULT '',
                    psp_status TEXT NOT NULL DEFAULT '',
                    resolution SMALLINT NOT NULL DEFAULT 0,
                    resolution_note TEXT NOT NULL DEFAULT '',
                    resolved_by_staff_id TEXT NOT NULL DEFAULT '',
                    resolved_at_ms BIGINT,
                    detected_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (tenant, id)
                )",
                "CREATE INDEX pay_reconciliation_mismatches_day
                    ON pay_reconciliation_mismatches (tenant, bill_date, detected_at_ms, id)",
                "CREATE INDEX pay_reconciliation_mismatches_key
                    ON pay_reconciliation_mismatches (tenant, provider, bill_date, match_key)",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::run(
            manager,
            &[
                "DROP TABLE pay_reconciliation_mismatches",
                "DROP TABLE pay_reconciliation_runs",
                "DROP TABLE pay_bill_rows",
                "DROP TABLE pay_bill_imports",
            ],
        )
        .await
    }
}
