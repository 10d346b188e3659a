//! `mem_top_up_plans`: stored-value top-up plans (充值方案) of the tenant.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::TopUpPlan;
use crate::repo::{execute, fetch_all, fetch_one, for_update, opt_i64, opt_uuid, uuid};

const COLUMNS: &str = "id, name, pay_amount, bonus_amount, bonus_points, coupon_pack_id, \
    per_member_limit, on_sale, starts_at_ms, ends_at_ms";

#[derive(Debug, FromQueryResult)]
struct PlanRow {
    id: Uuid,
    name: String,
    pay_amount: i64,
    bonus_amount: i64,
    bonus_points: i64,
    coupon_pack_id: Option<Uuid>,
    per_member_limit: i32,
    on_sale: bool,
    starts_at_ms: Option<i64>,
    ends_at_ms: Option<i64>,
}

impl From<PlanRow> for TopUpPlan {
    fn from(r: PlanRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            pay_amount: r.pay_amount,
            bonus_amount: r.bonus_amount,
            bonus_points: r.bonus_points,
            coupon_pack_id: r.coupon_pack_id,
            per_member_limit: r.per_member_limit,
            on_sale: r.on_sale,
            starts_at_ms: r.starts_at_ms,
            ends_at_ms: r.ends_at_ms,
        }
    }
}

/// Creates or replaces a plan.
pub async fn put(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &TopUpPlan,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_top_up_plans (tenant, id, name, pay_amount, bonus_amount, bonus_points, \
         coupon_pack_id, per_member_limit, on_sale, starts_at_ms, ends_at_ms, created_at_ms, \
         updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
         ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, \
         pay_amount = excluded.pay_amount, bonus_amount = excluded.bonus_amount, \
         bonus_points = excluded.bonus_points, coupon_pack_id = excluded.coupon_pack_id, \
         per_member_limit = excluded.per_member_limit, on_sale = excluded.on_sale, \
         starts_at_ms = excluded.starts_at_ms, ends_at_ms = excluded.ends_at_ms, \
         updated_at_ms = excluded.updated_at_ms",
        [
            uuid(tenant.0),
            uuid(p.id),
            p.name.clone().into(),
            p.pay_amount.into(),
            p.bonus_amount.into(),
            p.bonus_points.into(),
            opt_uuid(p.coupon_pack_id),
            p.per_member_limit.into(),
            p.on_sale.into(),
            opt_i64(p.starts_at_ms),
            opt_i64(p.ends_at_ms),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// A plan of the tenant; locked (Postgres) when `lock`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    lock: bool,
) -> Result<Option<TopUpPlan>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mem_top_up_plans WHERE tenant = $1 AND id = $2{}",
        if lock { for_update(conn) } else { "" }
    );
    let row: Option<PlanRow> = fetch_one(conn, &sql, [uuid(tenant.0), uuid(id)]).await?;
    Ok(row.map(TopUpPlan::from))
}

/// Every plan of the tenant, ascending by pay amount (a tenant sells a handful).
pub async fn all(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<TopUpPlan>, AppError> {
    let sql =
        format!("SELECT {COLUMNS} FROM mem_top_up_plans WHERE tenant = $1 ORDER BY pay_amount, id");
    let rows: Vec<PlanRow> = fetch_all(conn, &sql, [uuid(tenant.0)]).await?;
    Ok(rows.into_iter().map(TopUpPlan::from).collect())
}
