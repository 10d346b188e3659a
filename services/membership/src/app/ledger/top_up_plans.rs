//! Stored-value top-up plans (充值方案, e.g. pay ¥500 get ¥50): created and changed by HQ,
//! listed for everyone of the tenant (orders prices a top-up order from its plan). Consumers
//! and partners see plans on sale now; staff and services may ask for all of them.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};

use crate::app::App;
use crate::app::domain::TopUpPlan;
use crate::{AppError, repo};

/// An UpdateTopUpPlan request, parsed.
#[derive(Debug, Clone)]
pub struct PlanUpdate {
    /// New values; `id` selects the plan.
    pub plan: TopUpPlan,
    /// Field names to change, validated at the edge.
    pub paths: Vec<String>,
}

impl App {
    /// CreateTopUpPlan; refused while the tenant has stored value disabled.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_plan(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut plan: TopUpPlan,
    ) -> Result<TopUpPlan, AppError> {
        if !repo::ledger::policy::get(conn, ctx.tenant)
            .await?
            .stored_value_enabled
        {
            return Err(AppError::StoredValueDisabled);
        }
        plan.id = siyu_core::id::new();
        repo::ledger::top_up_plans::put(conn, ctx.tenant, &plan, self.now_ms()).await?;
        Ok(plan)
    }

    /// UpdateTopUpPlan: applies the masked fields.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, plan_id = %u.plan.id))]
    pub async fn update_plan(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        u: PlanUpdate,
    ) -> Result<TopUpPlan, AppError> {
        let mut plan = repo::ledger::top_up_plans::get(conn, ctx.tenant, u.plan.id, true)
            .await?
            .ok_or(AppError::TopUpPlanNotFound)?;
        let n = u.plan;
        for path in &u.paths {
            match path.as_str() {
                "name" => plan.name.clone_from(&n.name),
                "pay_amount" => plan.pay_amount = n.pay_amount,
                "bonus_amount" => plan.bonus_amount = n.bonus_amount,
                "bonus_points" => plan.bonus_points = n.bonus_points,
                "coupon_pack_id" => plan.coupon_pack_id = n.coupon_pack_id,
                "per_member_limit" => plan.per_member_limit = n.per_member_limit,
                "on_sale" => plan.on_sale = n.on_sale,
                "starts_at" => plan.starts_at_ms = n.starts_at_ms,
                "ends_at" => plan.ends_at_ms = n.ends_at_ms,
                other => return Err(AppError::UnknownFieldPath(other.to_owned())),
            }
        }
        if let (Some(s), Some(e)) = (plan.starts_at_ms, plan.ends_at_ms)
            && s >= e
        {
            return Err(AppError::invalid("plan.ends_at", "must be after starts_at"));
        }
        repo::ledger::top_up_plans::put(conn, ctx.tenant, &plan, self.now_ms()).await?;
        Ok(plan)
    }

    /// ListTopUpPlans, ascending by pay amount.
    pub async fn plans(
        &self,
        ctx: &Ctx,
        include_off_sale: bool,
    ) -> Result<Vec<TopUpPlan>, AppError> {
        let all_of_them = include_off_sale
            && matches!(
                ctx.principal.kind,
                PrincipalKind::Staff | PrincipalKind::Service
            );
        let now = self.now_ms();
        let plans = repo::ledger::top_up_plans::all(&self.db, ctx.tenant).await?;
        Ok(plans
            .into_iter()
            .filter(|p| all_of_them || p.sells_at(now))
            .collect())
    }
}
