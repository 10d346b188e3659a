//! Top-up plans on the wire: CreateTopUpPlan, UpdateTopUpPlan (field mask), ListTopUpPlans.

use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::{cny, id, mask, money, opt_id, opt_time, text};
use super::super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::domain::TopUpPlan;
use crate::app::ledger::top_up_plans::PlanUpdate;

const UPDATABLE: [&str; 9] = [
    "name",
    "pay_amount",
    "bonus_amount",
    "bonus_points",
    "coupon_pack_id",
    "per_member_limit",
    "on_sale",
    "starts_at",
    "ends_at",
];

impl From<&TopUpPlan> for pb::TopUpPlan {
    fn from(p: &TopUpPlan) -> Self {
        Self {
            plan_id: p.id.to_string(),
            name: p.name.clone(),
            pay_amount: cny(p.pay_amount),
            bonus_amount: cny(p.bonus_amount),
            bonus_points: p.bonus_points,
            coupon_pack_id: p.coupon_pack_id.map(|c| c.to_string()).unwrap_or_default(),
            per_member_limit: p.per_member_limit,
            on_sale: p.on_sale,
            starts_at: p.starts_at_ms.map(timestamp_ms),
            ends_at: p.ends_at_ms.map(timestamp_ms),
        }
    }
}

/// The plan's values; on an update only the masked ones are checked (and later applied).
fn plan(p: &pb::TopUpPlan, masked: Option<&[String]>) -> Result<TopUpPlan, AppError> {
    let wanted = |f: &str| masked.is_none_or(|m| m.iter().any(|x| x == f));
    let name = text("plan.name", p.name.trim(), 50)?;
    if wanted("name") && name.is_empty() {
        return Err(AppError::invalid("plan.name", "required"));
    }
    let pay_amount = if wanted("pay_amount") {
        money("plan.pay_amount", p.pay_amount.as_ref(), 1)?
    } else {
        0
    };
    let bonus_amount = if wanted("bonus_amount") {
        money("plan.bonus_amount", p.bonus_amount.as_ref(), 0)?
    } else {
        0
    };
    if !(0..=1_000_000).contains(&p.bonus_points) {
        return Err(AppError::invalid(
            "plan.bonus_points",
            "must be within 0..=1000000",
        ));
    }
    if !(0..=1_000).contains(&p.per_member_limit) {
        return Err(AppError::invalid(
            "plan.per_member_limit",
            "must be within 0..=1000",
        ));
    }
    let starts_at_ms = opt_time("plan.starts_at", p.starts_at.as_ref())?;
    let ends_at_ms = opt_time("plan.ends_at", p.ends_at.as_ref())?;
    if let (Some(s), Some(e)) = (starts_at_ms, ends_at_ms)
        && s >= e
    {
        return Err(AppError::invalid("plan.ends_at", "must be after starts_at"));
    }
    Ok(TopUpPlan {
        id: Uuid::nil(),
        name,
        pay_amount,
        bonus_amount,
        bonus_points: p.bonus_points,
        coupon_pack_id: opt_id("plan.coupon_pack_id", &p.coupon_pack_id)?,
        per_member_limit: p.per_member_limit,
        on_sale: p.on_sale,
        starts_at_ms,
        ends_at_ms,
    })
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn create(
    h: &Handlers,
    request: Request<pb::CreateTopUpPlanRequest>,
) -> R<pb::CreateTopUpPlanResponse> {
    let ctx = ctx(&request)?;
    let input = plan(&request.get_ref().plan.clone().unwrap_or_default(), None)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let p = app.create_plan(txn, &ctx, input).await?;
                Ok(pb::CreateTopUpPlanResponse {
                    plan: Some((&p).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateTopUpPlanRequest>,
) -> R<pb::UpdateTopUpPlanResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let wire = req.plan.clone().unwrap_or_default();
    let paths = mask(req.update_mask.as_ref())?;
    if let Some(bad) = paths.iter().find(|p| !UPDATABLE.contains(&p.as_str())) {
        return Err(AppError::UnknownFieldPath(bad.clone()).into());
    }
    let mut values = plan(&wire, Some(&paths))?;
    values.id = id("plan.plan_id", &wire.plan_id)?;
    let input = PlanUpdate {
        plan: values,
        paths,
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let p = app.update_plan(txn, &ctx, input).await?;
                Ok(pb::UpdateTopUpPlanResponse {
                    plan: Some((&p).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn list(
    h: &Handlers,
    request: Request<pb::ListTopUpPlansRequest>,
) -> R<pb::ListTopUpPlansResponse> {
    let ctx = ctx(&request)?;
    let plans = h
        .app
        .plans(&ctx, request.get_ref().include_off_sale)
        .await?;
    Ok(Response::new(pb::ListTopUpPlansResponse {
        plans: plans.iter().map(Into::into).collect(),
    }))
}
