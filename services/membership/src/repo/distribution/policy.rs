//! `mem_commission_policies` (one row per tenant, absent = the default), the per-SKU overrides
//! `mem_sku_commission_rates`, and `mem_distributors` (explicit enable / disable per member).

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{CommissionPolicy, MemberId, SkuRate};
use crate::repo::{execute, fetch_all, fetch_one, uuid};

#[derive(Debug, FromQueryResult)]
struct PolicyRow {
    enabled: bool,
    open_to_all_members: bool,
    level1_rate_bps: i32,
    level2_enabled: bool,
    level2_rate_bps: i32,
    min_withdrawal: i64,
    auto_approve_max: i64,
}

/// The tenant's policy (the default when it set none).
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<CommissionPolicy, AppError> {
    let row: Option<PolicyRow> = fetch_one(
        conn,
        "SELECT enabled, open_to_all_members, level1_rate_bps, level2_enabled, level2_rate_bps, \
         min_withdrawal, auto_approve_max FROM mem_commission_policies WHERE tenant = $1",
        [uuid(tenant.0)],
    )
    .await?;
    Ok(
        row.map_or_else(CommissionPolicy::default, |r| CommissionPolicy {
            enabled: r.enabled,
            open_to_all_members: r.open_to_all_members,
            level1_rate_bps: r.level1_rate_bps,
            level2_enabled: r.level2_enabled,
            level2_rate_bps: r.level2_rate_bps,
            min_withdrawal: r.min_withdrawal,
            auto_approve_max: r.auto_approve_max,
        }),
    )
}

/// Stores the tenant's policy.
pub async fn put(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &CommissionPolicy,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_commission_policies (tenant, enabled, open_to_all_members, \
         level1_rate_bps, level2_enabled, level2_rate_bps, min_withdrawal, auto_approve_max, \
         updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant) DO UPDATE \
         SET enabled = excluded.enabled, open_to_all_members = excluded.open_to_all_members, \
         level1_rate_bps = excluded.level1_rate_bps, level2_enabled = excluded.level2_enabled, \
         level2_rate_bps = excluded.level2_rate_bps, min_withdrawal = excluded.min_withdrawal, \
         auto_approve_max = excluded.auto_approve_max, updated_at_ms = excluded.updated_at_ms",
        [
            uuid(tenant.0),
            p.enabled.into(),
            p.open_to_all_members.into(),
            p.level1_rate_bps.into(),
            p.level2_enabled.into(),
            p.level2_rate_bps.into(),
            p.min_withdrawal.into(),
            p.auto_approve_max.into(),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

#[derive(Debug, FromQueryResult)]
struct RateRow {
    sku_id: Uuid,
    level1_rate_bps: i32,
    level2_rate_bps: i32,
}

impl From<RateRow> for SkuRate {
    fn from(r: RateRow) -> Self {
        Self {
            sku_id: r.sku_id,
            level1_rate_bps: r.level1_rate_bps,
            level2_rate_bps: r.level2_rate_bps,
        }
    }
}

/// Creates or replaces an override.
pub async fn put_rate(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    r: &SkuRate,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_sku_commission_rates (tenant, sku_id, level1_rate_bps, level2_rate_bps, \
         updated_at_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, sku_id) DO UPDATE SET \
         level1_rate_bps = excluded.level1_rate_bps, level2_rate_bps = excluded.level2_rate_bps, \
         updated_at_ms = excluded.updated_at_ms",
        [
            uuid(tenant.0),
            uuid(r.sku_id),
            r.level1_rate_bps.into(),
            r.level2_rate_bps.into(),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Removes an override; false when there was none.
pub async fn delete_rate(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "DELETE FROM mem_sku_commission_rates WHERE tenant = $1 AND sku_id = $2",
        [uuid(tenant.0), uuid(sku)],
    )
    .await?;
    Ok(n == 1)
}

/// The override of `sku`, if any.
pub async fn rate(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
) -> Result<Option<SkuRate>, AppError> {
    let row: Option<RateRow> = fetch_one(
        conn,
        "SELECT sku_id, level1_rate_bps, level2_rate_bps FROM mem_sku_commission_rates \
         WHERE tenant = $1 AND sku_id = $2",
        [uuid(tenant.0), uuid(sku)],
    )
    .await?;
    Ok(row.map(Into::into))
}

/// Overrides in SKU order after the cursor.
pub async fn rates(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<SkuRate>, AppError> {
    let rows: Vec<RateRow> =
        match after {
            None => fetch_all(
                conn,
                &format!(
                    "SELECT sku_id, level1_rate_bps, level2_rate_bps FROM mem_sku_commission_rates \
                     WHERE tenant = $1 ORDER BY sku_id LIMIT {limit}"
                ),
                [uuid(tenant.0)],
            )
            .await?,
            Some(a) => fetch_all(
                conn,
                &format!(
                    "SELECT sku_id, level1_rate_bps, level2_rate_bps FROM mem_sku_commission_rates \
                     WHERE tenant = $1 AND sku_id > $2 ORDER BY sku_id LIMIT {limit}"
                ),
                [uuid(tenant.0), uuid(a)],
            )
            .await?,
        };
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The member's explicit distributor switch, if staff set one.
pub async fn distributor_switch(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
) -> Result<Option<bool>, AppError> {
    #[derive(Debug, FromQueryResult)]
    struct Row {
        enabled: bool,
    }
    let row: Option<Row> = fetch_one(
        conn,
        "SELECT enabled FROM mem_distributors WHERE tenant = $1 AND member_id = $2",
        [uuid(tenant.0), uuid(member.0)],
    )
    .await?;
    Ok(row.map(|r| r.enabled))
}

/// Sets the member's distributor switch.
pub async fn set_distributor(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    enabled: bool,
    reason: &str,
    changed_by: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_distributors (tenant, member_id, enabled, reason, changed_by, \
         updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, member_id) DO UPDATE \
         SET enabled = excluded.enabled, reason = excluded.reason, \
         changed_by = excluded.changed_by, updated_at_ms = excluded.updated_at_ms",
        [
            uuid(tenant.0),
            uuid(member.0),
            enabled.into(),
            reason.into(),
            changed_by.into(),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}
