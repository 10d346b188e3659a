//! `pay_refunds` and `pay_refund_steps`: refunds and their compensation steps.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::refunds::model::{Refund, Step};
use crate::repo::{execute, fetch_all, fetch_one, for_update, opt_i64, opt_uuid, uuid};

/// A refund as created.
#[derive(Debug, Clone)]
pub struct NewRefund {
    /// The refund id.
    pub id: Uuid,
    /// The PSP out_refund_no.
    pub refund_no: String,
    /// The order.
    pub order_id: Uuid,
    /// Its number.
    pub order_no: String,
    /// The case.
    pub after_sale_id: Option<Uuid>,
    /// The payment refunded against.
    pub payment_id: Option<Uuid>,
    /// `RefundReason` number.
    pub reason: i16,
    /// Cash, fen (shipping included).
    pub cash_fen: i64,
    /// Shipping, fen.
    pub shipping_fen: i64,
    /// Stored value, fen.
    pub stored_value_fen: i64,
    /// Points.
    pub points: i64,
    /// Whether the order is refunded in full.
    pub full_refund: bool,
    /// `PspRefundStatus` number.
    pub psp_status: i16,
    /// "member", "staff:<id>", "system".
    pub initiated_by: String,
    /// Created.
    pub created_at_ms: i64,
}

/// Inserts the refund and its steps `(kind, mechanism, status, amount_fen, points)`.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    r: &NewRefund,
    steps: &[(i16, i16, i16, i64, i64)],
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO pay_refunds (tenant, id, refund_no, order_id, order_no, after_sale_id,
             payment_id, reason, status, cash_fen, shipping_fen, stored_value_fen, points,
             full_refund, psp_status, initiated_by, created_at_ms, updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11, $12, $13, $14, $15, $16, $16)",
        [
            uuid(tenant.0),
            uuid(r.id),
            r.refund_no.clone().into(),
            uuid(r.order_id),
            r.order_no.clone().into(),
            opt_uuid(r.after_sale_id),
            opt_uuid(r.payment_id),
            r.reason.into(),
            r.cash_fen.into(),
            r.shipping_fen.into(),
            r.stored_value_fen.into(),
            r.points.into(),
            r.full_refund.into(),
            r.psp_status.into(),
            r.initiated_by.clone().into(),
            r.created_at_ms.into(),
        ],
    )
    .await?;
    for (kind, mechanism, status, amount, points) in steps {
        execute(
            conn,
            "INSERT INTO pay_refund_steps (tenant, refund_id, kind, mechanism, status, amount_fen,
                 points)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [
                uuid(tenant.0),
                uuid(r.id),
                (*kind).into(),
                (*mechanism).into(),
                (*status).into(),
                (*amount).into(),
                (*points).into(),
            ],
        )
        .await?;
    }
    Ok(())
}

const COLUMNS: &str = "id, refund_no, order_id, order_no, after_sale_id, payment_id, reason, \
    status, cash_fen, shipping_fen, stored_value_fen, points, full_refund, psp_status, \
    psp_refund_id, psp_received_account, psp_succeeded_at_ms, initiated_by, created_at_ms, \
    succeeded_at_ms, updated_at_ms";

#[derive(Debug, FromQueryResult)]
struct RefundRow {
    id: Uuid,
    refund_no: String,
    order_id: Uuid,
    order_no: String,
    after_sale_id: Option<Uuid>,
    payment_id: Option<Uuid>,
    reason: i16,
    status: i16,
    cash_fen: i64,
    shipping_fen: i64,
    stored_value_fen: i64,
    points: i64,
    full_refund: bool,
    psp_status: i16,
    psp_refund_id: String,
    psp_received_account: String,
    psp_succeeded_at_ms: Option<i64>,
    initiated_by: String,
    created_at_ms: i64,
    succeeded_at_ms: Option<i64>,
    updated_at_ms: i64,
}

#[derive(Debug, FromQueryResult)]
struct StepRow {
    kind: i16,
    mechanism: i16,
    status: i16,
    amount_fen: i64,
    points: i64,
    attempts: i32,
    last_error: String,
    completed_at_ms: Option<i64>,
}

async fn with_steps(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    r: RefundRow,
) -> Result<Refund, AppError> {
    let rows: Vec<StepRow> = fetch_all(
        conn,
        "SELECT kind, mechanism, status, amount_fen, points, attempts, last_error, completed_at_ms
         FROM pay_refund_steps WHERE tenant = $1 AND refund_id = $2",
        [uuid(tenant.0), uuid(r.id)],
    )
    .await?;
    let order = |kind: i16| {
        crate::app::refunds::STEPS
            .iter()
            .position(|(k, _)| *k == kind)
            .unwrap_or(usize::MAX)
    };
    let mut steps: Vec<Step> = rows
        .into_iter()
        .map(|s| Step {
            kind: s.kind,
            mechanism: s.mechanism,
            status: s.status,
            amount_fen: s.amount_fen,
            points: s.points,
            attempts: s.attempts,
            last_error: s.last_error,
            completed_at_ms: s.completed_at_ms,
        })
        .collect();
    steps.sort_by_key(|s| order(s.kind));
    Ok(Refund {
        id: r.id,
        refund_no: r.refund_no,
        order_id: r.order_id,
        order_no: r.order_no,
        after_sale_id: r.after_sale_id,
        payment_id: r.payment_id,
        reason: r.reason,
        status: r.status,
        cash_fen: r.cash_fen,
        shipping_fen: r.shipping_fen,
        stored_value_fen: r.stored_value_fen,
        points: r.points,
        full_refund: r.full_refund,
        psp_status: r.psp_status,
        psp_refund_id: r.psp_refund_id,
        psp_received_account: r.psp_received_account,
        psp_succeeded_at_ms: r.psp_succeeded_at_ms,
        initiated_by: r.initiated_by,
        created_at_ms: r.created_at_ms,
        succeeded_at_ms: r.succeeded_at_ms,
        updated_at_ms: r.updated_at_ms,
        steps,
    })
}

/// The refund `id` with its steps (its row locked when `lock`).
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    lock: bool,
) -> Result<Option<Refund>, AppError> {
    let lock = if lock { for_update(conn) } else { "" };
    let row: Option<RefundRow> = fetch_one(
        conn,
        &format!("SELECT {COLUMNS} FROM pay_refunds WHERE tenant = $1 AND id = $2{lock}"),
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    match row {
        Some(row) => Ok(Some(with_steps(conn, tenant, row).await?)),
        None => Ok(None),
    }
}

/// The refund whose PSP out_refund_no is `refund_no` (its row locked when `lock`).
pub async fn by_no(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    refund_no: &str,
    lock: bool,
) -> Result<Option<Refund>, AppError> {
    let lock = if lock { for_update(conn) } else { "" };
    let row: Option<RefundRow> = fetch_one(
        conn,
        &format!("SELECT {COLUMNS} FROM pay_refunds WHERE tenant = $1 AND refund_no = $2{lock}"),
        [uuid(tenant.0), refund_no.into()],
    )
    .await?;
    match row {
        Some(row) => Ok(Some(with_steps(conn, tenant, row).await?)),
        None => Ok(None),
    }
}

/// What the PSP said about the cash part.
#[derive(Debug, Clone, Default)]
pub struct PspState {
    /// `PspRefundStatus` number.
    pub psp_status: i16,
    /// WeChat's refund id.
    pub psp_refund_id: String,
    /// Where the money goes.
    pub received_account: String,
    /// When it succeeded.
    pub succeeded_at_ms: Option<i64>,
}

/// Records the PSP's word and the refund's status; false when the refund was SUCCEEDED already
/// or its PSP part was final (SUCCESS) already.
pub async fn set_psp(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    psp: &PspState,
    status: i16,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE pay_refunds SET psp_status = $3,
             psp_refund_id = CASE WHEN $4 = '' THEN psp_refund_id ELSE $4 END,
             psp_received_account = CASE WHEN $5 = '' THEN psp_received_account ELSE $5 END,
             psp_succeeded_at_ms = COALESCE($6, psp_succeeded_at_ms), status = $7,
             updated_at_ms = $8
         WHERE tenant = $1 AND id = $2 AND status <> 3 AND psp_status <> 4",
        [
            uuid(tenant.0),
            uuid(id),
            psp.psp_status.into(),
            psp.psp_refund_id.clone().into(),
            psp.received_account.clone().into(),
            opt_i64(psp.succeeded_at_ms),
            status.into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Moves the refund from one of `from` to `to`; false when it was in none of them.
pub async fn set_status(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    from: &[i16],
    to: i16,
    now_ms: i64,
) -> Result<bool, AppError> {
    let list = from
        .iter()
        .map(i16::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let succeeded = if to == crate::app::refunds::status::SUCCEEDED {
        ", succeeded_at_ms = $4"
    } else {
        ""
    };
    let n = execute(
        conn,
        &format!(
            "UPDATE pay_refunds SET status = $3, updated_at_ms = $4{succeeded}
             WHERE tenant = $1 AND id = $2 AND status IN ({list})"
        ),
        [uuid(tenant.0), uuid(id), to.into(), now_ms.into()],
    )
    .await?;
    Ok(n == 1)
}

/// Records one attempt of a step: DONE (3), RETRYING (2) or FAILED (5) with its error. A step
/// already DONE or SKIPPED stays as it is.
pub async fn set_step(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    refund_id: Uuid,
    kind: i16,
    status: i16,
    error: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let done = if status == 3 { Some(now_ms) } else { None };
    let n = execute(
        conn,
        "UPDATE pay_refund_steps SET status = $4, attempts = attempts + 1, last_error = $5,
             completed_at_ms = $6
         WHERE tenant = $1 AND refund_id = $2 AND kind = $3 AND status IN (1, 2, 5)",
        [
            uuid(tenant.0),
            uuid(refund_id),
            kind.into(),
            status.into(),
            error.chars().take(200).collect::<String>().into(),
            opt_i64(done),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Filters of a refund list (AND; empty = any).
#[derive(Debug, Clone, Default)]
pub struct RefundFilter {
    /// Only this order.
    pub order_id: Option<Uuid>,
    /// Only this case.
    pub after_sale_id: Option<Uuid>,
    /// Only orders of these users.
    pub user_id: Option<Uuid>,
    /// Only orders of these stores.
    pub store_ids: Option<Vec<Uuid>>,
    /// Only these statuses.
    pub statuses: Vec<i16>,
    /// Only these reasons.
    pub reasons: Vec<i16>,
    /// created_at ≥ this.
    pub from_ms: Option<i64>,
    /// created_at < this.
    pub to_ms: Option<i64>,
}

/// One page of refunds, newest first, after the `(created_at_ms, id)` cursor.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &RefundFilter,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<Refund>, AppError> {
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("r.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut sql = format!(
        "SELECT {cols} FROM pay_refunds r JOIN ord_orders o
             ON o.tenant = r.tenant AND o.id = r.order_id
         WHERE r.tenant = $1"
    );
    let mut values = vec![uuid(tenant.0)];
    let mut push = |sql: &mut String, clause: &str, value: Value| {
        values.push(value);
        sql.push_str(&clause.replace("$?", &format!("${}", values.len())));
    };
    if let Some(id) = f.order_id {
        push(&mut sql, " AND r.order_id = $?", uuid(id));
    }
    if let Some(id) = f.after_sale_id {
        push(&mut sql, " AND r.after_sale_id = $?", uuid(id));
    }
    if let Some(id) = f.user_id {
        push(&mut sql, " AND o.user_id = $?", uuid(id));
    }
    if let Some(from) = f.from_ms {
        push(&mut sql, " AND r.created_at_ms >= $?", from.into());
    }
    if let Some(to) = f.to_ms {
        push(&mut sql, " AND r.created_at_ms < $?", to.into());
    }
    if let Some((at, id)) = after {
        push(&mut sql, " AND (r.created_at_ms < $?", at.into());
        push(&mut sql, " OR (r.created_at_ms = $?", at.into());
        push(&mut sql, " AND r.id < $?))", uuid(id));
    }
    if let Some(stores) = &f.store_ids {
        if stores.is_empty() {
            return Ok(Vec::new());
        }
        sql.push_str(" AND o.store_id IN (");
        for (i, s) in stores.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            push(&mut sql, "$?", uuid(*s));
        }
        sql.push(')');
    }
    for (column, numbers) in [("r.status", &f.statuses), ("r.reason", &f.reasons)] {
        if !numbers.is_empty() {
            let list = numbers
                .iter()
                .map(i16::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            sql.push_str(&format!(" AND {column} IN ({list})"));
        }
    }
    sql.push_str(&format!(
        " ORDER BY r.created_at_ms DESC, r.id DESC LIMIT {limit}"
    ));
    let rows: Vec<RefundRow> = fetch_all(conn, &sql, values).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(with_steps(conn, tenant, row).await?);
    }
    Ok(out)
}

/// NEEDS_ATTENTION → PROCESSING with the PSP part at `psp_status` and every FAILED step
/// RETRYING; false when the refund did not need attention.
pub async fn reopen(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    psp_status: i16,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE pay_refunds SET status = 2, psp_status = $3, updated_at_ms = $4
         WHERE tenant = $1 AND id = $2 AND status = 4",
        [uuid(tenant.0), uuid(id), psp_status.into(), now_ms.into()],
    )
    .await?;
    if n != 1 {
        return Ok(false);
    }
    execute(
        conn,
        "UPDATE pay_refund_steps SET status = 2 WHERE tenant = $1 AND refund_id = $2 AND status = 5",
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    Ok(true)
}

/// Makes the refund's task due again at `due_ms` (pending, its attempts reset).
pub async fn reschedule_task(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    kind: &str,
    due_ms: i64,
) -> Result<(), AppError> {
    crate::repo::tasks::schedule(conn, tenant, order_id, kind, due_ms).await?;
    execute(
        conn,
        "UPDATE ord_tasks SET state = 1, attempts = 0, due_at_ms = $4, updated_at_ms = $4
         WHERE tenant = $1 AND order_id = $2 AND kind = $3",
        [uuid(tenant.0), uuid(order_id), kind.into(), due_ms.into()],
    )
    .await?;
    Ok(())
}
