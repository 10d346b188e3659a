//! The commission ledger of orders: `mem_commission_orders` (one row per order, created by
//! whichever of its events comes first and locked by each, so an order's events apply one
//! after another), `mem_commission_entries` (one per line and level: the unique key makes the
//! payment apply once) and `mem_commission_refunds` (one per refund id, kept so a refund that
//! arrives before its payment still counts).

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{CommissionEntry, CommissionStatus, MemberId};
use crate::repo::{
    execute, fetch_all, fetch_one, for_update, from_json, opt_i64, stored, to_json, total, uuid,
};

/// An order as the commission ledger knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderState {
    /// OrderPaid was applied.
    pub paid: bool,
    /// When OrderSettled was applied.
    pub settled_at_ms: Option<i64>,
}

/// Creates the order's row if missing, then locks it (Postgres; SQLite's writer holds the
/// database) and answers its state.
pub async fn lock_order(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
    now_ms: i64,
) -> Result<OrderState, AppError> {
    execute(
        conn,
        "INSERT INTO mem_commission_orders (tenant, order_id, created_at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant, order_id) DO NOTHING",
        [uuid(tenant.0), uuid(order), now_ms.into()],
    )
    .await?;
    #[derive(Debug, FromQueryResult)]
    struct Row {
        paid: bool,
        settled_at_ms: Option<i64>,
    }
    let row: Option<Row> = fetch_one(
        conn,
        &format!(
            "SELECT paid, settled_at_ms FROM mem_commission_orders WHERE tenant = $1 \
             AND order_id = $2{}",
            for_update(conn)
        ),
        [uuid(tenant.0), uuid(order)],
    )
    .await?;
    let row = row.ok_or_else(|| AppError::Internal("commission order row vanished".into()))?;
    Ok(OrderState {
        paid: row.paid,
        settled_at_ms: row.settled_at_ms,
    })
}

/// Marks the (locked) order paid by `buyer`.
pub async fn mark_paid(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
    buyer: MemberId,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_commission_orders SET paid = TRUE, buyer_member_id = $3 \
         WHERE tenant = $1 AND order_id = $2",
        [uuid(tenant.0), uuid(order), uuid(buyer.0)],
    )
    .await
    .map(|_| ())
}

/// Marks the (locked) order settled.
pub async fn mark_settled(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
    at_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_commission_orders SET settled_at_ms = $3 WHERE tenant = $1 AND order_id = $2",
        [uuid(tenant.0), uuid(order), at_ms.into()],
    )
    .await
    .map(|_| ())
}

/// Refunded earning base of one line by one refund (cash and stored value, fen).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefundedLine {
    /// The order line.
    pub order_line_id: String,
    /// Cash back.
    pub cash: i64,
    /// Stored value back.
    pub stored_value: i64,
}

/// Records a refund of the order; false when it was recorded before.
pub async fn insert_refund(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
    refund_id: &str,
    lines: &[RefundedLine],
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_commission_refunds (tenant, refund_id, order_id, lines, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, refund_id) DO NOTHING",
        [
            uuid(tenant.0),
            refund_id.into(),
            uuid(order),
            to_json(&lines)?,
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Every refunded line of the order, over all its refunds.
pub async fn refunds_of(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
) -> Result<Vec<RefundedLine>, AppError> {
    #[derive(Debug, FromQueryResult)]
    struct Row {
        lines: String,
    }
    let rows: Vec<Row> = fetch_all(
        conn,
        "SELECT lines FROM mem_commission_refunds WHERE tenant = $1 AND order_id = $2",
        [uuid(tenant.0), uuid(order)],
    )
    .await?;
    let mut out = Vec::new();
    for r in rows {
        out.extend(from_json::<Vec<RefundedLine>>("lines", &r.lines)?);
    }
    Ok(out)
}

/// Writes a new entry; false when the line and level had one (the payment applied before).
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    e: &CommissionEntry,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_commission_entries (tenant, id, member_id, buyer_member_id, order_id, \
         order_line_id, sku_id, level, base_amount, stored_value_counts, rate_bps, amount, \
         reversed_amount, status, created_at_ms, settled_at_ms) VALUES ($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT (tenant, order_id, order_line_id, level) DO NOTHING",
        [
            uuid(tenant.0),
            uuid(e.id),
            uuid(e.member_id.0),
            uuid(e.buyer_member_id.0),
            uuid(e.order_id),
            e.order_line_id.clone().into(),
            e.sku_id.clone().into(),
            Value::SmallInt(Some(e.level)),
            e.base_amount.into(),
            e.stored_value_counts.into(),
            e.rate_bps.into(),
            e.amount.into(),
            e.reversed_amount.into(),
            Value::SmallInt(Some(e.status.number())),
            e.created_at_ms.into(),
            opt_i64(e.settled_at_ms),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Moves a PENDING entry to its reversal and status; false when it was no longer PENDING.
pub async fn update_pending(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    reversed_amount: i64,
    status: CommissionStatus,
    settled_at_ms: Option<i64>,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE mem_commission_entries SET reversed_amount = $3, status = $4, settled_at_ms = $5 \
         WHERE tenant = $1 AND id = $2 AND status = $6",
        [
            uuid(tenant.0),
            uuid(id),
            reversed_amount.into(),
            Value::SmallInt(Some(status.number())),
            opt_i64(settled_at_ms),
            Value::SmallInt(Some(CommissionStatus::Pending.number())),
        ],
    )
    .await?;
    Ok(n == 1)
}

#[derive(Debug, FromQueryResult)]
struct EntryRow {
    id: Uuid,
    member_id: Uuid,
    buyer_member_id: Uuid,
    order_id: Uuid,
    order_line_id: String,
    sku_id: String,
    level: i16,
    base_amount: i64,
    stored_value_counts: bool,
    rate_bps: i32,
    amount: i64,
    reversed_amount: i64,
    status: i16,
    created_at_ms: i64,
    settled_at_ms: Option<i64>,
}

impl TryFrom<EntryRow> for CommissionEntry {
    type Error = AppError;

    fn try_from(r: EntryRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            member_id: MemberId(r.member_id),
            buyer_member_id: MemberId(r.buyer_member_id),
            order_id: r.order_id,
            order_line_id: r.order_line_id,
            sku_id: r.sku_id,
            level: r.level,
            base_amount: r.base_amount,
            stored_value_counts: r.stored_value_counts,
            rate_bps: r.rate_bps,
            amount: r.amount,
            reversed_amount: r.reversed_amount,
            status: stored(r.status)?,
            created_at_ms: r.created_at_ms,
            settled_at_ms: r.settled_at_ms,
        })
    }
}

const ENTRY: &str = "SELECT id, member_id, buyer_member_id, order_id, order_line_id, sku_id, \
    level, base_amount, stored_value_counts, rate_bps, amount, reversed_amount, status, \
    created_at_ms, settled_at_ms FROM mem_commission_entries";

/// The order's entries.
pub async fn of_order(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
) -> Result<Vec<CommissionEntry>, AppError> {
    let rows: Vec<EntryRow> = fetch_all(
        conn,
        &format!("{ENTRY} WHERE tenant = $1 AND order_id = $2 ORDER BY member_id, id"),
        [uuid(tenant.0), uuid(order)],
    )
    .await?;
    rows.into_iter().map(CommissionEntry::try_from).collect()
}

/// A distributor's entries, newest first, after the cursor (created_at_ms, id).
pub async fn of_member(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    statuses: &[CommissionStatus],
    order: Option<Uuid>,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<CommissionEntry>, AppError> {
    let mut values = vec![uuid(tenant.0), uuid(member.0)];
    let mut sql = format!("{ENTRY} WHERE tenant = $1 AND member_id = $2");
    if !statuses.is_empty() {
        let from = values.len() + 1;
        sql.push_str(&format!(
            " AND status IN ({})",
            crate::repo::placeholders(from, statuses.len())
        ));
        values.extend(statuses.iter().map(|s| Value::SmallInt(Some(s.number()))));
    }
    if let Some(o) = order {
        values.push(uuid(o));
        sql.push_str(&format!(" AND order_id = ${}", values.len()));
    }
    if let Some((at, id)) = after {
        let n = values.len();
        sql.push_str(&format!(
            " AND (created_at_ms < ${} OR (created_at_ms = ${} AND id < ${}))",
            n + 1,
            n + 1,
            n + 2
        ));
        values.extend([at.into(), uuid(id)]);
    }
    sql.push_str(&format!(
        " ORDER BY created_at_ms DESC, id DESC LIMIT {limit}"
    ));
    let rows: Vec<EntryRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter().map(CommissionEntry::try_from).collect()
}

/// The sum of `amount - reversed_amount` of a distributor's entries in `status`.
pub async fn net_of(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    status: CommissionStatus,
) -> Result<i64, AppError> {
    total(
        conn,
        "SELECT CAST(SUM(amount - reversed_amount) AS BIGINT) AS n FROM mem_commission_entries \
         WHERE tenant = $1 AND member_id = $2 AND status = $3",
        [
            uuid(tenant.0),
            uuid(member.0),
            Value::SmallInt(Some(status.number())),
        ],
    )
    .await
}
