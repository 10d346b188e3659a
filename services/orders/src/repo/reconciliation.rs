//! `pay_bill_imports` and `pay_bill_rows`: a day's bill per tenant and provider, claimed by
//! whoever downloads it, and its rows once imported.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::reconciliation::{BillImport, import_status};
use crate::repo::{execute, fetch_all, fetch_one, opt_i64, placeholders, uuid};

pub mod local;
pub mod mismatches;
pub mod runs;

/// A day as stored.
pub(crate) fn day(d: NaiveDate) -> Value {
    d.format("%Y-%m-%d").to_string().into()
}

/// A stored day.
pub(crate) fn parse_day(s: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| AppError::Internal(format!("day {s}: {e}")))
}

/// Bill rows per INSERT (12 values each, well under every backend's parameter limit).
const ROWS_PER_INSERT: usize = 200;

const COLUMNS: &str = "id, provider, bill_date, merchant_id, status, payment_row_count, \
    refund_row_count, payment_total_fen, refund_total_fen, fee_total, file_sha256, error_reason, \
    requested_at_ms, imported_at_ms";

#[derive(Debug, FromQueryResult)]
struct ImportRow {
    id: Uuid,
    provider: i16,
    bill_date: String,
    merchant_id: String,
    status: i16,
    payment_row_count: i32,
    refund_row_count: i32,
    payment_total_fen: i64,
    refund_total_fen: i64,
    fee_total: i64,
    file_sha256: String,
    error_reason: String,
    requested_at_ms: i64,
    imported_at_ms: Option<i64>,
}

impl TryFrom<ImportRow> for BillImport {
    type Error = AppError;

    fn try_from(r: ImportRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            provider: r.provider,
            bill_date: parse_day(&r.bill_date)?,
            merchant_id: r.merchant_id,
            status: r.status,
            payment_row_count: r.payment_row_count,
            refund_row_count: r.refund_row_count,
            payment_total_fen: r.payment_total_fen,
            refund_total_fen: r.refund_total_fen,
            fee_total: r.fee_total,
            file_sha256: r.file_sha256,
            error_reason: r.error_reason,
            requested_at_ms: r.requested_at_ms,
            imported_at_ms: r.imported_at_ms,
        })
    }
}

/// Records the day's import DOWNLOADING unless the day has one; answers the day's import.
pub async fn request(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    provider: i16,
    bill_date: NaiveDate,
    merchant_id: &str,
    now_ms: i64,
) -> Result<BillImport, AppError> {
    execute(
        conn,
        "INSERT INTO pay_bill_imports (tenant, id, provider, bill_date, merchant_id, status,
             requested_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $6)
         ON CONFLICT (tenant, provider, bill_date) DO NOTHING",
        [
            uuid(tenant.0),
            uuid(siyu_core::id::new()),
            provider.into(),
            day(bill_date),
            merchant_id.into(),
            now_ms.into(),
        ],
    )
    .await?;
    of_day(conn, tenant, provider, bill_date)
        .await?
        .ok_or_else(|| AppError::Internal("bill import vanished".into()))
}

/// Starts the day's import over (DOWNLOADING, counts cleared) when it FAILED, or whatever its
/// status when `replace` — except one downloading right now. True when it restarted.
pub async fn restart(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    replace: bool,
    merchant_id: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let which = if replace { "status <> 1" } else { "status = 4" };
    let n = execute(
        conn,
        &format!(
            "UPDATE pay_bill_imports SET status = 1, merchant_id = $3, error_reason = '',
                 claim = '', claimed_at_ms = NULL, retry_at_ms = NULL, requested_at_ms = $4,
                 updated_at_ms = $4
             WHERE tenant = $1 AND id = $2 AND {which}"
        ),
        [uuid(tenant.0), uuid(id), merchant_id.into(), now_ms.into()],
    )
    .await?;
    Ok(n == 1)
}

/// Starts a FAILED import over when WeChat was unreachable and the failure is older than
/// `before_ms`; true for the one caller that did.
pub async fn retry_unavailable(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    before_ms: i64,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE pay_bill_imports SET status = 1, error_reason = '', claim = '',
             claimed_at_ms = NULL, retry_at_ms = NULL, updated_at_ms = $4
         WHERE tenant = $1 AND id = $2 AND status = 4
           AND error_reason = 'PAYMENT_PROVIDER_UNAVAILABLE' AND updated_at_ms < $3",
        [uuid(tenant.0), uuid(id), before_ms.into(), now_ms.into()],
    )
    .await?;
    Ok(n == 1)
}

/// The import `id`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<BillImport>, AppError> {
    let row: Option<ImportRow> = fetch_one(
        conn,
        &format!("SELECT {COLUMNS} FROM pay_bill_imports WHERE tenant = $1 AND id = $2"),
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    row.map(BillImport::try_from).transpose()
}

/// Locks the import's row until the transaction ends: a run reads one consistent set of rows
/// while a replacing download waits (and the other way round).
pub async fn lock(conn: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<(), AppError> {
    #[derive(FromQueryResult)]
    struct R {
        #[allow(dead_code, reason = "only the lock matters")]
        id: Uuid,
    }
    let _: Option<R> = fetch_one(
        conn,
        &format!(
            "SELECT id FROM pay_bill_imports WHERE tenant = $1 AND id = $2{}",
            crate::repo::for_update(conn)
        ),
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    Ok(())
}

/// The import of a day.
pub async fn of_day(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    provider: i16,
    bill_date: NaiveDate,
) -> Result<Option<BillImport>, AppError> {
    let row: Option<ImportRow> = fetch_one(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM pay_bill_imports
             WHERE tenant = $1 AND provider = $2 AND bill_date = $3"
        ),
        [uuid(tenant.0), provider.into(), day(bill_date)],
    )
    .await?;
    row.map(BillImport::try_from).transpose()
}

/// What ListBillImports filters on.
#[derive(Debug, Clone, Default)]
pub struct ImportFilter {
    /// bill_date ≥.
    pub from: Option<NaiveDate>,
    /// bill_date ≤.
    pub to: Option<NaiveDate>,
    /// Status numbers; empty = all.
    pub statuses: Vec<i16>,
}

/// The tenant's imports, newest day first, after the `(bill_date, id)` cursor.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &ImportFilter,
    after: Option<(String, Uuid)>,
    limit: u64,
) -> Result<Vec<BillImport>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM pay_bill_imports WHERE tenant = $1");
    let mut values = vec![uuid(tenant.0)];
    if let Some(from) = filter.from {
        values.push(day(from));
        sql.push_str(&format!(" AND bill_date >= ${}", values.len()));
    }
    if let Some(to) = filter.to {
        values.push(day(to));
        sql.push_str(&format!(" AND bill_date <= ${}", values.len()));
    }
    if !filter.statuses.is_empty() {
        let list: Vec<String> = filter.statuses.iter().map(i16::to_string).collect();
        sql.push_str(&format!(" AND status IN ({})", list.join(", ")));
    }
    if let Some((d, id)) = after {
        values.push(d.into());
        values.push(uuid(id));
        let (a, b) = (values.len() - 1, values.len());
        sql.push_str(&format!(
            " AND (bill_date < ${a} OR (bill_date = ${a} AND id < ${b}))"
        ));
    }
    sql.push_str(&format!(" ORDER BY bill_date DESC, id DESC LIMIT {limit}"));
    let rows: Vec<ImportRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter().map(BillImport::try_from).collect()
}

/// Claims the import for a download with `claim` when it is DOWNLOADING (or NOT_READY and due)
/// and nobody holds it, or its holder went quiet before `stale_before_ms`.
pub async fn claim(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    claim: &str,
    now_ms: i64,
    stale_before_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE pay_bill_imports SET claim = $3, claimed_at_ms = $4, status = 1,
             updated_at_ms = $4
         WHERE tenant = $1 AND id = $2
           AND ((status = 1 AND (claimed_at_ms IS NULL OR claimed_at_ms < $5))
             OR (status = 3 AND retry_at_ms <= $4))",
        [
            uuid(tenant.0),
            uuid(id),
            claim.into(),
            now_ms.into(),
            stale_before_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Imports waiting for a download: DOWNLOADING with a stale or no claim, NOT_READY and due.
pub async fn waiting(
    conn: &impl ConnectionTrait,
    now_ms: i64,
    stale_before_ms: i64,
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
            "SELECT tenant, id FROM pay_bill_imports
             WHERE (status = 1 AND (claimed_at_ms IS NULL OR claimed_at_ms < $2)
                    AND updated_at_ms < $2)
                OR (status = 3 AND retry_at_ms <= $1)
             ORDER BY updated_at_ms LIMIT {limit}"
        ),
        [now_ms.into(), stale_before_ms.into()],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (TenantId(r.tenant), r.id))
        .collect())
}

/// One bill line as stored.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct BillLine {
    /// Its line number in the file, from 1.
    pub line_no: i32,
    /// `MismatchSubject` number.
    pub subject: i16,
    /// 交易时间 (Asia/Shanghai).
    pub traded_at: String,
    /// 商户订单号.
    pub out_trade_no: String,
    /// 微信订单号.
    pub transaction_id: String,
    /// 商户退款单号.
    pub out_refund_no: String,
    /// 微信退款单号.
    pub refund_id: String,
    /// 交易状态.
    pub trade_state: String,
    /// 退款状态.
    pub refund_status: String,
    /// The payment (应结订单金额) or refund (退款金额) amount, fen.
    pub amount_fen: i64,
}

/// What an import found, recorded with its rows.
#[derive(Debug, Clone, Default)]
pub struct Imported {
    /// Payment rows.
    pub payment_rows: i32,
    /// Refund rows.
    pub refund_rows: i32,
    /// Σ payments, fen.
    pub payment_total_fen: i64,
    /// Σ refunds, fen.
    pub refund_total_fen: i64,
    /// Σ fees, 0.00001 yuan.
    pub fee_total: i64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// Replaces the import's rows and marks it IMPORTED, if `claim` still holds it.
pub async fn finish_imported(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    claim: &str,
    lines: &[BillLine],
    done: &Imported,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE pay_bill_imports SET status = 2, payment_row_count = $4, refund_row_count = $5,
             payment_total_fen = $6, refund_total_fen = $7, fee_total = $8, file_sha256 = $9,
             error_reason = '', claim = '', imported_at_ms = $10, updated_at_ms = $10
         WHERE tenant = $1 AND id = $2 AND status = 1 AND claim = $3",
        [
            uuid(tenant.0),
            uuid(id),
            claim.into(),
            done.payment_rows.into(),
            done.refund_rows.into(),
            done.payment_total_fen.into(),
            done.refund_total_fen.into(),
            done.fee_total.into(),
            done.sha256.clone().into(),
            now_ms.into(),
        ],
    )
    .await?;
    if n != 1 {
        return Ok(false);
    }
    execute(
        conn,
        "DELETE FROM pay_bill_rows WHERE tenant = $1 AND bill_import_id = $2",
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    // Many rows per statement: a busy merchant's day is tens of thousands of lines.
    for chunk in lines.chunks(ROWS_PER_INSERT) {
        let mut values = Vec::with_capacity(chunk.len() * 12);
        let mut tuples = Vec::with_capacity(chunk.len());
        for l in chunk {
            tuples.push(format!("({})", placeholders(values.len() + 1, 12)));
            values.extend([
                uuid(tenant.0),
                uuid(id),
                l.line_no.into(),
                l.subject.into(),
                l.traded_at.clone().into(),
                l.out_trade_no.clone().into(),
                l.transaction_id.clone().into(),
                l.out_refund_no.clone().into(),
                l.refund_id.clone().into(),
                l.trade_state.clone().into(),
                l.refund_status.clone().into(),
                l.amount_fen.into(),
            ]);
        }
        execute(
            conn,
            &format!(
                "INSERT INTO pay_bill_rows (tenant, bill_import_id, line_no, subject, traded_at,
                     out_trade_no, transaction_id, out_refund_no, refund_id, trade_state,
                     refund_status, amount_fen)
                 VALUES {}",
                tuples.join(", ")
            ),
            values,
        )
        .await?;
    }
    Ok(true)
}

/// How a download ended without rows.
#[derive(Debug, Clone, Copy)]
pub struct Unimported<'a> {
    /// NOT_READY or FAILED.
    pub status: i16,
    /// Why it failed (empty when NOT_READY).
    pub reason: &'a str,
    /// When to ask again (NOT_READY).
    pub retry_at_ms: Option<i64>,
}

/// Ends a download without rows (NOT_READY or FAILED), if `claim` still holds it.
pub async fn finish_unimported(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    claim: &str,
    end: Unimported<'_>,
    now_ms: i64,
) -> Result<bool, AppError> {
    debug_assert!(end.status == import_status::NOT_READY || end.status == import_status::FAILED);
    let n = execute(
        conn,
        "UPDATE pay_bill_imports SET status = $4, error_reason = $5, retry_at_ms = $6,
             claim = '', updated_at_ms = $7
         WHERE tenant = $1 AND id = $2 AND status = 1 AND claim = $3",
        [
            uuid(tenant.0),
            uuid(id),
            claim.into(),
            end.status.into(),
            end.reason.into(),
            opt_i64(end.retry_at_ms),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// The rows of an import, in file order.
pub async fn lines(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Vec<BillLine>, AppError> {
    Ok(fetch_all(
        conn,
        "SELECT line_no, subject, traded_at, out_trade_no, transaction_id, out_refund_no,
             refund_id, trade_state, refund_status, amount_fen
         FROM pay_bill_rows WHERE tenant = $1 AND bill_import_id = $2 ORDER BY line_no",
        [uuid(tenant.0), uuid(id)],
    )
    .await?)
}

/// Marks the day's daily run as started; true for the one caller that did.
pub async fn mark_daily_run(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE pay_bill_imports SET daily_run_at_ms = $3
         WHERE tenant = $1 AND id = $2 AND status = 2 AND daily_run_at_ms IS NULL",
        [uuid(tenant.0), uuid(id), now_ms.into()],
    )
    .await?;
    Ok(n == 1)
}

/// Tenants with a WeChat Pay merchant (a notify route is made on its first use).
pub async fn merchant_tenants(conn: &impl ConnectionTrait) -> Result<Vec<TenantId>, AppError> {
    #[derive(FromQueryResult)]
    struct R {
        tenant: Uuid,
    }
    let rows: Vec<R> = fetch_all(
        conn,
        "SELECT DISTINCT tenant FROM pay_notify_routes",
        Vec::<Value>::new(),
    )
    .await?;
    Ok(rows.into_iter().map(|r| TenantId(r.tenant)).collect())
}
