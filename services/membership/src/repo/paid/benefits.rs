//! What paid periods give: the tier floor and points multiplier as last applied
//! (`mem_paid_memberships`),
//! the monthly packs (`mem_paid_packs`, one row per member and month) and the coupons they
//! issued.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{MemberId, PaidPeriodId};
use crate::repo::{execute, fetch_all, fetch_one, opt_uuid, placeholders, uuid};

/// The benefits applied to a member now (from the period covering the moment they were
/// applied).
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Applied {
    /// The plan tier the member holds at least.
    pub tier_floor: Option<String>,
    /// The plan's extra points multiplier, bps (10000: none).
    pub points_multiplier_bps: i32,
}

impl Default for Applied {
    fn default() -> Self {
        Self {
            tier_floor: None,
            points_multiplier_bps: 10_000,
        }
    }
}

/// The benefits applied to the member now (the defaults when it never bought).
pub async fn applied(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
) -> Result<Applied, AppError> {
    let row: Option<Applied> = fetch_one(
        conn,
        "SELECT tier_floor, points_multiplier_bps FROM mem_paid_memberships \
         WHERE tenant = $1 AND member_id = $2",
        [uuid(tenant.0), uuid(member.0)],
    )
    .await?;
    Ok(row.unwrap_or_default())
}

#[derive(Debug, FromQueryResult)]
struct FloorRow {
    member_id: Uuid,
    tier_floor: Option<String>,
}

/// The tier floors of those of `members` that have one.
pub async fn tier_floors(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    members: &[MemberId],
) -> Result<HashMap<MemberId, String>, AppError> {
    if members.is_empty() {
        return Ok(HashMap::new());
    }
    let mut values = vec![uuid(tenant.0)];
    values.extend(members.iter().map(|m| uuid(m.0)));
    let rows: Vec<FloorRow> = fetch_all(
        conn,
        &format!(
            "SELECT member_id, tier_floor FROM mem_paid_memberships WHERE tenant = $1 \
             AND tier_floor IS NOT NULL AND member_id IN ({})",
            placeholders(2, members.len())
        ),
        values,
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.tier_floor.map(|f| (MemberId(r.member_id), f)))
        .collect())
}

/// Records the benefits applied now (the member's row exists: its lock is held).
pub async fn set_applied(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    a: &Applied,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_paid_memberships SET tier_floor = $3, points_multiplier_bps = $4, \
         updated_at_ms = $5 WHERE tenant = $1 AND member_id = $2",
        [
            uuid(tenant.0),
            uuid(member.0),
            a.tier_floor.clone().into(),
            a.points_multiplier_bps.into(),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Claims the member's pack of `month` (YYYYMM) for `period`: true when this call inserted the
/// row, false when the month was handled already.
pub async fn claim_month(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    month: &str,
    period: PaidPeriodId,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_paid_packs (tenant, member_id, month, period_id, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, member_id, month) DO NOTHING",
        [
            uuid(tenant.0),
            uuid(member.0),
            month.into(),
            uuid(period.0),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Records the coupon grant of a claimed month.
pub async fn set_month_grant(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    month: &str,
    grant: Option<Uuid>,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_paid_packs SET grant_id = $4 \
         WHERE tenant = $1 AND member_id = $2 AND month = $3",
        [
            uuid(tenant.0),
            uuid(member.0),
            month.into(),
            opt_uuid(grant),
        ],
    )
    .await
    .map(|_| ())
}

/// Deletes the month claims of a revoked period.
pub async fn release_months(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    period: PaidPeriodId,
) -> Result<u64, AppError> {
    execute(
        conn,
        "DELETE FROM mem_paid_packs WHERE tenant = $1 AND period_id = $2",
        [uuid(tenant.0), uuid(period.0)],
    )
    .await
}

#[derive(Debug, FromQueryResult)]
struct GrantRow {
    grant_id: Uuid,
}

/// The coupon grants of the packs a period gave.
pub async fn grants_of_period(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    period: PaidPeriodId,
) -> Result<Vec<Uuid>, AppError> {
    let rows: Vec<GrantRow> = fetch_all(
        conn,
        "SELECT grant_id FROM mem_paid_packs WHERE tenant = $1 AND period_id = $2 \
         AND grant_id IS NOT NULL ORDER BY month",
        [uuid(tenant.0), uuid(period.0)],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.grant_id).collect())
}

/// Revokes the unused coupons (AVAILABLE, including not yet valid, and not past their
/// validity) `grant` issued; answers how many. Used, locked and expired ones stay as they are.
pub async fn revoke_unused_of_grant(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    grant: Uuid,
    now_ms: i64,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE mem_coupons SET status = 6, updated_at_ms = $3 \
         WHERE tenant = $1 AND grant_id = $2 AND status = 2 AND valid_until_ms > $3",
        [uuid(tenant.0), uuid(grant), now_ms.into()],
    )
    .await
}
