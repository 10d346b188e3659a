//! What the points expiry job scans: members with lots past their expiry, and lots expiring
//! within a tenant's reminder window that no reminder covered yet (`mem_expiry_reminders`, one
//! row per member and expiry date, inserted in the transaction of its PointsExpiring).

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::MemberId;
use crate::repo::{execute, fetch_all, uuid};

/// A member with lots due, the earliest expiry first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromQueryResult)]
pub struct DueMember {
    /// The tenant.
    pub tenant: Uuid,
    /// The member.
    pub member_id: Uuid,
    /// Their earliest due expiry, ms.
    pub first_ms: i64,
}

/// Up to `limit` members with points left on lots that expired at or before `now_ms`,
/// longest overdue first (across tenants).
pub async fn due_members(
    conn: &impl ConnectionTrait,
    now_ms: i64,
    limit: u64,
) -> Result<Vec<DueMember>, AppError> {
    fetch_all(
        conn,
        "SELECT tenant, member_id, MIN(expires_at_ms) AS first_ms FROM mem_lots \
         WHERE expires_at_ms <= $1 AND remaining_points > 0 GROUP BY tenant, member_id \
         ORDER BY first_ms, member_id LIMIT $2",
        [
            now_ms.into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ],
    )
    .await
}

#[derive(Debug, FromQueryResult)]
struct TenantRow {
    tenant: Uuid,
}

/// Tenants with points expiring after `now_ms` (the ones a reminder may concern).
pub async fn tenants_with_expiring(
    conn: &impl ConnectionTrait,
    now_ms: i64,
) -> Result<Vec<TenantId>, AppError> {
    let rows: Vec<TenantRow> = fetch_all(
        conn,
        "SELECT DISTINCT tenant FROM mem_lots WHERE expires_at_ms > $1 AND remaining_points > 0",
        [now_ms.into()],
    )
    .await?;
    Ok(rows.into_iter().map(|r| TenantId(r.tenant)).collect())
}

/// Points of one member expiring at one instant, not reminded of yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromQueryResult)]
pub struct Expiring {
    /// The member.
    pub member_id: Uuid,
    /// When they expire, ms.
    pub expires_at_ms: i64,
    /// Points left on the lots expiring then.
    pub points: i64,
}

/// Up to `limit` (member, expiry) groups of the tenant expiring in `(now_ms, until_ms]` with no
/// reminder yet, soonest first.
pub async fn unreminded(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    now_ms: i64,
    until_ms: i64,
    limit: u64,
) -> Result<Vec<Expiring>, AppError> {
    fetch_all(
        conn,
        "SELECT l.member_id, l.expires_at_ms, CAST(SUM(l.remaining_points) AS BIGINT) AS points \
         FROM mem_lots l WHERE l.tenant = $1 AND l.remaining_points > 0 \
         AND l.expires_at_ms > $2 AND l.expires_at_ms <= $3 AND NOT EXISTS ( \
           SELECT 1 FROM mem_expiry_reminders r WHERE r.tenant = l.tenant \
           AND r.member_id = l.member_id AND r.expires_at_ms = l.expires_at_ms) \
         GROUP BY l.member_id, l.expires_at_ms ORDER BY l.expires_at_ms, l.member_id LIMIT $4",
        [
            uuid(tenant.0),
            now_ms.into(),
            until_ms.into(),
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        ],
    )
    .await
}

/// Records the reminder of `member`'s points expiring at `expires_at_ms`; `false` when one was
/// recorded already (another runner, or an earlier pass).
pub async fn remind_once(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    e: &Expiring,
    days_ahead: i32,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_expiry_reminders (tenant, member_id, expires_at_ms, points, days_ahead, \
         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (tenant, member_id, expires_at_ms) DO NOTHING",
        [
            uuid(tenant.0),
            uuid(member.0),
            e.expires_at_ms.into(),
            e.points.into(),
            days_ahead.into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}
