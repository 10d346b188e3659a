//! CreatePaidPlan, UpdatePaidPlan, GetPaidPlan and ListPaidPlans.

use siyu_proto::membership::v1 as pb;
use tonic::{Request, Response};

use super::super::convert::mask;
use super::super::{Handlers, R, ctx};
use super::plan_id;
use crate::AppError;
use crate::app::domain::PaidPlan;
use crate::app::paid::plans::PlanUpdate;

const PLAN_PATHS: [&str; 8] = [
    "name",
    "price",
    "first_period_price",
    "tier_code",
    "monthly_coupon_pack_id",
    "points_multiplier_bps",
    "display_benefits",
    "on_sale",
];

fn required_plan(p: Option<&pb::PaidPlan>) -> Result<&pb::PaidPlan, AppError> {
    p.ok_or_else(|| AppError::invalid("plan", "required"))
}

impl TryFrom<&pb::UpdatePaidPlanRequest> for PlanUpdate {
    type Error = AppError;

    fn try_from(req: &pb::UpdatePaidPlanRequest) -> Result<Self, AppError> {
        let paths = mask(req.update_mask.as_ref())?;
        if paths.iter().any(|p| p == "period") {
            return Err(AppError::invalid("update_mask", "period is immutable"));
        }
        if let Some(p) = paths.iter().find(|p| !PLAN_PATHS.contains(&p.as_str())) {
            return Err(AppError::UnknownFieldPath(p.clone()));
        }
        let wire = required_plan(req.plan.as_ref())?;
        let id = plan_id("plan.plan_id", &wire.plan_id)?;
        // Only masked fields need valid values: unmasked ones get neutral stand-ins so the plan
        // parses as a whole (the app copies masked fields only).
        let masked = |p: &str| paths.iter().any(|m| m == p);
        let mut full = wire.clone();
        full.period = pb::PaidPlanPeriod::Month as i32;
        if !masked("name") {
            full.name = "-".into();
        }
        if !masked("price") {
            full.price = super::cny(1);
        }
        if !masked("first_period_price") {
            full.first_period_price = None;
        }
        if !masked("tier_code") {
            full.tier_code.clear();
        }
        if !masked("monthly_coupon_pack_id") {
            full.monthly_coupon_pack_id.clear();
        }
        if !masked("points_multiplier_bps") {
            full.points_multiplier_bps = 10_000;
        }
        if !masked("display_benefits") {
            full.display_benefits.clear();
        }
        let mut plan = PaidPlan::try_from(&full)?;
        plan.id = id;
        Ok(Self { plan, paths })
    }
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn create(
    h: &Handlers,
    request: Request<pb::CreatePaidPlanRequest>,
) -> R<pb::CreatePaidPlanResponse> {
    let ctx = ctx(&request)?;
    let plan = PaidPlan::try_from(required_plan(request.get_ref().plan.as_ref())?)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let plan = app.create_paid_plan(txn, &ctx, plan).await?;
                Ok(pb::CreatePaidPlanResponse {
                    plan: Some((&plan).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn update(
    h: &Handlers,
    request: Request<pb::UpdatePaidPlanRequest>,
) -> R<pb::UpdatePaidPlanResponse> {
    let ctx = ctx(&request)?;
    let input = PlanUpdate::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let plan = app.update_paid_plan(txn, &ctx, input).await?;
                Ok(pb::UpdatePaidPlanResponse {
                    plan: Some((&plan).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(plan_id = %request.get_ref().plan_id))]
pub(in crate::grpc) async fn get(
    h: &Handlers,
    request: Request<pb::GetPaidPlanRequest>,
) -> R<pb::GetPaidPlanResponse> {
    let ctx = ctx(&request)?;
    let id = plan_id("plan_id", &request.get_ref().plan_id)?;
    let plan = h.app.paid_plan(&ctx, id).await?;
    Ok(Response::new(pb::GetPaidPlanResponse {
        plan: Some((&plan).into()),
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn list(
    h: &Handlers,
    request: Request<pb::ListPaidPlansRequest>,
) -> R<pb::ListPaidPlansResponse> {
    let ctx = ctx(&request)?;
    let plans = h
        .app
        .paid_plans(&ctx, request.get_ref().include_off_sale)
        .await?;
    Ok(Response::new(pb::ListPaidPlansResponse {
        plans: plans.iter().map(Into::into).collect(),
    }))
}
