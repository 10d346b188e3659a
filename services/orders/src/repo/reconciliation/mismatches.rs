//! `pay_reconciliation_mismatches`: what a run found, open until a later run finds it matching
//! (AUTO_MATCHED) or staff resolve it.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use super::day;
use crate::AppError;
use crate::app::reconciliation::Mismatch;
use crate::repo::{execute, fetch_all, fetch_one, opt_i64, opt_uuid, uuid};

const COLUMNS: &str = "id, run_id, bill_date, match_key, kind, subject, out_trade_no, \
    out_refund_no, psp_transaction_id, psp_refund_id, order_id, payment_id, refund_id, \
    local_fen, psp_fen, local_status, psp_status, resolution, resolution_note, \
    resolved_by_staff_id, resolved_at_ms, detected_at_ms";

#[derive(Debug, FromQueryResult)]
struct MismatchRow {
    id: Uuid,
    run_id: Uuid,
    bill_date: String,
    match_key: String,
    kind: i16,
    subject: i16,
    out_trade_no: String,
    out_refund_no: String,
    psp_transaction_id: String,
    psp_refund_id: String,
    order_id: Option<Uuid>,
    payment_id: Option<Uuid>,
    refund_id: Option<Uuid>,
    local_fen: Option<i64>,
    psp_fen: Option<i64>,
    local_status: String,
    psp_status: String,
    resolution: i16,
    resolution_note: String,
    resolved_by_staff_id: String,
    resolved_at_ms: Option<i64>,
    detected_at_ms: i64,
}

impl From<MismatchRow> for Mismatch {
    fn from(r: MismatchRow) -> Self {
        Self {
            id: r.id,
            run_id: r.run_id,
            bill_date: r.bill_date,
            match_key: r.match_key,
            kind: r.kind,
            subject: r.subject,
            out_trade_no: r.out_trade_no,
            out_refund_no: r.out_refund_no,
            psp_transaction_id: r.psp_transaction_id,
            psp_refund_id: r.psp_refund_id,
            order_id: r.order_id,
            payment_id: r.payment_id,
            refund_id: r.refund_id,
            local_fen: r.local_fen,
            psp_fen: r.psp_fen,
            local_status: r.local_status,
            psp_status: r.psp_status,
            resolution: r.resolution,
            resolution_note: r.resolution_note,
            resolved_by_staff_id: r.resolved_by_staff_id,
            resolved_at_ms: r.resolved_at_ms,
            detected_at_ms: r.detected_at_ms,
        }
    }
}

/// Records a new mismatch.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    provider: i16,
    m: &Mismatch,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO pay_reconciliation_mismatches (tenant, id, run_id, provider, bill_date,
             match_key, kind, subject, out_trade_no, out_refund_no, psp_transaction_id,
             psp_refund_id, order_id, payment_id, refund_id, local_fen, psp_fen, local_status,
             psp_status, detected_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
             $19, $20)",
        [
            uuid(tenant.0),
            uuid(m.id),
            uuid(m.run_id),
            provider.into(),
            m.bill_date.clone().into(),
            m.match_key.clone().into(),
            m.kind.into(),
            m.subject.into(),
            m.out_trade_no.clone().into(),
            m.out_refund_no.clone().into(),
            m.psp_transaction_id.clone().into(),
            m.psp_refund_id.clone().into(),
            opt_uuid(m.order_id),
            opt_uuid(m.payment_id),
            opt_uuid(m.refund_id),
            opt_i64(m.local_fen),
            opt_i64(m.psp_fen),
            m.local_status.clone().into(),
            m.psp_status.clone().into(),
            m.detected_at_ms.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Every mismatch of a day (open and resolved).
pub async fn of_day(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    provider: i16,
    bill_date: NaiveDate,
) -> Result<Vec<Mismatch>, AppError> {
    let rows: Vec<MismatchRow> = fetch_all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM pay_reconciliation_mismatches
             WHERE tenant = $1 AND provider = $2 AND bill_date = $3"
        ),
        [uuid(tenant.0), provider.into(), day(bill_date)],
    )
    .await?;
    Ok(rows.into_iter().map(Mismatch::from).collect())
}

/// The mismatch `id`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Mismatch>, AppError> {
    let row: Option<MismatchRow> = fetch_one(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM pay_reconciliation_mismatches WHERE tenant = $1 AND id = $2"
        ),
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    Ok(row.map(Mismatch::from))
}

/// Resolves an open mismatch; false when it is not open (or not there).
pub async fn resolve(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    resolution: i16,
    note: &str,
    staff_id: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE pay_reconciliation_mismatches SET resolution = $3, resolution_note = $4,
             resolved_by_staff_id = $5, resolved_at_ms = $6
         WHERE tenant = $1 AND id = $2 AND resolution = 0",
        [
            uuid(tenant.0),
            uuid(id),
            resolution.into(),
            note.into(),
            staff_id.into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// What ListMismatches filters on.
#[derive(Debug, Clone, Default)]
pub struct MismatchFilter {
    /// bill_date ≥.
    pub from: Option<NaiveDate>,
    /// bill_date ≤.
    pub to: Option<NaiveDate>,
    /// Found by this run.
    pub run_id: Option<Uuid>,
    /// Kind numbers; empty = all.
    pub kinds: Vec<i16>,
    /// Resolved ones too.
    pub include_resolved: bool,
    /// This out_trade_no only.
    pub out_trade_no: Option<String>,
    /// detected_at ≥.
    pub detected_from_ms: Option<i64>,
}

/// The tenant's mismatches, oldest day first, after the `(bill_date, detected_at_ms, id)` cursor.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &MismatchFilter,
    after: Option<(String, i64, Uuid)>,
    limit: u64,
) -> Result<Vec<Mismatch>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM pay_reconciliation_mismatches WHERE tenant = $1");
    let mut values = vec![uuid(tenant.0)];
    let and =
        |sql: &mut String, values: &mut Vec<sea_orm::Value>, v: sea_orm::Value, cond: &str| {
            values.push(v);
            sql.push_str(&format!(" AND {cond} ${}", values.len()));
        };
    if let Some(d) = f.from {
        and(&mut sql, &mut values, day(d), "bill_date >=");
    }
    if let Some(d) = f.to {
        and(&mut sql, &mut values, day(d), "bill_date <=");
    }
    if let Some(id) = f.run_id {
        and(&mut sql, &mut values, uuid(id), "run_id =");
    }
    if let Some(no) = &f.out_trade_no {
        and(&mut sql, &mut values, no.clone().into(), "out_trade_no =");
    }
    if let Some(at) = f.detected_from_ms {
        and(&mut sql, &mut values, at.into(), "detected_at_ms >=");
    }
    if !f.kinds.is_empty() {
        let list: Vec<String> = f.kinds.iter().map(i16::to_string).collect();
        sql.push_str(&format!(" AND kind IN ({})", list.join(", ")));
    }
    if !f.include_resolved {
        sql.push_str(" AND resolution = 0");
    }
    if let Some((d, at, id)) = after {
        values.push(d.into());
        values.push(at.into());
        values.push(uuid(id));
        let (a, b, c) = (values.len() - 2, values.len() - 1, values.len());
        sql.push_str(&format!(
            " AND (bill_date > ${a} OR (bill_date = ${a} AND (detected_at_ms > ${b}
                 OR (detected_at_ms = ${b} AND id > ${c}))))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY bill_date, detected_at_ms, id LIMIT {limit}"
    ));
    let rows: Vec<MismatchRow> = fetch_all(conn, &sql, values).await?;
    Ok(rows.into_iter().map(Mismatch::from).collect())
}
