//! `ord_after_sales` and `ord_after_sale_lines`: cases and their lines; and the order-line
//! counters a case takes units from and gives them back to.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::after_sales::model::{Case, CaseLine, OPEN, Status};
use crate::repo::{
    execute, fetch_all, fetch_one, for_update, from_json, opt_i64, opt_uuid, placeholders, stored,
    to_json, uuid,
};

const COLUMNS: &str = "id, after_sale_no, order_id, user_id, store_id, kind, status, reason,
    description, requested_fen, shipping_refund_fen, refund_fen, refund_points, full_refund,
    opened_by_kind, opened_by_id, refund_id, refund_issue, extra, created_at_ms, updated_at_ms,
    closed_at_ms";

#[derive(Debug, FromQueryResult)]
struct CaseRow {
    id: Uuid,
    after_sale_no: String,
    order_id: Uuid,
    user_id: Uuid,
    store_id: Option<Uuid>,
    kind: i16,
    status: i16,
    reason: i16,
    description: String,
    requested_fen: Option<i64>,
    shipping_refund_fen: i64,
    refund_fen: i64,
    refund_points: i64,
    full_refund: bool,
    opened_by_kind: i16,
    opened_by_id: String,
    refund_id: Option<Uuid>,
    refund_issue: String,
    extra: String,
    created_at_ms: i64,
    updated_at_ms: i64,
    closed_at_ms: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct LineRow {
    order_line_id: Uuid,
    line_no: i32,
    quantity: i32,
    cash_fen: i64,
    stored_value_fen: i64,
    points: i64,
}

impl TryFrom<CaseRow> for Case {
    type Error = AppError;

    fn try_from(r: CaseRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            after_sale_no: r.after_sale_no,
            order_id: r.order_id,
            user_id: r.user_id,
            store_id: r.store_id,
            kind: stored(r.kind)?,
            status: stored(r.status)?,
            reason: r.reason,
            description: r.description,
            requested_fen: r.requested_fen,
            shipping_refund_fen: r.shipping_refund_fen,
            refund_fen: r.refund_fen,
            refund_points: r.refund_points,
            full_refund: r.full_refund,
            opened_by_kind: r.opened_by_kind,
            opened_by_id: r.opened_by_id,
            refund_id: r.refund_id,
            refund_issue: r.refund_issue,
            extra: from_json("ord_after_sales", &r.extra)?,
            lines: Vec::new(),
            created_at_ms: r.created_at_ms,
            updated_at_ms: r.updated_at_ms,
            closed_at_ms: r.closed_at_ms,
        })
    }
}

/// Inserts a new case with its lines.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    c: &Case,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO ord_after_sales (tenant, id, after_sale_no, order_id, user_id, store_id, kind,
             status, reason, description, requested_fen, shipping_refund_fen, refund_fen,
             refund_points, full_refund, opened_by_kind, opened_by_id, extra, created_at_ms,
             updated_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
             $19, $19)",
        [
            uuid(tenant.0),
            uuid(c.id),
            c.after_sale_no.clone().into(),
            uuid(c.order_id),
            uuid(c.user_id),
            opt_uuid(c.store_id),
            (c.kind as i16).into(),
            c.status.number().into(),
            c.reason.into(),
            c.description.clone().into(),
            opt_i64(c.requested_fen),
            c.shipping_refund_fen.into(),
            c.refund_fen.into(),
            c.refund_points.into(),
            c.full_refund.into(),
            c.opened_by_kind.into(),
            c.opened_by_id.clone().into(),
            to_json(&c.extra)?,
            c.created_at_ms.into(),
        ],
    )
    .await?;
    for l in &c.lines {
        execute(
            conn,
            "INSERT INTO ord_after_sale_lines (tenant, after_sale_id, order_id, order_line_id,
                 line_no, quantity, cash_fen, stored_value_fen, points)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [
                uuid(tenant.0),
                uuid(c.id),
                uuid(c.order_id),
                uuid(l.order_line_id),
                l.line_no.into(),
                l.quantity.into(),
                l.cash_fen.into(),
                l.stored_value_fen.into(),
                l.points.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

async fn with_lines(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    row: CaseRow,
) -> Result<Case, AppError> {
    let mut case = Case::try_from(row)?;
    let lines: Vec<LineRow> = fetch_all(
        conn,
        "SELECT order_line_id, line_no, quantity, cash_fen, stored_value_fen, points
         FROM ord_after_sale_lines WHERE tenant = $1 AND after_sale_id = $2 ORDER BY line_no",
        [uuid(tenant.0), uuid(case.id)],
    )
    .await?;
    case.lines = lines
        .into_iter()
        .map(|l| CaseLine {
            order_line_id: l.order_line_id,
            line_no: l.line_no,
            quantity: l.quantity,
            cash_fen: l.cash_fen,
            stored_value_fen: l.stored_value_fen,
            points: l.points,
        })
        .collect();
    Ok(case)
}

/// The case `id` of the tenant, locked for update when `lock`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    lock: bool,
) -> Result<Option<Case>, AppError> {
    let lock = if lock { for_update(conn) } else { "" };
    let row: Option<CaseRow> = fetch_one(
        conn,
        &format!("SELECT {COLUMNS} FROM ord_after_sales WHERE tenant = $1 AND id = $2{lock}"),
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    match row {
        Some(row) => Ok(Some(with_lines(conn, tenant, row).await?)),
        None => Ok(None),
    }
}

/// Filters of a case list (AND; empty = any).
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Only this order.
    pub order_id: Option<Uuid>,
    /// Only this consumer.
    pub user_id: Option<Uuid>,
    /// Only these stores.
    pub store_ids: Vec<Uuid>,
    /// Only these statuses.
    pub statuses: Vec<i16>,
    /// Only these kinds.
    pub kinds: Vec<i16>,
    /// created_at ≥.
    pub created_from_ms: Option<i64>,
    /// created_at <.
    pub created_to_ms: Option<i64>,
    /// Only cases whose refund needs attention.
    pub needs_attention: bool,
}

/// Cases newest first after the keyset `(created_at_ms, id)`.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &CaseFilter,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<Case>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM ord_after_sales WHERE tenant = $1");
    let mut values = vec![uuid(tenant.0)];
    if let Some(o) = f.order_id {
        values.push(uuid(o));
        sql.push_str(&format!(" AND order_id = ${}", values.len()));
    }
    if let Some(u) = f.user_id {
        values.push(uuid(u));
        sql.push_str(&format!(" AND user_id = ${}", values.len()));
    }
    let mut any_of = |column: &str, list: Vec<Value>, values: &mut Vec<Value>| {
        if !list.is_empty() {
            let from = values.len() + 1;
            let n = list.len();
            values.extend(list);
            sql.push_str(&format!(" AND {column} IN ({})", placeholders(from, n)));
        }
    };
    any_of(
        "store_id",
        f.store_ids.iter().map(|s| uuid(*s)).collect(),
        &mut values,
    );
    any_of(
        "status",
        f.statuses.iter().map(|s| Value::from(*s)).collect(),
        &mut values,
    );
    any_of(
        "kind",
        f.kinds.iter().map(|s| Value::from(*s)).collect(),
        &mut values,
    );
    if let Some(at) = f.created_from_ms {
        values.push(at.into());
        sql.push_str(&format!(" AND created_at_ms >= ${}", values.len()));
    }
    if let Some(at) = f.created_to_ms {
        values.push(at.into());
        sql.push_str(&format!(" AND created_at_ms < ${}", values.len()));
    }
    if f.needs_attention {
        sql.push_str(" AND refund_issue <> ''");
    }
    if let Some((at, id)) = after {
        values.push(at.into());
        values.push(uuid(id));
        let (a, b) = (values.len() - 1, values.len());
        sql.push_str(&format!(
            " AND (created_at_ms < ${a} OR (created_at_ms = ${a} AND id < ${b}))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY created_at_ms DESC, id DESC LIMIT {}",
        limit.min(200)
    ));
    let rows: Vec<CaseRow> = fetch_all(conn, &sql, values).await?;
    let mut cases = Vec::with_capacity(rows.len());
    for row in rows {
        cases.push(with_lines(conn, tenant, row).await?);
    }
    Ok(cases)
}

/// What the order's cases already take, per line.
#[derive(Debug, Clone, Default, FromQueryResult)]
pub struct Taken {
    /// The order line.
    pub order_line_id: Uuid,
    /// Units in refunded or open cases.
    pub quantity: i64,
    /// Of those, in open cases.
    pub open_quantity: i64,
    /// Their cash.
    pub cash_fen: i64,
    /// Their stored value.
    pub stored_value_fen: i64,
    /// Their points.
    pub points: i64,
}

/// Per line of the order: what refunded and open cases take.
pub async fn taken(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
) -> Result<Vec<Taken>, AppError> {
    Ok(fetch_all(
        conn,
        &format!(
            "SELECT l.order_line_id AS order_line_id,
                 CAST(SUM(l.quantity) AS BIGINT) AS quantity,
                 CAST(SUM(CASE WHEN c.status IN ({open}) THEN l.quantity ELSE 0 END) AS BIGINT)
                     AS open_quantity,
                 CAST(SUM(l.cash_fen) AS BIGINT) AS cash_fen,
                 CAST(SUM(l.stored_value_fen) AS BIGINT) AS stored_value_fen,
                 CAST(SUM(l.points) AS BIGINT) AS points
             FROM ord_after_sale_lines l
             JOIN ord_after_sales c ON c.tenant = l.tenant AND c.id = l.after_sale_id
             WHERE l.tenant = $1 AND l.order_id = $2 AND c.status IN ({open}, {refunded})
             GROUP BY l.order_line_id",
            open = OPEN.map(|s| s.to_string()).join(", "),
            refunded = Status::Refunded.number(),
        ),
        [uuid(tenant.0), uuid(order_id)],
    )
    .await?)
}

#[derive(Debug, FromQueryResult)]
struct Sum {
    n: Option<i64>,
}

/// Shipping already refunded or in open cases of the order, fen.
pub async fn shipping_taken(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
) -> Result<i64, AppError> {
    let row: Option<Sum> = fetch_one(
        conn,
        &format!(
            "SELECT CAST(SUM(shipping_refund_fen) AS BIGINT) AS n FROM ord_after_sales
             WHERE tenant = $1 AND order_id = $2 AND status IN ({}, {})",
            OPEN.map(|s| s.to_string()).join(", "),
            Status::Refunded.number()
        ),
        [uuid(tenant.0), uuid(order_id)],
    )
    .await?;
    Ok(row.and_then(|r| r.n).unwrap_or(0))
}

/// Open cases of the order.
pub async fn open_count(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
) -> Result<i64, AppError> {
    let row: Option<Sum> = fetch_one(
        conn,
        &format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM ord_after_sales
             WHERE tenant = $1 AND order_id = $2 AND status IN ({})",
            OPEN.map(|s| s.to_string()).join(", ")
        ),
        [uuid(tenant.0), uuid(order_id)],
    )
    .await?;
    Ok(row.and_then(|r| r.n).unwrap_or(0))
}

/// Takes `q` units of the line into a case; false when the line has fewer than `q` units left
/// (refunded and in open cases count).
pub async fn take_units(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    line_id: Uuid,
    q: i32,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE ord_order_lines SET in_after_sale_quantity = in_after_sale_quantity + $4
         WHERE tenant = $1 AND order_id = $2 AND id = $3
             AND quantity - refunded_quantity - in_after_sale_quantity >= $4",
        [uuid(tenant.0), uuid(order_id), uuid(line_id), q.into()],
    )
    .await?;
    Ok(n == 1)
}

/// Gives `q` units of a closed case back to the line.
pub async fn release_units(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    line_id: Uuid,
    q: i32,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE ord_order_lines SET in_after_sale_quantity = in_after_sale_quantity - $4
         WHERE tenant = $1 AND order_id = $2 AND id = $3",
        [uuid(tenant.0), uuid(order_id), uuid(line_id), q.into()],
    )
    .await?;
    Ok(())
}

/// Moves `l`'s units from "in a case" to "refunded" with their money and points; the line's
/// CHECKs refuse anything beyond what it was paid.
pub async fn refund_units(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    l: &CaseLine,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE ord_order_lines SET in_after_sale_quantity = in_after_sale_quantity - $4,
             refunded_quantity = refunded_quantity + $4, refunded_fen = refunded_fen + $5,
             refunded_points = refunded_points + $6
         WHERE tenant = $1 AND order_id = $2 AND id = $3",
        [
            uuid(tenant.0),
            uuid(order_id),
            uuid(l.order_line_id),
            l.quantity.into(),
            (l.cash_fen + l.stored_value_fen).into(),
            l.points.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Adds refunded cash to the order (its CHECK refuses more than was paid) and sets its
/// after-sales state.
pub async fn order_refunded(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    cash_fen: i64,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE ord_orders SET refunded_fen = refunded_fen + $3, version = version + 1,
             updated_at_ms = $4
         WHERE tenant = $1 AND id = $2",
        [
            uuid(tenant.0),
            uuid(order_id),
            cash_fen.into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Sets the order's `OrderAfterSaleState`.
pub async fn set_order_state(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    state: i16,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE ord_orders SET after_sale_state = $3, updated_at_ms = $4, version = version + 1
         WHERE tenant = $1 AND id = $2",
        [uuid(tenant.0), uuid(order_id), state.into(), now_ms.into()],
    )
    .await?;
    Ok(())
}

/// Writes the case's status, refund, issue, extra and closing time; false when it was not in
/// `from` any more.
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    c: &Case,
    from: Status,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE ord_after_sales SET status = $4, refund_id = $5, refund_issue = $6, extra = $7,
             updated_at_ms = $8, closed_at_ms = $9
         WHERE tenant = $1 AND id = $2 AND status = $3",
        [
            uuid(tenant.0),
            uuid(c.id),
            from.number().into(),
            c.status.number().into(),
            opt_uuid(c.refund_id),
            c.refund_issue.clone().into(),
            to_json(&c.extra)?,
            c.updated_at_ms.into(),
            opt_i64(c.closed_at_ms),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Sets (or clears, with "") why the case's refund needs attention.
pub async fn set_issue(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    issue: &str,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE ord_after_sales SET refund_issue = $3 WHERE tenant = $1 AND id = $2",
        [uuid(tenant.0), uuid(id), issue.into()],
    )
    .await?;
    Ok(())
}
