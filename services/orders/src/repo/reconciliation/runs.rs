//! `pay_reconciliation_runs`: one matching of a day; at most one RUNNING per day (a partial
//! unique index), so concurrent starts converge on one run.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{day, parse_day};
use crate::AppError;
use crate::app::reconciliation::Run;
use crate::repo::{execute, fetch_all, fetch_one, for_update, uuid};

const COLUMNS: &str = "id, provider, bill_date, bill_import_id, status, matched_count, \
    mismatch_count, auto_resolved_count, local_payment_total_fen, psp_payment_total_fen, \
    local_refund_total_fen, psp_refund_total_fen, error_reason, started_by_staff_id, \
    started_at_ms, finished_at_ms";

#[derive(Debug, FromQueryResult)]
struct RunRow {
    id: Uuid,
    provider: i16,
    bill_date: String,
    bill_import_id: Uuid,
    status: i16,
    matched_count: i32,
    mismatch_count: i32,
    auto_resolved_count: i32,
    local_payment_total_fen: i64,
    psp_payment_total_fen: i64,
    local_refund_total_fen: i64,
    psp_refund_total_fen: i64,
    error_reason: String,
    started_by_staff_id: String,
    started_at_ms: i64,
    finished_at_ms: Option<i64>,
}

impl TryFrom<RunRow> for Run {
    type Error = AppError;

    fn try_from(r: RunRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            provider: r.provider,
            bill_date: parse_day(&r.bill_date)?,
            bill_import_id: r.bill_import_id,
            status: r.status,
            matched_count: r.matched_count,
            mismatch_count: r.mismatch_count,
            auto_resolved_count: r.auto_resolved_count,
            local_payment_total_fen: r.local_payment_total_fen,
            psp_payment_total_fen: r.psp_payment_total_fen,
            local_refund_total_fen: r.local_refund_total_fen,
            psp_refund_total_fen: r.psp_refund_total_fen,
            error_reason: r.error_reason,
            started_by_staff_id: r.started_by_staff_id,
            started_at_ms: r.started_at_ms,
            finished_at_ms: r.finished_at_ms,
        })
    }
}

/// Starts a RUNNING run of the day, or answers the one already RUNNING.
pub async fn start(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    provider: i16,
    bill_date: NaiveDate,
    bill_import_id: Uuid,
    staff_id: &str,
    now_ms: i64,
) -> Result<Run, AppError> {
    // A run finishing between the refused insert and the read: try again.
    for _ in 0..3 {
        execute(
            conn,
            "INSERT INTO pay_reconciliation_runs (tenant, id, provider, bill_date, bill_import_id,
                 status, started_by_staff_id, started_at_ms)
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7)
             ON CONFLICT (tenant, provider, bill_date) WHERE status = 1 DO NOTHING",
            [
                uuid(tenant.0),
                uuid(siyu_core::id::new()),
                provider.into(),
                day(bill_date),
                uuid(bill_import_id),
                staff_id.into(),
                now_ms.into(),
            ],
        )
        .await?;
        if let Some(run) = running(conn, tenant, provider, bill_date).await? {
            return Ok(run);
        }
    }
    Err(AppError::Internal("running reconciliation vanished".into()))
}

/// The day's RUNNING run.
pub async fn running(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    provider: i16,
    bill_date: NaiveDate,
) -> Result<Option<Run>, AppError> {
    let row: Option<RunRow> = fetch_one(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM pay_reconciliation_runs
             WHERE tenant = $1 AND provider = $2 AND bill_date = $3 AND status = 1"
        ),
        [uuid(tenant.0), provider.into(), day(bill_date)],
    )
    .await?;
    row.map(Run::try_from).transpose()
}

/// The run `id` (its row locked when `lock`).
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    lock: bool,
) -> Result<Option<Run>, AppError> {
    let lock = if lock { for_update(conn) } else { "" };
    let row: Option<RunRow> = fetch_one(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM pay_reconciliation_runs WHERE tenant = $1 AND id = $2{lock}"
        ),
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    row.map(Run::try_from).transpose()
}

/// The tenant's runs (of one day, when given), newest first, after `(started_at_ms, id)`.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    bill_date: Option<NaiveDate>,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<Run>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM pay_reconciliation_runs WHERE tenant = $1");
    let mut values = vec![uuid(tenant.0)];
    if let Some(d) = bill_date {
        values.push(day(d));
        sql.push_str(&format!(" AND bill_date = ${}", values.len()));
    }
    if let Some((at, id)) = after {
        values.push(at.into());
        values.push(uuid(id));
        let (a, b) = (values.len() - 1, values.len());
        sql.push_str(&format!(
            " AND (started_at_ms < ${a} OR (started_at_ms = ${a} AND id < ${b}))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY started_at_ms DESC, id DESC LIMIT {limit}"
    ));
    let rows: Vec<RunRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter().map(Run::try_from).collect()
}

/// RUNNING runs started before `before_ms` (their process may have died).
pub async fn stale(
    conn: &impl ConnectionTrait,
    before_ms: i64,
    limit: i64,
) -> Result<Vec<(TenantId, Uuid)>, AppError> {
    #[derive(FromQueryResult)]
    struct R {
        tenant: Uuid,
        id: Uuid,
    }
    let rows: Vec<R> = fetch_all(
        conn,
        &format!(
            "SELECT tenant, id FROM pay_reconciliation_runs
             WHERE status = 1 AND started_at_ms < $1 ORDER BY started_at_ms LIMIT {limit}"
        ),
        [before_ms.into()],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (TenantId(r.tenant), r.id))
        .collect())
}

/// A RUNNING run COMPLETED with its counts and totals (`r`'s).
pub async fn complete(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    r: &Run,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE pay_reconciliation_runs SET status = 2, matched_count = $3, mismatch_count = $4,
             auto_resolved_count = $5, local_payment_total_fen = $6, psp_payment_total_fen = $7,
             local_refund_total_fen = $8, psp_refund_total_fen = $9, finished_at_ms = $10
         WHERE tenant = $1 AND id = $2 AND status = 1",
        [
            uuid(tenant.0),
            uuid(r.id),
            r.matched_count.into(),
            r.mismatch_count.into(),
            r.auto_resolved_count.into(),
            r.local_payment_total_fen.into(),
            r.psp_payment_total_fen.into(),
            r.local_refund_total_fen.into(),
            r.psp_refund_total_fen.into(),
            r.finished_at_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// A RUNNING run FAILED with `reason`.
pub async fn fail(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    reason: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE pay_reconciliation_runs SET status = 3, error_reason = $3, finished_at_ms = $4
         WHERE tenant = $1 AND id = $2 AND status = 1",
        [uuid(tenant.0), uuid(id), reason.into(), now_ms.into()],
    )
    .await?;
    Ok(n == 1)
}
