//! `mem_tag_orders` (one row per goods order of a member, what the system tags count),
//! `mem_rfm_thresholds` (a tenant's cut points and its next nightly pass) and the system tags
//! members carry.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::MemberId;
use crate::app::tags::purchases::{PurchaseStats, RfmThresholds, TagOrder};
use crate::app::tags::{TagId, TagKind};
use crate::repo::{execute, fetch_all, fetch_one, for_update, from_json, opt_i64, to_json, uuid};

#[derive(Debug, FromQueryResult)]
struct OrderRow {
    member_id: Uuid,
    paid: bool,
    paid_amount: i64,
    refunded_amount: i64,
    fully_refunded: bool,
    paid_at_ms: Option<i64>,
}

/// Creates the order's row for `member` if missing, then locks it and answers it.
pub async fn lock_order(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: Uuid,
    member: MemberId,
    now_ms: i64,
) -> Result<TagOrder, AppError> {
    execute(
        conn,
        "INSERT INTO mem_tag_orders (tenant, order_id, member_id, updated_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, order_id) DO NOTHING",
        [uuid(tenant.0), uuid(order), uuid(member.0), now_ms.into()],
    )
    .await?;
    let row: Option<OrderRow> = fetch_one(
        conn,
        &format!(
            "SELECT member_id, paid, paid_amount, refunded_amount, fully_refunded, paid_at_ms \
             FROM mem_tag_orders WHERE tenant = $1 AND order_id = $2{}",
            for_update(conn)
        ),
        [uuid(tenant.0), uuid(order)],
    )
    .await?;
    let r = row.ok_or_else(|| AppError::Internal("tag order row vanished".into()))?;
    Ok(TagOrder {
        order_id: order,
        member_id: MemberId(r.member_id),
        paid: r.paid,
        paid_amount: r.paid_amount,
        refunded_amount: r.refunded_amount,
        fully_refunded: r.fully_refunded,
        paid_at_ms: r.paid_at_ms,
    })
}

/// Writes the order's row.
pub async fn save_order(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    o: &TagOrder,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_tag_orders SET paid = $3, paid_amount = $4, refunded_amount = $5, \
         fully_refunded = $6, paid_at_ms = $7, updated_at_ms = $8 \
         WHERE tenant = $1 AND order_id = $2",
        [
            uuid(tenant.0),
            uuid(o.order_id),
            o.paid.into(),
            o.paid_amount.into(),
            o.refunded_amount.into(),
            o.fully_refunded.into(),
            opt_i64(o.paid_at_ms),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// What counts: paid and not fully refunded.
const COUNTED: &str = "paid AND NOT fully_refunded AND paid_at_ms IS NOT NULL";

#[derive(Debug, FromQueryResult)]
struct StatsRow {
    member_id: Uuid,
    orders: Option<i64>,
    orders_365d: Option<i64>,
    amount_365d: Option<i64>,
    first_at_ms: Option<i64>,
    last_at_ms: Option<i64>,
}

impl From<&StatsRow> for PurchaseStats {
    fn from(r: &StatsRow) -> Self {
        Self {
            orders: r.orders.unwrap_or(0),
            orders_365d: r.orders_365d.unwrap_or(0),
            amount_365d: r.amount_365d.unwrap_or(0),
            first_at_ms: r.first_at_ms,
            last_at_ms: r.last_at_ms,
        }
    }
}

fn stats_sql(filter: &str) -> String {
    format!(
        "SELECT member_id, \
         CAST(SUM(CASE WHEN {COUNTED} THEN 1 ELSE 0 END) AS BIGINT) AS orders, \
         CAST(SUM(CASE WHEN {COUNTED} AND paid_at_ms >= $2 THEN 1 ELSE 0 END) AS BIGINT) \
         AS orders_365d, \
         CAST(SUM(CASE WHEN {COUNTED} AND paid_at_ms >= $2 \
         AND refunded_amount < paid_amount THEN paid_amount - refunded_amount ELSE 0 END) \
         AS BIGINT) AS amount_365d, \
         MIN(CASE WHEN {COUNTED} THEN paid_at_ms END) AS first_at_ms, \
         MAX(CASE WHEN {COUNTED} THEN paid_at_ms END) AS last_at_ms \
         FROM mem_tag_orders WHERE tenant = $1{filter} GROUP BY member_id"
    )
}

/// The member's purchase statistics, the trailing year starting at `since_ms`.
pub async fn stats(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    since_ms: i64,
) -> Result<PurchaseStats, AppError> {
    let row: Option<StatsRow> = fetch_one(
        conn,
        &stats_sql(" AND member_id = $3"),
        [uuid(tenant.0), since_ms.into(), uuid(member.0)],
    )
    .await?;
    Ok(row.as_ref().map(PurchaseStats::from).unwrap_or_default())
}

/// The statistics of every member of the tenant with an order row, by member id.
pub async fn all_stats(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    since_ms: i64,
) -> Result<Vec<(MemberId, PurchaseStats)>, AppError> {
    let rows: Vec<StatsRow> =
        fetch_all(conn, &stats_sql(""), [uuid(tenant.0), since_ms.into()]).await?;
    let mut out: Vec<(MemberId, PurchaseStats)> = rows
        .iter()
        .map(|r| (MemberId(r.member_id), PurchaseStats::from(r)))
        .collect();
    out.sort_by_key(|(m, _)| *m);
    Ok(out)
}

#[derive(Debug, FromQueryResult)]
struct CodeRow {
    id: Uuid,
    code: Option<String>,
}

/// The tenant's system tags: (code, id).
pub async fn system_tags(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<(String, TagId)>, AppError> {
    let rows: Vec<CodeRow> = fetch_all(
        conn,
        "SELECT id, code FROM mem_tags WHERE tenant = $1 AND kind = $2",
        [uuid(tenant.0), TagKind::System.number().into()],
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.code.map(|c| (c, TagId(r.id))))
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct IdRow {
    id: Uuid,
}

/// Up to `limit` members of the tenant after `after` (by id) carrying none of `tags`.
pub async fn members_without(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    tags: &[TagId],
    after: Option<MemberId>,
    limit: u64,
) -> Result<Vec<MemberId>, AppError> {
    let mut values = vec![
        uuid(tenant.0),
        uuid(after.map_or(Uuid::nil(), |m| m.0)),
        i64::try_from(limit).unwrap_or(i64::MAX).into(),
    ];
    values.extend(tags.iter().map(|t| uuid(t.0)));
    let marks = crate::repo::placeholders(4, tags.len());
    let rows: Vec<IdRow> = fetch_all(
        conn,
        &format!(
            "SELECT m.id FROM mem_members m WHERE m.tenant = $1 AND m.id > $2 \
             AND NOT EXISTS (SELECT 1 FROM mem_member_tags mt WHERE mt.tenant = m.tenant \
             AND mt.member_id = m.id AND mt.tag_id IN ({marks})) ORDER BY m.id LIMIT $3"
        ),
        values,
    )
    .await?;
    Ok(rows.into_iter().map(|r| MemberId(r.id)).collect())
}

#[derive(Debug, FromQueryResult)]
struct ThresholdRow {
    recency_days: String,
    frequency: String,
    monetary: String,
    next_run_at_ms: i64,
}

impl ThresholdRow {
    fn into_parts(self) -> Result<(RfmThresholds, i64), AppError> {
        Ok((
            RfmThresholds {
                recency_days: from_json("recency_days", &self.recency_days)?,
                frequency: from_json("frequency", &self.frequency)?,
                monetary: from_json("monetary", &self.monetary)?,
            },
            self.next_run_at_ms,
        ))
    }
}

/// The tenant's cut points and next nightly pass, locked when `lock`.
pub async fn thresholds(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    lock: bool,
) -> Result<Option<(RfmThresholds, i64)>, AppError> {
    let row: Option<ThresholdRow> = fetch_one(
        conn,
        &format!(
            "SELECT recency_days, frequency, monetary, next_run_at_ms FROM mem_rfm_thresholds \
             WHERE tenant = $1{}",
            if lock { for_update(conn) } else { "" }
        ),
        [uuid(tenant.0)],
    )
    .await?;
    row.map(ThresholdRow::into_parts).transpose()
}

/// Inserts the tenant's row unless it exists; true when this call inserted it.
pub async fn insert_thresholds(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    t: &RfmThresholds,
    next_run_at_ms: i64,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_rfm_thresholds (tenant, recency_days, frequency, monetary, \
         computed_at_ms, next_run_at_ms) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (tenant) DO NOTHING",
        [
            uuid(tenant.0),
            to_json(&t.recency_days)?,
            to_json(&t.frequency)?,
            to_json(&t.monetary)?,
            now_ms.into(),
            next_run_at_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Writes the tenant's cut points and next pass.
pub async fn save_thresholds(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    t: &RfmThresholds,
    next_run_at_ms: i64,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_rfm_thresholds SET recency_days = $2, frequency = $3, monetary = $4, \
         computed_at_ms = $5, next_run_at_ms = $6 WHERE tenant = $1",
        [
            uuid(tenant.0),
            to_json(&t.recency_days)?,
            to_json(&t.frequency)?,
            to_json(&t.monetary)?,
            now_ms.into(),
            next_run_at_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Creates the member's statistics row if missing and locks it: retaggings of one member take
/// turns on it.
pub async fn lock_member(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_purchase_stats (tenant, member_id, updated_at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant, member_id) DO NOTHING",
        [uuid(tenant.0), uuid(member.0), now_ms.into()],
    )
    .await?;
    let _: Option<IdRow> = fetch_one(
        conn,
        &format!(
            "SELECT member_id AS id FROM mem_purchase_stats WHERE tenant = $1 AND member_id = $2{}",
            for_update(conn)
        ),
        [uuid(tenant.0), uuid(member.0)],
    )
    .await?;
    Ok(())
}

/// Keeps the member's statistics as computed now.
pub async fn save_stats(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    s: &PurchaseStats,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_purchase_stats SET orders = $3, orders_365d = $4, amount_365d = $5, \
         first_at_ms = $6, last_at_ms = $7, updated_at_ms = $8 \
         WHERE tenant = $1 AND member_id = $2",
        [
            uuid(tenant.0),
            uuid(member.0),
            s.orders.into(),
            s.orders_365d.into(),
            s.amount_365d.into(),
            opt_i64(s.first_at_ms),
            opt_i64(s.last_at_ms),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}
