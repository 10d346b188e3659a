//! What the coupon expiry job writes: AVAILABLE coupons past their validity stored EXPIRED
//! (one conditional `UPDATE` per batch, so a coupon moves once whoever runs), and the
//! CouponExpiring bookkeeping — a row per member and Asia/Shanghai day
//! (`mem_coupon_reminders`) and the coupons it listed (`expiry_reminded_at_ms`).

use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{COLUMNS, CouponRow, decode};
use crate::AppError;
use crate::app::domain::{Coupon, MemberId};
use crate::repo::{execute, fetch_all, uuid};

/// Stores EXPIRED on up to `limit` AVAILABLE coupons whose validity ended by `now_ms`, the
/// longest ended first; answers how many this statement moved.
pub async fn expire_due(
    conn: &impl ConnectionTrait,
    now_ms: i64,
    limit: u64,
) -> Result<u64, AppError> {
    // Postgres: rows another runner is moving are skipped, not waited on; SQLite's writer
    // holds the database.
    let skip = match conn.get_database_backend() {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    execute(
        conn,
        &format!(
            "UPDATE mem_coupons SET status = 5, updated_at_ms = $1 WHERE status = 2 \
             AND valid_until_ms <= $1 AND (tenant, id) IN (SELECT tenant, id FROM mem_coupons \
             WHERE status = 2 AND valid_until_ms <= $1 ORDER BY valid_until_ms LIMIT {limit}{skip})"
        ),
        [now_ms.into()],
    )
    .await
}

/// A member with coupons to be reminded of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromQueryResult)]
pub struct ToRemind {
    /// The tenant.
    pub tenant: Uuid,
    /// The member.
    pub member_id: Uuid,
}

/// Up to `limit` members, after `after` (tenant, member), with usable coupons ending in
/// `(now_ms, until_ms]` not yet listed by a reminder, and no reminder on `day` yet.
pub async fn to_remind(
    conn: &impl ConnectionTrait,
    (now_ms, until_ms): (i64, i64),
    day: &str,
    after: Option<(Uuid, Uuid)>,
    limit: u64,
) -> Result<Vec<ToRemind>, AppError> {
    let mut values = vec![now_ms.into(), until_ms.into(), day.into()];
    let mut sql = "SELECT DISTINCT c.tenant, c.member_id FROM mem_coupons c WHERE c.status = 2 \
         AND c.valid_until_ms > $1 AND c.valid_until_ms <= $2 AND c.valid_from_ms <= $1 \
         AND c.expiry_reminded_at_ms IS NULL AND NOT EXISTS (SELECT 1 FROM mem_coupon_reminders r \
         WHERE r.tenant = c.tenant AND r.member_id = c.member_id AND r.day = $3)"
        .to_owned();
    if let Some((t, m)) = after {
        sql.push_str(" AND (c.tenant > $4 OR (c.tenant = $4 AND c.member_id > $5))");
        values.push(uuid(t));
        values.push(uuid(m));
    }
    sql.push_str(&format!(" ORDER BY c.tenant, c.member_id LIMIT {limit}"));
    fetch_all(conn, &sql, values).await
}

/// Claims `member`'s reminder of `day`; `false` when one exists (another runner, or earlier).
pub async fn claim_day(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    day: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_coupon_reminders (tenant, member_id, day, coupon_count, days_ahead, \
         created_at_ms) VALUES ($1, $2, $3, 0, 0, $4) ON CONFLICT (tenant, member_id, day) \
         DO NOTHING",
        [uuid(tenant.0), uuid(member.0), day.into(), now_ms.into()],
    )
    .await?;
    Ok(n == 1)
}

/// Marks `member`'s usable coupons ending in `(now_ms, until_ms]` not yet listed as listed now,
/// and answers them (soonest end first).
pub async fn mark_reminded(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    (now_ms, until_ms): (i64, i64),
) -> Result<Vec<Coupon>, AppError> {
    let rows: Vec<CouponRow> = fetch_all(
        conn,
        &format!(
            "UPDATE mem_coupons SET expiry_reminded_at_ms = $3 WHERE tenant = $1 \
             AND member_id = $2 AND status = 2 AND valid_until_ms > $3 AND valid_until_ms <= $4 \
             AND valid_from_ms <= $3 AND expiry_reminded_at_ms IS NULL RETURNING {COLUMNS}"
        ),
        [
            uuid(tenant.0),
            uuid(member.0),
            now_ms.into(),
            until_ms.into(),
        ],
    )
    .await?;
    let mut coupons = decode(rows)?;
    coupons.sort_by_key(|c| (c.valid_until_ms, c.id));
    Ok(coupons)
}

/// Records what `member`'s reminder of `day` listed.
pub async fn record_day(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    day: &str,
    (count, days_ahead): (i32, i32),
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_coupon_reminders SET coupon_count = $4, days_ahead = $5 \
         WHERE tenant = $1 AND member_id = $2 AND day = $3",
        [
            uuid(tenant.0),
            uuid(member.0),
            day.into(),
            count.into(),
            days_ahead.into(),
        ],
    )
    .await
    .map(|_| ())
}
