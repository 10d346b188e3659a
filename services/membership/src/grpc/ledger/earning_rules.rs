//! Earning rules on the wire: CreateEarningRule, UpdateEarningRule (field mask; the trigger
//! is immutable), ListEarningRules.

use prost_types::Timestamp;
use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::{each_id, id, mask, opt_time, text};
use super::super::{Handlers, R, ctx, page_of};
use crate::AppError;
use crate::app::domain::{CheckInRule, EarningRule, EarningTrigger, StreakBonus};
use crate::app::ledger::earning_rules::RuleUpdate;

const LIST: Paging = Paging::new("earning_rules", 50, 200);
const UPDATABLE: [&str; 10] = [
    "name",
    "enabled",
    "fixed_points",
    "points_per_yuan",
    "excluded_category_ids",
    "credit_on_completion",
    "check_in",
    "daily_cap_per_member",
    "starts_at",
    "ends_at",
];

impl From<&EarningRule> for pb::EarningRule {
    #[allow(
        deprecated,
        reason = "the deprecated field is answered false, as documented"
    )]
    fn from(r: &EarningRule) -> Self {
        Self {
            rule_id: r.id.to_string(),
            name: r.name.clone(),
            trigger: i32::from(r.trigger.number()),
            enabled: r.enabled,
            fixed_points: r.fixed_points,
            points_per_yuan: r.points_per_yuan,
            stored_value_counts: false,
            excluded_category_ids: r
                .excluded_category_ids
                .iter()
                .map(ToString::to_string)
                .collect(),
            credit_on_completion: r.credit_on_completion,
            check_in: r.check_in.as_ref().map(|c| pb::CheckInRule {
                daily_points: c.daily_points,
                streak_bonuses: c
                    .streak_bonuses
                    .iter()
                    .map(|b| pb::CheckInStreakBonus {
                        streak_days: b.streak_days,
                        bonus_points: b.bonus_points,
                    })
                    .collect(),
                cycle_days: c.cycle_days,
            }),
            daily_cap_per_member: r.daily_cap,
            starts_at: r.starts_at_ms.map(timestamp_ms),
            ends_at: r.ends_at_ms.map(timestamp_ms),
        }
    }
}

fn check_in(c: &pb::CheckInRule) -> Result<CheckInRule, AppError> {
    if !(1..=10_000).contains(&c.daily_points) {
        return Err(AppError::invalid(
            "rule.check_in.daily_points",
            "must be within 1..=10000",
        ));
    }
    if c.streak_bonuses.len() > 31 || !(0..=366).contains(&c.cycle_days) {
        return Err(AppError::invalid(
            "rule.check_in",
            "at most 31 bonuses, cycle 0..=366 days",
        ));
    }
    let mut bonuses = Vec::with_capacity(c.streak_bonuses.len());
    for (i, b) in c.streak_bonuses.iter().enumerate() {
        if !(2..=366).contains(&b.streak_days) || !(1..=100_000).contains(&b.bonus_points) {
            return Err(AppError::invalid(
                format!("rule.check_in.streak_bonuses[{i}]"),
                "streak 2..=366 days, bonus 1..=100000 points",
            ));
        }
        bonuses.push(StreakBonus {
            streak_days: b.streak_days,
            bonus_points: b.bonus_points,
        });
    }
    Ok(CheckInRule {
        daily_points: c.daily_points,
        streak_bonuses: bonuses,
        cycle_days: c.cycle_days,
    })
}

fn time(field: &str, t: Option<&Timestamp>) -> Result<Option<i64>, AppError> {
    opt_time(&format!("rule.{field}"), t)
}

/// The rule's values, each within its range (the trigger's own requirements on create).
fn rule(r: &pb::EarningRule, creating: bool) -> Result<EarningRule, AppError> {
    let trigger = EarningTrigger::from_number(r.trigger);
    let trigger = match (trigger, creating) {
        (Some(t), _) => t,
        (None, true) => return Err(AppError::invalid("rule.trigger", "required")),
        // Updates never change the trigger; the stored one is kept.
        (None, false) => EarningTrigger::Review,
    };
    let name = text("rule.name", r.name.trim(), 50)?;
    if creating && name.is_empty() {
        return Err(AppError::invalid("rule.name", "required"));
    }
    if !(0..=1_000_000).contains(&r.fixed_points) {
        return Err(AppError::invalid(
            "rule.fixed_points",
            "must be within 0..=1000000",
        ));
    }
    if !(0..=100).contains(&r.points_per_yuan) {
        return Err(AppError::invalid(
            "rule.points_per_yuan",
            "must be within 0..=100",
        ));
    }
    if !(0..=10_000_000).contains(&r.daily_cap_per_member) {
        return Err(AppError::invalid(
            "rule.daily_cap_per_member",
            "must be within 0..=10000000",
        ));
    }
    let needs_fixed = !matches!(trigger, EarningTrigger::OrderPaid | EarningTrigger::CheckIn);
    if creating && needs_fixed && r.fixed_points < 1 {
        return Err(AppError::invalid(
            "rule.fixed_points",
            "required for this trigger",
        ));
    }
    if creating && trigger == EarningTrigger::CheckIn && r.check_in.is_none() {
        return Err(AppError::invalid(
            "rule.check_in",
            "required for CHECK_IN rules",
        ));
    }
    let starts_at_ms = time("starts_at", r.starts_at.as_ref())?;
    let ends_at_ms = time("ends_at", r.ends_at.as_ref())?;
    if let (Some(s), Some(e)) = (starts_at_ms, ends_at_ms)
        && s >= e
    {
        return Err(AppError::invalid("rule.ends_at", "must be after starts_at"));
    }
    Ok(EarningRule {
        id: Uuid::nil(),
        name,
        trigger,
        enabled: r.enabled,
        fixed_points: r.fixed_points,
        points_per_yuan: r.points_per_yuan,
        excluded_category_ids: each_id(
            "rule.excluded_category_ids",
            &r.excluded_category_ids,
            100,
        )?,
        credit_on_completion: r.credit_on_completion,
        check_in: r.check_in.as_ref().map(check_in).transpose()?,
        daily_cap: r.daily_cap_per_member,
        starts_at_ms,
        ends_at_ms,
    })
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn create(
    h: &Handlers,
    request: Request<pb::CreateEarningRuleRequest>,
) -> R<pb::CreateEarningRuleResponse> {
    let ctx = ctx(&request)?;
    let input = rule(&request.get_ref().rule.clone().unwrap_or_default(), true)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let r = app.create_rule(txn, &ctx, input).await?;
                Ok(pb::CreateEarningRuleResponse {
                    rule: Some((&r).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateEarningRuleRequest>,
) -> R<pb::UpdateEarningRuleResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let wire = req.rule.clone().unwrap_or_default();
    let paths = mask(req.update_mask.as_ref())?;
    if let Some(bad) = paths.iter().find(|p| !UPDATABLE.contains(&p.as_str())) {
        return Err(AppError::UnknownFieldPath(bad.clone()).into());
    }
    let mut values = rule(&wire, false)?;
    values.id = id("rule.rule_id", &wire.rule_id)?;
    let input = RuleUpdate {
        rule: values,
        paths,
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let r = app.update_rule(txn, &ctx, input).await?;
                Ok(pb::UpdateEarningRuleResponse {
                    rule: Some((&r).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn list(
    h: &Handlers,
    request: Request<pb::ListEarningRulesRequest>,
) -> R<pb::ListEarningRulesResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let trigger = match req.trigger {
        0 => None,
        n => Some(
            EarningTrigger::from_number(n)
                .ok_or_else(|| AppError::invalid("trigger", "unknown trigger"))?,
        ),
    };
    let page = page_of::<Uuid>(&LIST, req.page.as_ref())?;
    let rows = h
        .app
        .rules(
            &ctx,
            trigger,
            req.include_disabled,
            page.after,
            page.fetch_limit(),
        )
        .await?;
    let (rows, next) = LIST.finish(rows, &page, |r| r.id);
    Ok(Response::new(pb::ListEarningRulesResponse {
        rules: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}
