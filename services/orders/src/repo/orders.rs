//! `ord_orders`, `ord_order_lines` and `ord_timeline`: orders, their lines and their timeline.

pub mod fulfilment;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::orders::model::{ActorKind, Cancellation, Order, OrderLine, TimelineEntry};
use crate::app::orders::status::OrderStatus;
use crate::repo::{
    execute, fetch_all, fetch_one, for_update, from_json, is_unique_violation, opt_i64, opt_uuid,
    placeholders, stored, to_json, uuid,
};

const COLUMNS: &str = "id, order_no, kind, user_id, member_id, store_id, status, after_sale_state,
    payable_fen, paid_fen, refunded_fen, pickup_code, payment_deadline_ms, paid_at_ms,
    auto_complete_at_ms, completed_at_ms, after_sale_deadline_ms, settled_at_ms, cancellation, detail,
    version, created_at_ms, updated_at_ms, shipment, pickup";

#[derive(Debug, FromQueryResult)]
struct OrderRow {
    id: Uuid,
    order_no: String,
    kind: i16,
    user_id: Uuid,
    member_id: Option<Uuid>,
    store_id: Option<Uuid>,
    status: i16,
    after_sale_state: i16,
    payable_fen: i64,
    paid_fen: i64,
    refunded_fen: i64,
    pickup_code: Option<String>,
    payment_deadline_ms: Option<i64>,
    paid_at_ms: Option<i64>,
    auto_complete_at_ms: Option<i64>,
    completed_at_ms: Option<i64>,
    after_sale_deadline_ms: Option<i64>,
    settled_at_ms: Option<i64>,
    cancellation: Option<String>,
    detail: String,
    version: i64,
    created_at_ms: i64,
    updated_at_ms: i64,
    shipment: Option<String>,
    pickup: Option<String>,
}

fn bytes(column: &str, text: &str) -> Result<Vec<u8>, AppError> {
    B64.decode(text)
        .map_err(|e| AppError::Internal(format!("column {column}: {e}")))
}

impl TryFrom<OrderRow> for Order {
    type Error = AppError;

    fn try_from(r: OrderRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            order_no: r.order_no,
            kind: stored(r.kind)?,
            user_id: r.user_id,
            member_id: r.member_id,
            store_id: r.store_id,
            status: stored(r.status)?,
            after_sale_state: r.after_sale_state,
            payable_fen: r.payable_fen,
            paid_fen: r.paid_fen,
            refunded_fen: r.refunded_fen,
            pickup_code: r.pickup_code,
            fulfilment: crate::app::orders::fulfilment::Fulfilment {
                shipment: r
                    .shipment
                    .as_deref()
                    .map(|j| from_json("ord_orders.shipment", j))
                    .transpose()?,
                pickup: r
                    .pickup
                    .as_deref()
                    .map(|j| from_json("ord_orders.pickup", j))
                    .transpose()?,
            },
            payment_deadline_ms: r.payment_deadline_ms,
            paid_at_ms: r.paid_at_ms,
            auto_complete_at_ms: r.auto_complete_at_ms,
            completed_at_ms: r.completed_at_ms,
            after_sale_deadline_ms: r.after_sale_deadline_ms,
            settled_at_ms: r.settled_at_ms,
            cancellation: r
                .cancellation
                .as_deref()
                .map(|c| from_json("ord_orders", c))
                .transpose()?,
            snapshot: bytes("detail", &r.detail)?,
            version: r.version,
            created_at_ms: r.created_at_ms,
            updated_at_ms: r.updated_at_ms,
            lines: Vec::new(),
            timeline: Vec::new(),
        })
    }
}

#[derive(Debug, FromQueryResult)]
struct LineRow {
    id: Uuid,
    line_no: i32,
    sku_id: Option<Uuid>,
    quantity: i32,
    location_id: String,
    net_fen: i64,
    refunded_quantity: i32,
    in_after_sale_quantity: i32,
    refunded_fen: i64,
    refunded_points: i64,
    priced: String,
}

#[derive(Debug, FromQueryResult)]
struct TimelineRow {
    kind: i16,
    from_status: i16,
    to_status: i16,
    actor_kind: i16,
    actor_id: String,
    reference_id: String,
    note: String,
    occurred_at_ms: i64,
}

fn actor(n: i16) -> Result<ActorKind, AppError> {
    [
        ActorKind::Member,
        ActorKind::Staff,
        ActorKind::Partner,
        ActorKind::System,
        ActorKind::Psp,
    ]
    .into_iter()
    .find(|a| a.number() == n)
    .ok_or_else(|| AppError::Internal(format!("actor kind {n}")))
}

/// Inserts a new order with its lines and first timeline entry. Answers false when the order
/// number is taken (the caller draws another).
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &Order,
) -> Result<bool, AppError> {
    let values: Vec<Value> = vec![
        uuid(tenant.0),
        uuid(order.id),
        order.order_no.clone().into(),
        order.kind.number().into(),
        uuid(order.user_id),
        opt_uuid(order.member_id),
        opt_uuid(order.store_id),
        order.status.number().into(),
        order.after_sale_state.into(),
        order.payable_fen.into(),
        order.paid_fen.into(),
        opt_i64(order.payment_deadline_ms),
        opt_i64(order.paid_at_ms),
        B64.encode(&order.snapshot).into(),
        order.created_at_ms.into(),
    ];
    let inserted = conn
        .execute_raw(crate::repo::stmt(
            conn,
            "INSERT INTO ord_orders (tenant, id, order_no, kind, user_id, member_id, store_id,
                 status, after_sale_state, payable_fen, paid_fen, payment_deadline_ms, paid_at_ms,
                 detail, created_at_ms, updated_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
            values,
        ))
        .await;
    match inserted {
        Ok(_) => {}
        Err(err) if is_unique_violation(&err) => return Ok(false),
        Err(err) => return Err(err.into()),
    }
    for line in &order.lines {
        execute(
            conn,
            "INSERT INTO ord_order_lines (tenant, order_id, line_no, id, sku_id, quantity,
                 location_id, net_fen, priced)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [
                uuid(tenant.0),
                uuid(order.id),
                line.line_no.into(),
                uuid(line.id),
                opt_uuid(line.sku_id),
                line.quantity.into(),
                line.location_id.clone().into(),
                line.net_fen.into(),
                B64.encode(&line.priced).into(),
            ],
        )
        .await?;
    }
    for entry in &order.timeline {
        append_timeline(conn, tenant, order.id, entry).await?;
    }
    Ok(true)
}

/// Appends a timeline entry (its position is the next free one: callers hold the order row).
pub async fn append_timeline(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    e: &TimelineEntry,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO ord_timeline (tenant, order_id, seq, kind, from_status, to_status, actor_kind,
             actor_id, reference_id, note, occurred_at_ms)
         SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6, $7, $8, $9, $10
         FROM ord_timeline WHERE tenant = $1 AND order_id = $2",
        [
            uuid(tenant.0),
            uuid(order_id),
            e.kind.into(),
            e.from.number().into(),
            e.to.number().into(),
            e.actor.number().into(),
            e.actor_id.clone().into(),
            e.reference_id.clone().into(),
            e.note.clone().into(),
            e.occurred_at_ms.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The order `id` of the tenant with its lines and timeline, locked for update when `lock`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    lock: bool,
) -> Result<Option<Order>, AppError> {
    let lock = if lock { for_update(conn) } else { "" };
    let row: Option<OrderRow> = fetch_one(
        conn,
        &format!("SELECT {COLUMNS} FROM ord_orders WHERE tenant = $1 AND id = $2{lock}"),
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut order = Order::try_from(row)?;
    with_details(conn, tenant, &mut order).await?;
    Ok(Some(order))
}

/// The order numbered `order_no` in the tenant.
pub async fn get_by_no(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_no: &str,
) -> Result<Option<Order>, AppError> {
    let row: Option<OrderRow> = fetch_one(
        conn,
        &format!("SELECT {COLUMNS} FROM ord_orders WHERE tenant = $1 AND order_no = $2"),
        [uuid(tenant.0), order_no.into()],
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut order = Order::try_from(row)?;
    with_details(conn, tenant, &mut order).await?;
    Ok(Some(order))
}

async fn with_details(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: &mut Order,
) -> Result<(), AppError> {
    let lines: Vec<LineRow> = fetch_all(
        conn,
        "SELECT id, line_no, sku_id, quantity, location_id, net_fen, refunded_quantity,
             in_after_sale_quantity, refunded_fen, refunded_points, priced
         FROM ord_order_lines WHERE tenant = $1 AND order_id = $2 ORDER BY line_no",
        [uuid(tenant.0), uuid(order.id)],
    )
    .await?;
    order.lines = lines
        .into_iter()
        .map(|l| {
            Ok(OrderLine {
                id: l.id,
                line_no: l.line_no,
                sku_id: l.sku_id,
                quantity: l.quantity,
                location_id: l.location_id,
                net_fen: l.net_fen,
                refunded_quantity: l.refunded_quantity,
                in_after_sale_quantity: l.in_after_sale_quantity,
                refunded_fen: l.refunded_fen,
                refunded_points: l.refunded_points,
                priced: bytes("priced", &l.priced)?,
            })
        })
        .collect::<Result<_, AppError>>()?;
    let timeline: Vec<TimelineRow> = fetch_all(
        conn,
        "SELECT kind, from_status, to_status, actor_kind, actor_id, reference_id, note,
             occurred_at_ms
         FROM ord_timeline WHERE tenant = $1 AND order_id = $2 ORDER BY seq",
        [uuid(tenant.0), uuid(order.id)],
    )
    .await?;
    order.timeline = timeline
        .into_iter()
        .map(|t| {
            Ok(TimelineEntry {
                kind: t.kind,
                from: stored(t.from_status)?,
                to: stored(t.to_status)?,
                actor: actor(t.actor_kind)?,
                actor_id: t.actor_id,
                reference_id: t.reference_id,
                note: t.note,
                occurred_at_ms: t.occurred_at_ms,
            })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(())
}

/// Orders of a user, newest first, of the given statuses and after-sales states (any when
/// empty), after the keyset `(created_at_ms, id)` when given.
pub async fn list_by_user(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: Uuid,
    statuses: &[OrderStatus],
    after_sale_states: &[i16],
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<Order>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM ord_orders WHERE tenant = $1 AND user_id = $2");
    let mut values = vec![uuid(tenant.0), uuid(user_id)];
    if !statuses.is_empty() {
        let from = values.len() + 1;
        values.extend(statuses.iter().map(|s| Value::from(s.number())));
        sql.push_str(&format!(
            " AND status IN ({})",
            placeholders(from, statuses.len())
        ));
    }
    if !after_sale_states.is_empty() {
        let from = values.len() + 1;
        values.extend(after_sale_states.iter().map(|s| Value::from(*s)));
        sql.push_str(&format!(
            " AND after_sale_state IN ({})",
            placeholders(from, after_sale_states.len())
        ));
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
    let rows: Vec<OrderRow> = fetch_all(conn, &sql, values).await?;
    let mut orders = Vec::with_capacity(rows.len());
    for row in rows {
        let mut order = Order::try_from(row)?;
        with_details(conn, tenant, &mut order).await?;
        orders.push(order);
    }
    Ok(orders)
}

/// Moves the order from `from` to `to` (only if it is still in `from`), bumping its version;
/// answers false when it was not in `from`.
pub async fn set_status(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    from: OrderStatus,
    to: OrderStatus,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE ord_orders SET status = $4, version = version + 1, updated_at_ms = $5
         WHERE tenant = $1 AND id = $2 AND status = $3",
        [
            uuid(tenant.0),
            uuid(id),
            from.number().into(),
            to.number().into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// PENDING_PAYMENT → PAID with what was collected; false when the order was not pending.
pub async fn set_paid(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    paid_fen: i64,
    paid_at_ms: i64,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE ord_orders SET status = $3, paid_fen = $4, paid_at_ms = $5, updated_at_ms = $6,
             version = version + 1
         WHERE tenant = $1 AND id = $2 AND status = $7",
        [
            uuid(tenant.0),
            uuid(id),
            OrderStatus::Paid.number().into(),
            paid_fen.into(),
            paid_at_ms.into(),
            now_ms.into(),
            OrderStatus::PendingPayment.number().into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// A cancelled order paid after all (a late payment revived it): CANCELLED → PAID with what
/// was collected, the cancellation cleared (the timeline keeps it); false when it was not
/// cancelled.
pub async fn revive(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    paid_fen: i64,
    paid_at_ms: i64,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE ord_orders SET status = $3, paid_fen = $4, paid_at_ms = $5, updated_at_ms = $6,
             cancellation = NULL, version = version + 1
         WHERE tenant = $1 AND id = $2 AND status = $7",
        [
            uuid(tenant.0),
            uuid(id),
            OrderStatus::Paid.number().into(),
            paid_fen.into(),
            paid_at_ms.into(),
            now_ms.into(),
            OrderStatus::Cancelled.number().into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Cancels the order if it is still in `from`, recording `c`; answers false when it was not.
pub async fn cancel(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    from: OrderStatus,
    c: &Cancellation,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE ord_orders SET status = $4, cancellation = $5, version = version + 1,
             updated_at_ms = $6
         WHERE tenant = $1 AND id = $2 AND status = $3",
        [
            uuid(tenant.0),
            uuid(id),
            from.number().into(),
            OrderStatus::Cancelled.number().into(),
            to_json(c)?,
            c.at_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Pending orders of any tenant whose payment deadline passed, oldest first (the unpaid
/// timeout's work list).
#[derive(Debug, FromQueryResult)]
struct DueRow {
    tenant: Uuid,
    id: Uuid,
}

/// Orders still pending payment after their deadline.
pub async fn overdue(
    conn: &impl ConnectionTrait,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<(TenantId, Uuid)>, AppError> {
    let rows: Vec<DueRow> = fetch_all(
        conn,
        "SELECT tenant, id FROM ord_orders
         WHERE status = 1 AND payment_deadline_ms < $1 ORDER BY payment_deadline_ms LIMIT $2",
        [now_ms.into(), limit.into()],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (TenantId(r.tenant), r.id))
        .collect())
}
