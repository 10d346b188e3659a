//! `pay_payments`: one row per payment attempt.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{execute, fetch_all, fetch_one, for_update, stored, uuid};
use crate::AppError;
use crate::app::payments::{LatePayment, Payment, PaymentStatus, Provider};

const COLUMNS: &str = "id, order_id, order_no, attempt_no, provider, status, amount_fen, \
    out_trade_no, app_id, mch_id, payer_openid, prepay_id, prepay_expires_at_ms, \
    psp_transaction_id, psp_trade_state, bank_type, paid_at_ms, expires_at_ms, closed_at_ms, \
    close_reason, refunded_fen, late_payment, created_at_ms, updated_at_ms";

#[derive(Debug, FromQueryResult)]
struct PaymentRow {
    id: Uuid,
    order_id: Uuid,
    order_no: String,
    attempt_no: i32,
    provider: i16,
    status: i16,
    amount_fen: i64,
    out_trade_no: String,
    app_id: String,
    mch_id: String,
    payer_openid: String,
    prepay_id: String,
    prepay_expires_at_ms: Option<i64>,
    psp_transaction_id: String,
    psp_trade_state: String,
    bank_type: String,
    paid_at_ms: Option<i64>,
    expires_at_ms: Option<i64>,
    closed_at_ms: Option<i64>,
    close_reason: String,
    refunded_fen: i64,
    late_payment: Option<String>,
    created_at_ms: i64,
    updated_at_ms: i64,
}

impl TryFrom<PaymentRow> for Payment {
    type Error = AppError;

    fn try_from(r: PaymentRow) -> Result<Self, AppError> {
        let late_payment = r
            .late_payment
            .as_deref()
            .map(serde_json::from_str::<LatePayment>)
            .transpose()
            .map_err(|e| AppError::Internal(format!("column late_payment: {e}")))?;
        Ok(Self {
            id: r.id,
            order_id: r.order_id,
            order_no: r.order_no,
            attempt_no: r.attempt_no,
            provider: stored::<Provider>(r.provider)?,
            status: stored::<PaymentStatus>(r.status)?,
            amount_fen: r.amount_fen,
            out_trade_no: r.out_trade_no,
            app_id: r.app_id,
            mch_id: r.mch_id,
            payer_openid: r.payer_openid,
            prepay_id: r.prepay_id,
            prepay_expires_at_ms: r.prepay_expires_at_ms,
            psp_transaction_id: r.psp_transaction_id,
            psp_trade_state: r.psp_trade_state,
            bank_type: r.bank_type,
            paid_at_ms: r.paid_at_ms,
            expires_at_ms: r.expires_at_ms,
            closed_at_ms: r.closed_at_ms,
            close_reason: r.close_reason,
            refunded_fen: r.refunded_fen,
            late_payment,
            created_at_ms: r.created_at_ms,
            updated_at_ms: r.updated_at_ms,
        })
    }
}

fn rows(rows: Vec<PaymentRow>) -> Result<Vec<Payment>, AppError> {
    rows.into_iter().map(Payment::try_from).collect()
}

/// Records a new attempt.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &Payment,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO pay_payments (tenant, id, order_id, order_no, attempt_no, provider, status,
            amount_fen, out_trade_no, app_id, mch_id, payer_openid, expires_at_ms,
            created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        vec![
            uuid(tenant.0),
            uuid(p.id),
            uuid(p.order_id),
            p.order_no.clone().into(),
            p.attempt_no.into(),
            (p.provider as i16).into(),
            (p.status as i16).into(),
            p.amount_fen.into(),
            p.out_trade_no.clone().into(),
            p.app_id.clone().into(),
            p.mch_id.clone().into(),
            p.payer_openid.clone().into(),
            Value::BigInt(p.expires_at_ms),
            p.created_at_ms.into(),
            p.updated_at_ms.into(),
        ],
    )
    .await
    .map(drop)
}

/// One payment (locked for the transaction when `lock`).
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    lock: bool,
) -> Result<Option<Payment>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM pay_payments WHERE tenant = $1 AND id = $2{}",
        for_update(conn, lock)
    );
    let row: Option<PaymentRow> = fetch_one(conn, &sql, vec![uuid(tenant.0), uuid(id)]).await?;
    row.map(Payment::try_from).transpose()
}

/// The attempt with `out_trade_no` (locked when `lock`).
pub async fn by_out_trade_no(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    out_trade_no: &str,
    lock: bool,
) -> Result<Option<Payment>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM pay_payments WHERE tenant = $1 AND out_trade_no = $2 \
         AND provider = 1{}",
        for_update(conn, lock)
    );
    let row: Option<PaymentRow> =
        fetch_one(conn, &sql, vec![uuid(tenant.0), out_trade_no.into()]).await?;
    row.map(Payment::try_from).transpose()
}

/// Every attempt of an order, newest first.
pub async fn of_order(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
) -> Result<Vec<Payment>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM pay_payments WHERE tenant = $1 AND order_id = $2 \
         ORDER BY attempt_no DESC"
    );
    rows(fetch_all(conn, &sql, vec![uuid(tenant.0), uuid(order_id)]).await?)
}

/// What a list of payments is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    /// Only this order's attempts.
    pub order_id: Option<Uuid>,
    /// Only these statuses (empty: all).
    pub statuses: Vec<i16>,
    /// Only these providers (empty: all).
    pub providers: Vec<i16>,
    /// Only payments with a LatePayment record.
    pub late_only: bool,
    /// created_at ≥ this.
    pub created_from_ms: Option<i64>,
    /// created_at < this.
    pub created_to_ms: Option<i64>,
}

/// One page of payments, newest first, after the `(created_at_ms, id)` cursor.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &PaymentFilter,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<Payment>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM pay_payments WHERE tenant = $1");
    let mut values = vec![uuid(tenant.0)];
    let mut push = |sql: &mut String, clause: &str, value: Value| {
        values.push(value);
        sql.push_str(&clause.replace("$?", &format!("${}", values.len())));
    };
    if let Some(order_id) = filter.order_id {
        push(&mut sql, " AND order_id = $?", uuid(order_id));
    }
    if let Some(from) = filter.created_from_ms {
        push(&mut sql, " AND created_at_ms >= $?", from.into());
    }
    if let Some(to) = filter.created_to_ms {
        push(&mut sql, " AND created_at_ms < $?", to.into());
    }
    if let Some((at, id)) = after {
        push(&mut sql, " AND (created_at_ms < $?", at.into());
        push(&mut sql, " OR (created_at_ms = $?", at.into());
        push(&mut sql, " AND id < $?))", uuid(id));
    }
    for (column, set) in [
        ("status", &filter.statuses),
        ("provider", &filter.providers),
    ] {
        if !set.is_empty() {
            let list = set
                .iter()
                .map(i16::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            sql.push_str(&format!(" AND {column} IN ({list})"));
        }
    }
    if filter.late_only {
        sql.push_str(" AND late_payment IS NOT NULL");
    }
    sql.push_str(&format!(
        " ORDER BY created_at_ms DESC, id DESC LIMIT {limit}"
    ));
    rows(fetch_all(conn, &sql, values).await?)
}

/// The next attempt number of an order.
pub async fn next_attempt_no(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
) -> Result<i32, AppError> {
    #[derive(Debug, FromQueryResult)]
    struct Max {
        n: Option<i32>,
    }
    let row: Option<Max> = fetch_one(
        conn,
        "SELECT MAX(attempt_no) AS n FROM pay_payments WHERE tenant = $1 AND order_id = $2",
        vec![uuid(tenant.0), uuid(order_id)],
    )
    .await?;
    Ok(row.and_then(|r| r.n).unwrap_or(0) + 1)
}

/// Records the prepay of an attempt: PENDING with its prepay id.
#[allow(clippy::too_many_arguments, reason = "one prepay has this many facts")]
pub async fn set_prepay(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    app_id: &str,
    mch_id: &str,
    payer_openid: &str,
    prepay_id: &str,
    prepay_expires_at_ms: i64,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE pay_payments SET status = 2, app_id = $3, mch_id = $4, payer_openid = $5,
            prepay_id = $6, prepay_expires_at_ms = $7, updated_at_ms = $8
         WHERE tenant = $1 AND id = $2 AND status IN (1, 2)",
        vec![
            uuid(tenant.0),
            uuid(id),
            app_id.into(),
            mch_id.into(),
            payer_openid.into(),
            prepay_id.into(),
            prepay_expires_at_ms.into(),
            now_ms.into(),
        ],
    )
    .await
    .map(drop)
}

/// What a PSP success records on its payment.
#[derive(Debug, Clone)]
pub struct Success<'a> {
    /// The PSP transaction id.
    pub transaction_id: &'a str,
    /// The trade state (`SUCCESS`).
    pub trade_state: &'a str,
    /// The payer's bank type.
    pub bank_type: &'a str,
    /// When the PSP received the money.
    pub paid_at_ms: i64,
    /// The late-payment record, when the order was no longer waiting.
    pub late: Option<&'a LatePayment>,
}

/// Records where the payment's late success is now.
pub async fn set_late(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    late: &LatePayment,
    now_ms: i64,
) -> Result<(), AppError> {
    let late = serde_json::to_string(late)
        .map_err(|e| AppError::Internal(format!("late payment: {e}")))?;
    execute(
        conn,
        "UPDATE pay_payments SET late_payment = $3, updated_at_ms = $4
         WHERE tenant = $1 AND id = $2",
        vec![uuid(tenant.0), uuid(id), late.into(), now_ms.into()],
    )
    .await?;
    Ok(())
}

/// The payment SUCCEEDED (from any non-final status; CLOSED too: the PSP close raced the payer).
pub async fn succeed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    s: &Success<'_>,
    now_ms: i64,
) -> Result<u64, AppError> {
    let late = s
        .late
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| AppError::Internal(format!("late payment: {e}")))?;
    execute(
        conn,
        "UPDATE pay_payments SET status = 3, psp_transaction_id = $3, psp_trade_state = $4,
            bank_type = $5, paid_at_ms = $6, late_payment = $7, updated_at_ms = $8
         WHERE tenant = $1 AND id = $2 AND status <> 3",
        vec![
            uuid(tenant.0),
            uuid(id),
            s.transaction_id.into(),
            s.trade_state.into(),
            s.bank_type.into(),
            s.paid_at_ms.into(),
            Value::String(late),
            now_ms.into(),
        ],
    )
    .await
}

/// Records the trade state the PSP reported, without changing the status.
pub async fn set_trade_state(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    trade_state: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE pay_payments SET psp_trade_state = $3, updated_at_ms = $4
         WHERE tenant = $1 AND id = $2",
        vec![uuid(tenant.0), uuid(id), trade_state.into(), now_ms.into()],
    )
    .await
    .map(drop)
}

/// An open attempt becomes `status` (FAILED or CLOSED) with `reason`.
pub async fn finish_unpaid(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    status: PaymentStatus,
    reason: &str,
    trade_state: &str,
    now_ms: i64,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE pay_payments SET status = $3, close_reason = $4, psp_trade_state = $5,
            closed_at_ms = $6, updated_at_ms = $7
         WHERE tenant = $1 AND id = $2 AND status IN (1, 2)",
        vec![
            uuid(tenant.0),
            uuid(id),
            (status as i16).into(),
            reason.into(),
            trade_state.into(),
            Value::BigInt((status == PaymentStatus::Closed).then_some(now_ms)),
            now_ms.into(),
        ],
    )
    .await
}
