//! `mem_order_earnings` (one row per order, the lock every event of the order takes first) and
//! `mem_order_refunds` (one row per refund of an order).

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{BaseLine, MemberId, OrderEarning, OrderRefund};
use crate::repo::{
    execute, fetch_all, fetch_one, for_update, from_json, opt_i64, opt_uuid, to_json, total, uuid,
};

#[derive(Debug, FromQueryResult)]
struct EarningRow {
    order_id: Uuid,
    member_id: Uuid,
    paid: bool,
    settled: bool,
    points: i64,
    points_base: i64,
    points_entry_id: Option<Uuid>,
    net_of_refunds: bool,
    stored_value_earns: bool,
    excluded_category_ids: String,
    growth: i64,
    growth_base: i64,
    refunded_points_base: i64,
    refunded_growth_base: i64,
    points_reversed: i64,
    points_shortfall: i64,
    growth_reversed: i64,
}

const EARNING_COLUMNS: &str = "order_id, member_id, paid, settled, points, points_base, \
    points_entry_id, net_of_refunds, stored_value_earns, excluded_category_ids, growth, \
    growth_base, refunded_points_base, refunded_growth_base, points_reversed, points_shortfall, \
    growth_reversed";

impl TryFrom<EarningRow> for OrderEarning {
    type Error = AppError;
    fn try_from(r: EarningRow) -> Result<Self, AppError> {
        Ok(Self {
            order_id: r.order_id,
            member_id: MemberId(r.member_id),
            paid: r.paid,
            settled: r.settled,
            points: r.points,
            points_base: r.points_base,
            points_entry_id: r.points_entry_id,
            net_of_refunds: r.net_of_refunds,
            stored_value_earns: r.stored_value_earns,
            excluded_category_ids: from_json("excluded_category_ids", &r.excluded_category_ids)?,
            growth: r.growth,
            growth_base: r.growth_base,
            refunded_points_base: r.refunded_points_base,
            refunded_growth_base: r.refunded_growth_base,
            points_reversed: r.points_reversed,
            points_shortfall: r.points_shortfall,
            growth_reversed: r.growth_reversed,
        })
    }
}

/// Creates the order's row if none exists and locks it (`FOR UPDATE`; SQLite's writer holds
/// the database): every event of one order waits here for the one before it. A concurrent
/// creator waits on the primary key, then both read the committed row.
pub async fn lock(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
    member: MemberId,
    now_ms: i64,
) -> Result<OrderEarning, AppError> {
    execute(
        conn,
        "INSERT INTO mem_order_earnings (tenant, order_id, member_id, created_at_ms, \
         updated_at_ms) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (tenant, order_id) DO NOTHING",
        [uuid(tenant.0), uuid(order), uuid(member.0), now_ms.into()],
    )
    .await?;
    get(conn, tenant, order, true)
        .await?
        .ok_or_else(|| AppError::Internal("order earning vanished under its lock".into()))
}

/// The order's row, if any (locked when `lock`).
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
    lock: bool,
) -> Result<Option<OrderEarning>, AppError> {
    let sql = format!(
        "SELECT {EARNING_COLUMNS} FROM mem_order_earnings WHERE tenant = $1 AND order_id = $2{}",
        if lock { for_update(conn) } else { "" }
    );
    let row: Option<EarningRow> = fetch_one(conn, &sql, [uuid(tenant.0), uuid(order)]).await?;
    row.map(OrderEarning::try_from).transpose()
}

/// Writes back everything that changes on the order's row.
pub async fn save(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    e: &OrderEarning,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_order_earnings SET paid = $3, settled = $4, points = $5, points_base = $6, \
         points_entry_id = $7, net_of_refunds = $8, stored_value_earns = $9, \
         excluded_category_ids = $10, growth = $11, growth_base = $12, \
         refunded_points_base = $13, refunded_growth_base = $14, points_reversed = $15, \
         points_shortfall = $16, growth_reversed = $17, updated_at_ms = $18 \
         WHERE tenant = $1 AND order_id = $2",
        [
            uuid(tenant.0),
            uuid(e.order_id),
            e.paid.into(),
            e.settled.into(),
            e.points.into(),
            e.points_base.into(),
            opt_uuid(e.points_entry_id),
            e.net_of_refunds.into(),
            e.stored_value_earns.into(),
            to_json(&e.excluded_category_ids)?,
            e.growth.into(),
            e.growth_base.into(),
            e.refunded_points_base.into(),
            e.refunded_growth_base.into(),
            e.points_reversed.into(),
            e.points_shortfall.into(),
            e.growth_reversed.into(),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

#[derive(Debug, FromQueryResult)]
struct RefundRow {
    order_id: Uuid,
    refund_id: Uuid,
    lines: String,
    given_base: Option<i64>,
    given_points: Option<i64>,
    points_done: bool,
    growth_done: bool,
    points_reversed: i64,
    points_shortfall: i64,
    growth_reversed: i64,
    entry_id: Option<Uuid>,
}

const REFUND_COLUMNS: &str = "order_id, refund_id, lines, given_base, given_points, points_done, \
    growth_done, points_reversed, points_shortfall, growth_reversed, entry_id";

impl TryFrom<RefundRow> for OrderRefund {
    type Error = AppError;
    fn try_from(r: RefundRow) -> Result<Self, AppError> {
        let lines: Vec<BaseLine> = from_json("lines", &r.lines)?;
        Ok(Self {
            order_id: r.order_id,
            refund_id: r.refund_id,
            lines,
            given_base: r.given_base,
            given_points: r.given_points,
            points_done: r.points_done,
            growth_done: r.growth_done,
            points_reversed: r.points_reversed,
            points_shortfall: r.points_shortfall,
            growth_reversed: r.growth_reversed,
            entry_id: r.entry_id,
        })
    }
}

/// Records a refund unless the order already has it; answers the row as stored (the first
/// telling wins, except that lines the first did not carry are filled in).
pub async fn record_refund(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    r: &OrderRefund,
    now_ms: i64,
) -> Result<OrderRefund, AppError> {
    execute(
        conn,
        "INSERT INTO mem_order_refunds (tenant, order_id, refund_id, lines, given_base, \
         given_points, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (tenant, order_id, refund_id) DO NOTHING",
        [
            uuid(tenant.0),
            uuid(r.order_id),
            uuid(r.refund_id),
            to_json(&r.lines)?,
            opt_i64(r.given_base),
            opt_i64(r.given_points),
            now_ms.into(),
        ],
    )
    .await?;
    if !r.lines.is_empty() {
        execute(
            conn,
            "UPDATE mem_order_refunds SET lines = $4 WHERE tenant = $1 AND order_id = $2 \
             AND refund_id = $3 AND lines = '[]'",
            [
                uuid(tenant.0),
                uuid(r.order_id),
                uuid(r.refund_id),
                to_json(&r.lines)?,
            ],
        )
        .await?;
    }
    refund(conn, tenant, r.order_id, r.refund_id)
        .await?
        .ok_or_else(|| AppError::Internal("refund row vanished".into()))
}

/// One refund of the order.
pub async fn refund(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
    refund: Uuid,
) -> Result<Option<OrderRefund>, AppError> {
    let sql = format!(
        "SELECT {REFUND_COLUMNS} FROM mem_order_refunds WHERE tenant = $1 AND order_id = $2 \
         AND refund_id = $3"
    );
    let row: Option<RefundRow> =
        fetch_one(conn, &sql, [uuid(tenant.0), uuid(order), uuid(refund)]).await?;
    row.map(OrderRefund::try_from).transpose()
}

/// The order's refunds with a side still to apply, oldest first.
pub async fn pending(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
) -> Result<Vec<OrderRefund>, AppError> {
    let sql = format!(
        "SELECT {REFUND_COLUMNS} FROM mem_order_refunds WHERE tenant = $1 AND order_id = $2 \
         AND (points_done = FALSE OR growth_done = FALSE) ORDER BY created_at_ms, refund_id"
    );
    let rows: Vec<RefundRow> = fetch_all(conn, &sql, [uuid(tenant.0), uuid(order)]).await?;
    rows.into_iter().map(OrderRefund::try_from).collect()
}

/// Writes back what was applied of a refund.
pub async fn save_refund(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    r: &OrderRefund,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_order_refunds SET points_done = $4, growth_done = $5, points_reversed = $6, \
         points_shortfall = $7, growth_reversed = $8, entry_id = $9, reversed_at_ms = $10 \
         WHERE tenant = $1 AND order_id = $2 AND refund_id = $3",
        [
            uuid(tenant.0),
            uuid(r.order_id),
            uuid(r.refund_id),
            r.points_done.into(),
            r.growth_done.into(),
            r.points_reversed.into(),
            r.points_shortfall.into(),
            r.growth_reversed.into(),
            opt_uuid(r.entry_id),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Reversal shortfalls recorded in `[start, end)` (the liability report's `shortfall_points`).
pub async fn shortfall_between(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    start_ms: i64,
    end_ms: i64,
) -> Result<i64, AppError> {
    total(
        conn,
        "SELECT CAST(SUM(points_shortfall) AS BIGINT) AS n FROM mem_order_refunds WHERE tenant = $1 \
         AND reversed_at_ms >= $2 AND reversed_at_ms < $3",
        [uuid(tenant.0), start_ms.into(), end_ms.into()],
    )
    .await
}
