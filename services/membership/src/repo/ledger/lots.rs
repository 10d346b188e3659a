//! `mem_lots`: earned points with their own expiry, consumed oldest-expiring first (never
//! expiring last), and `mem_hold_lots`: which lots each points hold took, so a release or a
//! refund gives the points back to the lots they came from. Lots change only under the
//! member's balance lock.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{Lot, MemberId};
use crate::repo::{execute, fetch_all, opt_i64, total, uuid};

const COLUMNS: &str = "id, member_id, original_points, remaining_points, expires_at_ms, \
    entry_id, created_at_ms";

/// Oldest-expiring first, never-expiring last, then by age: the order lots are consumed in.
const CONSUMPTION: &str = "(expires_at_ms IS NULL), expires_at_ms, created_at_ms, id";

/// The sort key of a lot in listings: its expiry, never-expiring lots last.
pub const NEVER: i64 = i64::MAX;

#[derive(Debug, FromQueryResult)]
struct LotRow {
    id: Uuid,
    member_id: Uuid,
    original_points: i64,
    remaining_points: i64,
    expires_at_ms: Option<i64>,
    entry_id: Uuid,
    created_at_ms: i64,
}

impl From<LotRow> for Lot {
    fn from(r: LotRow) -> Self {
        Self {
            id: r.id,
            member_id: MemberId(r.member_id),
            original: r.original_points,
            remaining: r.remaining_points,
            expires_at_ms: r.expires_at_ms,
            entry_id: r.entry_id,
            created_at_ms: r.created_at_ms,
        }
    }
}

/// A hold's share of one lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromQueryResult)]
pub struct HoldLot {
    /// The lot.
    pub lot_id: Uuid,
    /// Points the hold took from it.
    pub points: i64,
    /// Of those, points refunded after capture.
    pub refunded: i64,
    /// The lot's expiry.
    pub expires_at_ms: Option<i64>,
}

/// Creates a lot.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    lot: &Lot,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_lots (tenant, id, member_id, original_points, remaining_points, \
         expires_at_ms, entry_id, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            uuid(tenant.0),
            uuid(lot.id),
            uuid(lot.member_id.0),
            lot.original.into(),
            lot.remaining.into(),
            opt_i64(lot.expires_at_ms),
            uuid(lot.entry_id),
            lot.created_at_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// A lot of the tenant.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Lot>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM mem_lots WHERE tenant = $1 AND id = $2");
    let row: Option<LotRow> =
        crate::repo::fetch_one(conn, &sql, [uuid(tenant.0), uuid(id)]).await?;
    Ok(row.map(Lot::from))
}

/// The member's lots with points left, in consumption order.
pub async fn open(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
) -> Result<Vec<Lot>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mem_lots WHERE tenant = $1 AND member_id = $2 \
         AND remaining_points > 0 ORDER BY {CONSUMPTION}"
    );
    let rows: Vec<LotRow> = fetch_all(conn, &sql, [uuid(tenant.0), uuid(member.0)]).await?;
    Ok(rows.into_iter().map(Lot::from).collect())
}

/// remaining += delta (negative to consume); `false` when it would leave 0..=original.
pub async fn change(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    lot: Uuid,
    delta: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE mem_lots SET remaining_points = remaining_points + $3 WHERE tenant = $1 \
         AND id = $2 AND remaining_points + $3 >= 0 AND remaining_points + $3 <= original_points",
        [uuid(tenant.0), uuid(lot), delta.into()],
    )
    .await?;
    Ok(n == 1)
}

/// Records what a hold took from each lot.
pub async fn record_hold(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    hold: Uuid,
    taken: &[(Uuid, i64)],
) -> Result<(), AppError> {
    for (lot, points) in taken {
        execute(
            conn,
            "INSERT INTO mem_hold_lots (tenant, hold_id, lot_id, points) VALUES ($1, $2, $3, $4)",
            [uuid(tenant.0), uuid(hold), uuid(*lot), (*points).into()],
        )
        .await?;
    }
    Ok(())
}

/// What a hold took, in the order it took it (the lots' consumption order).
pub async fn of_hold(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    hold: Uuid,
) -> Result<Vec<HoldLot>, AppError> {
    fetch_all(
        conn,
        "SELECT h.lot_id, h.points, h.refunded, l.expires_at_ms FROM mem_hold_lots h \
         JOIN mem_lots l ON l.tenant = h.tenant AND l.id = h.lot_id \
         WHERE h.tenant = $1 AND h.hold_id = $2 \
         ORDER BY (l.expires_at_ms IS NULL), l.expires_at_ms, l.created_at_ms, l.id",
        [uuid(tenant.0), uuid(hold)],
    )
    .await
}

/// Adds `points` to what was refunded of a hold's share of `lot`.
pub async fn refund_hold_share(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    hold: Uuid,
    lot: Uuid,
    points: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_hold_lots SET refunded = refunded + $4 WHERE tenant = $1 AND hold_id = $2 \
         AND lot_id = $3",
        [uuid(tenant.0), uuid(hold), uuid(lot), points.into()],
    )
    .await
    .map(|_| ())
}

/// What ListPointsLots asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct LotFilter {
    /// Include exhausted and expired lots.
    pub include_closed: bool,
    /// Only lots expiring before this (ms), with points left.
    pub expiring_before_ms: Option<i64>,
    /// Now, for "open" = not expired.
    pub now_ms: i64,
}

fn condition(f: &LotFilter) -> (String, Vec<sea_orm::Value>) {
    let mut sql = String::from("tenant = $1 AND member_id = $2");
    let mut values = Vec::new();
    if !f.include_closed {
        values.push(f.now_ms.into());
        sql.push_str(" AND remaining_points > 0 AND (expires_at_ms IS NULL OR expires_at_ms > $3)");
    }
    if let Some(before) = f.expiring_before_ms {
        values.push(before.into());
        sql.push_str(&format!(
            " AND remaining_points > 0 AND expires_at_ms IS NOT NULL AND expires_at_ms <= ${}",
            values.len() + 2
        ));
    }
    (sql, values)
}

/// A page of the member's lots, soonest expiry first, after (sort key, id), and the sum of
/// remaining points over every matching lot.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    f: &LotFilter,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<(Vec<Lot>, i64), AppError> {
    let (cond, extra) = condition(f);
    let mut values = vec![uuid(tenant.0), uuid(member.0)];
    values.extend(extra);
    let sum = total(
        conn,
        &format!("SELECT CAST(SUM(remaining_points) AS BIGINT) AS n FROM mem_lots WHERE {cond}"),
        values.clone(),
    )
    .await?;
    let key = format!("COALESCE(expires_at_ms, {NEVER})");
    let mut sql = format!("SELECT {COLUMNS} FROM mem_lots WHERE {cond}");
    if let Some((k, id)) = after {
        let (a, b) = (values.len() + 1, values.len() + 2);
        sql.push_str(&format!(
            " AND ({key} > ${a} OR ({key} = ${a} AND id > ${b}))"
        ));
        values.extend([k.into(), uuid(id)]);
    }
    sql.push_str(&format!(" ORDER BY {key}, id LIMIT {limit}"));
    let rows: Vec<LotRow> = fetch_all(conn, &sql, values).await?;
    Ok((rows.into_iter().map(Lot::from).collect(), sum))
}

/// Points left in the member's lots expiring after `from_ms` and at or before `to_ms`.
pub async fn expiring(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    from_ms: i64,
    to_ms: i64,
) -> Result<(i64, Option<i64>), AppError> {
    #[derive(FromQueryResult)]
    struct Row {
        n: Option<i64>,
        first: Option<i64>,
    }
    let row: Option<Row> = crate::repo::fetch_one(
        conn,
        "SELECT CAST(SUM(CASE WHEN expires_at_ms <= $4 THEN remaining_points ELSE 0 END) AS BIGINT) \
         AS n, \
         MIN(expires_at_ms) AS first FROM mem_lots WHERE tenant = $1 AND member_id = $2 \
         AND remaining_points > 0 AND expires_at_ms IS NOT NULL AND expires_at_ms > $3",
        [uuid(tenant.0), uuid(member.0), from_ms.into(), to_ms.into()],
    )
    .await?;
    Ok(row.map_or((0, None), |r| (r.n.unwrap_or(0), r.first)))
}

/// The member's lots created by `entry` that still have points left, in consumption order.
pub async fn of_entry(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    entry: Uuid,
) -> Result<Vec<Lot>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mem_lots WHERE tenant = $1 AND member_id = $2 AND entry_id = $3 \
         AND remaining_points > 0 ORDER BY {CONSUMPTION}"
    );
    let rows: Vec<LotRow> =
        fetch_all(conn, &sql, [uuid(tenant.0), uuid(member.0), uuid(entry)]).await?;
    Ok(rows.into_iter().map(Lot::from).collect())
}
