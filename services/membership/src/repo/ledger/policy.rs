//! `mem_ledger_policies`: one row per tenant once it changed its policy; before that the
//! tenant has the defaults (`LedgerPolicy::default`).

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::AppError;
use crate::app::domain::LedgerPolicy;
use crate::repo::{execute, fetch_one, stored, uuid};

#[derive(Debug, FromQueryResult)]
struct PolicyRow {
    points_per_yuan: i64,
    max_points_deduction_bps: i32,
    min_points_per_order: i64,
    stored_value_enabled: bool,
    points_transfer_enabled: bool,
    expiry_mode: i16,
    expiry_days: i32,
    expiry_reminder_days: i32,
    restored_points_grace_days: i32,
    stored_value_earns: bool,
}

/// The tenant's policy (the defaults until it changes them).
pub async fn get(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<LedgerPolicy, AppError> {
    let row: Option<PolicyRow> = fetch_one(
        conn,
        "SELECT points_per_yuan, max_points_deduction_bps, min_points_per_order, \
         stored_value_enabled, points_transfer_enabled, expiry_mode, expiry_days, \
         expiry_reminder_days, restored_points_grace_days, stored_value_earns \
         FROM mem_ledger_policies WHERE tenant = $1",
        [uuid(tenant.0)],
    )
    .await?;
    let Some(r) = row else {
        return Ok(LedgerPolicy::default());
    };
    Ok(LedgerPolicy {
        points_per_yuan: r.points_per_yuan,
        max_points_deduction_bps: r.max_points_deduction_bps,
        min_points_per_order: r.min_points_per_order,
        stored_value_enabled: r.stored_value_enabled,
        points_transfer_enabled: r.points_transfer_enabled,
        expiry_mode: stored(r.expiry_mode)?,
        expiry_days: r.expiry_days,
        expiry_reminder_days: r.expiry_reminder_days,
        restored_points_grace_days: r.restored_points_grace_days,
        stored_value_earns: r.stored_value_earns,
    })
}

/// Stores the tenant's policy.
pub async fn put(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &LedgerPolicy,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_ledger_policies (tenant, points_per_yuan, max_points_deduction_bps, \
         min_points_per_order, stored_value_enabled, points_transfer_enabled, expiry_mode, \
         expiry_days, expiry_reminder_days, restored_points_grace_days, stored_value_earns, \
         updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (tenant) DO UPDATE SET points_per_yuan = excluded.points_per_yuan, \
         max_points_deduction_bps = excluded.max_points_deduction_bps, \
         min_points_per_order = excluded.min_points_per_order, \
         stored_value_enabled = excluded.stored_value_enabled, \
         points_transfer_enabled = excluded.points_transfer_enabled, \
         expiry_mode = excluded.expiry_mode, expiry_days = excluded.expiry_days, \
         expiry_reminder_days = excluded.expiry_reminder_days, \
         restored_points_grace_days = excluded.restored_points_grace_days, \
         stored_value_earns = excluded.stored_value_earns, updated_at_ms = excluded.updated_at_ms",
        [
            uuid(tenant.0),
            p.points_per_yuan.into(),
            p.max_points_deduction_bps.into(),
            p.min_points_per_order.into(),
            p.stored_value_enabled.into(),
            p.points_transfer_enabled.into(),
            Value::SmallInt(Some(p.expiry_mode.number())),
            p.expiry_days.into(),
            p.expiry_reminder_days.into(),
            p.restored_points_grace_days.into(),
            p.stored_value_earns.into(),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Stores `p` as the tenant's first policy; `false` (nothing written) when the tenant already
/// has one — a seed never overrides what the tenant set, and of two seeds racing one wins.
pub async fn seed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &LedgerPolicy,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_ledger_policies (tenant, points_per_yuan, max_points_deduction_bps, \
         min_points_per_order, stored_value_enabled, points_transfer_enabled, expiry_mode, \
         expiry_days, expiry_reminder_days, restored_points_grace_days, stored_value_earns, \
         updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (tenant) DO NOTHING",
        [
            uuid(tenant.0),
            p.points_per_yuan.into(),
            p.max_points_deduction_bps.into(),
            p.min_points_per_order.into(),
            p.stored_value_enabled.into(),
            p.points_transfer_enabled.into(),
            Value::SmallInt(Some(p.expiry_mode.number())),
            p.expiry_days.into(),
            p.expiry_reminder_days.into(),
            p.restored_points_grace_days.into(),
            p.stored_value_earns.into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}
