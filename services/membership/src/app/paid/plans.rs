//! CreatePaidPlan, UpdatePaidPlan, GetPaidPlan and ListPaidPlans. A price change applies to
//! purchases from then on: periods keep what they were paid.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};

use crate::app::App;
use crate::app::domain::{PaidPlan, PaidPlanId};
use crate::{AppError, repo};

/// An UpdatePaidPlan request, parsed: new values and the mask's paths.
#[derive(Debug, Clone)]
pub struct PlanUpdate {
    /// New values; `id` selects the plan.
    pub plan: PaidPlan,
    /// Paths validated at the edge.
    pub paths: Vec<String>,
}

/// Refuses a tier or coupon pack the tenant does not have (INVALID_ARGUMENT on the field).
async fn require_benefits(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    plan: &PaidPlan,
) -> Result<(), AppError> {
    if !plan.tier_code.is_empty() {
        let tiers = repo::tiers::all(conn, ctx.tenant).await?;
        if !tiers
            .iter()
            .any(|t| t.code == plan.tier_code && !t.archived)
        {
            return Err(AppError::invalid("plan.tier_code", "unknown tier"));
        }
    }
    if let Some(pack) = plan.coupon_pack_id
        && repo::coupons::packs::get(conn, ctx.tenant, pack, false)
            .await?
            .is_none()
    {
        return Err(AppError::invalid(
            "plan.monthly_coupon_pack_id",
            "unknown coupon pack",
        ));
    }
    Ok(())
}

impl App {
    /// CreatePaidPlan.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_paid_plan(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut plan: PaidPlan,
    ) -> Result<PaidPlan, AppError> {
        plan.id = PaidPlanId(siyu_core::id::new());
        require_benefits(conn, ctx, &plan).await?;
        repo::paid::plans::insert(conn, ctx.tenant, &plan, self.now_ms()).await?;
        Ok(plan)
    }

    /// UpdatePaidPlan: applies the masked fields.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, plan_id = %u.plan.id))]
    pub async fn update_paid_plan(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        u: PlanUpdate,
    ) -> Result<PaidPlan, AppError> {
        let mut plan = repo::paid::plans::get(conn, ctx.tenant, u.plan.id)
            .await?
            .ok_or(AppError::PaidPlanNotFound)?;
        let n = u.plan;
        for path in &u.paths {
            match path.as_str() {
                "name" => plan.name = n.name.clone(),
                "price" => plan.price = n.price,
                "first_period_price" => plan.first_period_price = n.first_period_price,
                "tier_code" => plan.tier_code = n.tier_code.clone(),
                "monthly_coupon_pack_id" => plan.coupon_pack_id = n.coupon_pack_id,
                "points_multiplier_bps" => plan.points_multiplier_bps = n.points_multiplier_bps,
                "display_benefits" => plan.display_benefits = n.display_benefits.clone(),
                "on_sale" => plan.on_sale = n.on_sale,
                other => return Err(AppError::UnknownFieldPath(other.to_owned())),
            }
        }
        require_benefits(conn, ctx, &plan).await?;
        repo::paid::plans::update(conn, ctx.tenant, &plan, self.now_ms()).await?;
        Ok(plan)
    }

    /// GetPaidPlan.
    pub async fn paid_plan(&self, ctx: &Ctx, id: PaidPlanId) -> Result<PaidPlan, AppError> {
        repo::paid::plans::get(&self.db, ctx.tenant, id)
            .await?
            .ok_or(AppError::PaidPlanNotFound)
    }

    /// ListPaidPlans: consumers see plans on sale only, whatever they ask.
    pub async fn paid_plans(&self, ctx: &Ctx, off_sale: bool) -> Result<Vec<PaidPlan>, AppError> {
        let off_sale = off_sale && ctx.principal.kind != PrincipalKind::Consumer;
        repo::paid::plans::list(&self.db, ctx.tenant, off_sale).await
    }
}
