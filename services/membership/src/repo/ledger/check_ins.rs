//! `mem_check_ins`: one row per member and local day, written in the transaction of the
//! check-in's EARN entry (whose business key is the exactly-once guard; the primary key backs
//! it up).

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::MemberId;
use crate::repo::{execute, fetch_all, fetch_one, uuid};

/// One day's check-in of a member.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct CheckInDay {
    /// Local date, YYYY-MM-DD (Asia/Shanghai).
    pub day: String,
    /// Consecutive days up to and including this one.
    pub streak: i32,
    /// Daily points credited.
    pub points: i64,
    /// Streak bonus credited.
    pub bonus_points: i64,
    /// The EARN entry.
    pub entry_id: Uuid,
}

const COLUMNS: &str = "day, streak, points, bonus_points, entry_id";

/// Records a check-in.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    c: &CheckInDay,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_check_ins (tenant, member_id, day, streak, points, bonus_points, \
         entry_id, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            uuid(tenant.0),
            uuid(member.0),
            c.day.clone().into(),
            c.streak.into(),
            c.points.into(),
            c.bonus_points.into(),
            uuid(c.entry_id),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// The member's check-in of `day`, if any.
pub async fn on(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    day: &str,
) -> Result<Option<CheckInDay>, AppError> {
    fetch_one(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM mem_check_ins WHERE tenant = $1 AND member_id = $2 AND day = $3"
        ),
        [uuid(tenant.0), uuid(member.0), day.into()],
    )
    .await
}

/// The member's check-ins of a month (`YYYY-MM`), by day.
pub async fn in_month(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    month: &str,
) -> Result<Vec<CheckInDay>, AppError> {
    fetch_all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM mem_check_ins WHERE tenant = $1 AND member_id = $2 \
             AND day LIKE $3 ORDER BY day"
        ),
        [uuid(tenant.0), uuid(member.0), format!("{month}-%").into()],
    )
    .await
}
