//! `mem_paid_plans`.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{PaidPlan, PaidPlanId};
use crate::repo::{
    execute, fetch_all, fetch_one, from_json, opt_i64, opt_uuid, stored, to_json, uuid,
};

const COLUMNS: &str = "id, name, period, price, first_period_price, tier_code, coupon_pack_id, \
    points_multiplier_bps, display_benefits, on_sale";

#[derive(Debug, FromQueryResult)]
struct PlanRow {
    id: Uuid,
    name: String,
    period: i16,
    price: i64,
    first_period_price: Option<i64>,
    tier_code: String,
    coupon_pack_id: Option<Uuid>,
    points_multiplier_bps: i32,
    display_benefits: String,
    on_sale: bool,
}

impl TryFrom<PlanRow> for PaidPlan {
    type Error = AppError;

    fn try_from(r: PlanRow) -> Result<Self, AppError> {
        Ok(Self {
            id: PaidPlanId(r.id),
            name: r.name,
            period: stored(r.period)?,
            price: r.price,
            first_period_price: r.first_period_price,
            tier_code: r.tier_code,
            coupon_pack_id: r.coupon_pack_id,
            points_multiplier_bps: r.points_multiplier_bps,
            display_benefits: from_json("display_benefits", &r.display_benefits)?,
            on_sale: r.on_sale,
        })
    }
}

fn values(tenant: TenantId, p: &PaidPlan, now_ms: i64) -> Result<Vec<Value>, AppError> {
    Ok(vec![
        uuid(tenant.0),
        uuid(p.id.0),
        p.name.clone().into(),
        Value::SmallInt(Some(p.period.number())),
        p.price.into(),
        opt_i64(p.first_period_price),
        p.tier_code.clone().into(),
        opt_uuid(p.coupon_pack_id),
        p.points_multiplier_bps.into(),
        to_json(&p.display_benefits)?,
        p.on_sale.into(),
        now_ms.into(),
    ])
}

/// Inserts a new plan.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &PaidPlan,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_paid_plans (tenant, id, name, period, price, first_period_price, \
         tier_code, coupon_pack_id, points_multiplier_bps, display_benefits, on_sale, \
         created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
        values(tenant, p, now_ms)?,
    )
    .await
    .map(|_| ())
}

/// Writes a plan's changeable fields (the period never changes).
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &PaidPlan,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_paid_plans SET name = $3, price = $5, first_period_price = $6, \
         tier_code = $7, coupon_pack_id = $8, points_multiplier_bps = $9, \
         display_benefits = $10, on_sale = $11, updated_at_ms = $12 \
         WHERE tenant = $1 AND id = $2 AND period = $4",
        values(tenant, p, now_ms)?,
    )
    .await
    .map(|_| ())
}

/// A plan of the tenant.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: PaidPlanId,
) -> Result<Option<PaidPlan>, AppError> {
    let row: Option<PlanRow> = fetch_one(
        conn,
        &format!("SELECT {COLUMNS} FROM mem_paid_plans WHERE tenant = $1 AND id = $2"),
        [uuid(tenant.0), uuid(id.0)],
    )
    .await?;
    row.map(PaidPlan::try_from).transpose()
}

/// The tenant's plans (on sale only unless `off_sale`), by price then id.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    off_sale: bool,
) -> Result<Vec<PaidPlan>, AppError> {
    let rows: Vec<PlanRow> = fetch_all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM mem_paid_plans WHERE tenant = $1{} ORDER BY price, id",
            if off_sale { "" } else { " AND on_sale" }
        ),
        [uuid(tenant.0)],
    )
    .await?;
    rows.into_iter().map(PaidPlan::try_from).collect()
}
