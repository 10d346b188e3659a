//! PaidMembershipService on the wire: the plan, period and membership shapes, parsing of
//! plans, and the handlers of plans (`paid/plans.rs`), periods (`paid/periods.rs`) and the
//! renewal report (`paid/report.rs`).

use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;

use super::convert::{cny, id, money, opt_id, text};
use crate::AppError;
use crate::app::domain::{PaidMembership, PaidPeriod, PaidPlan, PaidPlanId, PlanPeriod};

pub(super) mod periods;
pub(super) mod plans;
pub(super) mod report;

/// A required plan id.
fn plan_id(field: &str, value: &str) -> Result<PaidPlanId, AppError> {
    id(field, value).map(PaidPlanId)
}

impl TryFrom<&pb::PaidPlan> for PaidPlan {
    type Error = AppError;

    fn try_from(p: &pb::PaidPlan) -> Result<Self, AppError> {
        if p.name.trim().is_empty() {
            return Err(AppError::invalid("plan.name", "required"));
        }
        let name = text("plan.name", &p.name, 40)?;
        let period = PlanPeriod::from_number(p.period)
            .ok_or_else(|| AppError::invalid("plan.period", "must be MONTH, QUARTER or YEAR"))?;
        let price = money("plan.price", p.price.as_ref(), 1)?;
        let first_period_price = p
            .first_period_price
            .as_ref()
            .map(|m| money("plan.first_period_price", Some(m), 1))
            .transpose()?;
        if !p.tier_code.is_empty() {
            text("plan.tier_code", &p.tier_code, 32)?;
        }
        let coupon_pack_id = opt_id("plan.monthly_coupon_pack_id", &p.monthly_coupon_pack_id)?;
        // 0 is the wire's unset: no extra multiplier.
        let points_multiplier_bps = if p.points_multiplier_bps == 0 {
            10_000
        } else {
            p.points_multiplier_bps
        };
        if !(10_000..=100_000).contains(&points_multiplier_bps) {
            return Err(AppError::invalid(
                "plan.points_multiplier_bps",
                "must be within 10000..=100000",
            ));
        }
        if p.display_benefits.len() > 20 {
            return Err(AppError::invalid(
                "plan.display_benefits",
                "at most 20 lines",
            ));
        }
        for (i, line) in p.display_benefits.iter().enumerate() {
            text(&format!("plan.display_benefits[{i}]"), line, 50)?;
        }
        Ok(Self {
            id: PaidPlanId(uuid::Uuid::nil()),
            name,
            period,
            price,
            first_period_price,
            tier_code: p.tier_code.clone(),
            coupon_pack_id,
            points_multiplier_bps,
            display_benefits: p.display_benefits.clone(),
            on_sale: p.on_sale,
        })
    }
}

impl From<&PaidPlan> for pb::PaidPlan {
    fn from(p: &PaidPlan) -> Self {
        Self {
            plan_id: p.id.to_string(),
            name: p.name.clone(),
            period: i32::from(p.period.number()),
            price: cny(p.price),
            first_period_price: p.first_period_price.and_then(cny),
            tier_code: p.tier_code.clone(),
            monthly_coupon_pack_id: p.coupon_pack_id.map(|i| i.to_string()).unwrap_or_default(),
            points_multiplier_bps: p.points_multiplier_bps,
            display_benefits: p.display_benefits.clone(),
            on_sale: p.on_sale,
        }
    }
}

impl From<&PaidPeriod> for pb::PaidPeriod {
    fn from(p: &PaidPeriod) -> Self {
        Self {
            period_id: p.id.to_string(),
            plan_id: p.plan_id.to_string(),
            order_id: p.order_id.to_string(),
            amount_paid: cny(p.amount_paid),
            starts_at: Some(timestamp_ms(p.starts_at_ms)),
            ends_at: Some(timestamp_ms(p.ends_at_ms)),
            renewal: p.renewal,
            revoked_at: p.revoked_at_ms.map(timestamp_ms),
        }
    }
}

impl From<&PaidMembership> for pb::PaidMembership {
    fn from(m: &PaidMembership) -> Self {
        Self {
            member_id: m.member_id.to_string(),
            active: m.current.is_some(),
            current_period: m.current.as_ref().map(Into::into),
            upcoming_periods: m.upcoming.iter().map(Into::into).collect(),
            expires_at: m.expires_at_ms.map(timestamp_ms),
            auto_renew: m.auto_renew,
            periods_bought: m.periods_bought,
        }
    }
}
