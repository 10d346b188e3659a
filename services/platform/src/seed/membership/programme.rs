//! The demo tenant's membership programme, created through LedgerService, TierService and
//! CouponService. Errors come back as the step's pending reason (see [`pending_reason`]).

use siyu_proto::common::v1::Money;
use siyu_proto::membership::v1 as pb;
use tonic::transport::Channel;

use super::MembershipSeedRecord;
use crate::seed::{authed, pending_reason};

type Ledger = pb::ledger_service_client::LedgerServiceClient<Channel>;
type Tiers = pb::tier_service_client::TierServiceClient<Channel>;
type Coupons = pb::coupon_service_client::CouponServiceClient<Channel>;

/// A step's outcome: its value, or why it is pending.
type Seeded<T> = Result<T, String>;

fn cny(fen: i64) -> Option<Money> {
    Some(Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

/// Seeds the whole programme; the first refusal leaves the step pending with its reason.
pub(super) async fn seed(channel: &Channel, admin: &str) -> Seeded<MembershipSeedRecord> {
    let mut ledger = Ledger::new(channel.clone());
    stored_value_on(&mut ledger, admin).await?;
    let tiers = ladder(&mut Tiers::new(channel.clone()), admin).await?;
    let earning_rules = earning_rules(&mut ledger, admin).await?;
    let top_up_plans = top_up_plans(&mut ledger, admin).await?;
    let coupon_templates = coupon_templates(&mut Coupons::new(channel.clone()), admin).await?;
    let example_template_id = coupon_templates.first().cloned().unwrap_or_default();
    Ok(MembershipSeedRecord {
        tiers,
        earning_rules,
        top_up_plans,
        coupon_templates,
        example_template_id,
    })
}

async fn stored_value_on(ledger: &mut Ledger, admin: &str) -> Seeded<()> {
    let request = pb::UpdateLedgerPolicyRequest {
        policy: Some(pb::LedgerPolicy {
            stored_value_enabled: true,
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["stored_value_enabled".into()],
        }),
    };
    let key = Some("seed:membership:policy");
    ledger
        .update_ledger_policy(authed(request, admin, key))
        .await
        .map_err(|s| pending_reason("UpdateLedgerPolicy", &s))?;
    Ok(())
}

fn tier(code: &str, name: &str, rank: i32, threshold: i64, multiplier_bps: i32) -> pb::Tier {
    pb::Tier {
        tier_code: code.into(),
        name: name.into(),
        rank,
        growth_threshold: threshold,
        retain_growth: threshold / 2,
        benefits: Some(pb::TierBenefits {
            discount_bps: 10_000 - 250 * (rank - 1),
            points_multiplier_bps: multiplier_bps,
            free_shipping: rank >= 3,
            display_benefits: vec![format!("{name}专享价")],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// 普卡 (entry) < 银卡 at 1,000 growth (1.2× points) < 金卡 at 5,000 (1.5×, free shipping),
/// unless the tenant has tiers already.
async fn ladder(tiers: &mut Tiers, admin: &str) -> Seeded<Vec<String>> {
    let listed = tiers
        .list_tiers(authed(pb::ListTiersRequest::default(), admin, None))
        .await
        .map_err(|s| pending_reason("ListTiers", &s))?
        .into_inner()
        .tiers;
    if !listed.is_empty() {
        return Ok(listed.into_iter().map(|t| t.tier_code).collect());
    }
    let ladder = [
        tier("NORMAL", "普卡", 1, 0, 10_000),
        tier("SILVER", "银卡", 2, 1_000, 12_000),
        tier("GOLD", "金卡", 3, 5_000, 15_000),
    ];
    let mut codes = Vec::new();
    for t in ladder {
        let key = format!("seed:membership:tier:{}", t.tier_code);
        codes.push(t.tier_code.clone());
        let request = pb::CreateTierRequest { tier: Some(t) };
        tiers
            .create_tier(authed(request, admin, Some(&key)))
            .await
            .map_err(|s| pending_reason("CreateTier", &s))?;
    }
    Ok(codes)
}

/// The rules of the triggers the tenant has none of (TenantCreated may have seeded one for
/// paid orders already); answers how many were created.
async fn earning_rules(ledger: &mut Ledger, admin: &str) -> Seeded<usize> {
    let list = pb::ListEarningRulesRequest {
        include_disabled: true,
        ..Default::default()
    };
    let existing: Vec<i32> = ledger
        .list_earning_rules(authed(list, admin, None))
        .await
        .map_err(|s| pending_reason("ListEarningRules", &s))?
        .into_inner()
        .rules
        .iter()
        .map(|r| r.trigger)
        .collect();
    let rule = |name: &str, trigger: pb::EarningTrigger| pb::EarningRule {
        name: name.into(),
        trigger: trigger as i32,
        enabled: true,
        ..Default::default()
    };
    let rules = [
        pb::EarningRule {
            points_per_yuan: 1,
            ..rule("消费积分 1 元 1 分", pb::EarningTrigger::OrderPaid)
        },
        pb::EarningRule {
            fixed_points: 100,
            ..rule("注册送 100 积分", pb::EarningTrigger::Enrolment)
        },
        pb::EarningRule {
            fixed_points: 200,
            ..rule("绑定手机送 200 积分", pb::EarningTrigger::PhoneBound)
        },
        pb::EarningRule {
            check_in: Some(pb::CheckInRule {
                daily_points: 5,
                streak_bonuses: vec![pb::CheckInStreakBonus {
                    streak_days: 7,
                    bonus_points: 20,
                }],
                cycle_days: 7,
            }),
            ..rule(
                "每日签到 5 分，连签 7 天再送 20 分",
                pb::EarningTrigger::CheckIn,
            )
        },
    ];
    let mut created = 0;
    for r in rules.into_iter().filter(|r| !existing.contains(&r.trigger)) {
        let key = format!("seed:membership:rule:{}", r.trigger);
        let request = pb::CreateEarningRuleRequest { rule: Some(r) };
        ledger
            .create_earning_rule(authed(request, admin, Some(&key)))
            .await
            .map_err(|s| pending_reason("CreateEarningRule", &s))?;
        created += 1;
    }
    Ok(created)
}

/// 充500送50 and 充1000送150, unless plans exist; answers the plans on sale.
async fn top_up_plans(ledger: &mut Ledger, admin: &str) -> Seeded<usize> {
    let listed = ledger
        .list_top_up_plans(authed(pb::ListTopUpPlansRequest::default(), admin, None))
        .await
        .map_err(|s| pending_reason("ListTopUpPlans", &s))?
        .into_inner()
        .plans;
    if !listed.is_empty() {
        return Ok(listed.len());
    }
    let plans = [(50_000, 5_000), (100_000, 15_000)];
    for (pay, bonus) in plans {
        let plan = pb::TopUpPlan {
            name: format!("充{}送{}", pay / 100, bonus / 100),
            pay_amount: cny(pay),
            bonus_amount: cny(bonus),
            on_sale: true,
            ..Default::default()
        };
        let key = format!("seed:membership:top-up:{pay}");
        let request = pb::CreateTopUpPlanRequest { plan: Some(plan) };
        ledger
            .create_top_up_plan(authed(request, admin, Some(&key)))
            .await
            .map_err(|s| pending_reason("CreateTopUpPlan", &s))?;
    }
    Ok(plans.len())
}

fn template(name: &str, rule: pb::CouponRule) -> pb::CouponTemplate {
    pb::CouponTemplate {
        name: name.into(),
        description: "全场通用，线上线下可用".into(),
        rule: Some(pb::CouponRule {
            stacking: pb::CouponStacking::AcrossKinds as i32,
            scope: Some(pb::CouponScope {
                all_goods: true,
                online: true,
                in_store: true,
                ..Default::default()
            }),
            ..rule
        }),
        validity: Some(pb::CouponValidity {
            kind: pb::CouponValidityKind::Relative as i32,
            valid_days: 30,
            ..Default::default()
        }),
        total_quota: 10_000,
        per_member_limit: 1,
        claimable: true,
        ..Default::default()
    }
}

/// 满100减20 and 9折 capped at ¥30, created and published; answers their ids.
async fn coupon_templates(coupons: &mut Coupons, admin: &str) -> Seeded<Vec<String>> {
    let templates = [
        template(
            "满100减20",
            pb::CouponRule {
                kind: pb::CouponKind::AmountOff as i32,
                threshold: cny(10_000),
                amount_off: cny(2_000),
                ..Default::default()
            },
        ),
        template(
            "全场9折（最高减30）",
            pb::CouponRule {
                kind: pb::CouponKind::PercentOff as i32,
                percent_bps: 9_000,
                max_discount: cny(3_000),
                ..Default::default()
            },
        ),
    ];
    let mut ids = Vec::new();
    for (i, t) in templates.into_iter().enumerate() {
        let key = format!("seed:membership:coupon:{i}");
        let request = pb::CreateCouponTemplateRequest { template: Some(t) };
        let id = coupons
            .create_coupon_template(authed(request, admin, Some(&key)))
            .await
            .map_err(|s| pending_reason("CreateCouponTemplate", &s))?
            .into_inner()
            .template
            .map(|t| t.template_id)
            .unwrap_or_default();
        let key = format!("seed:membership:coupon:{i}:publish");
        let request = pb::PublishCouponTemplateRequest {
            template_id: id.clone(),
        };
        coupons
            .publish_coupon_template(authed(request, admin, Some(&key)))
            .await
            .map_err(|s| pending_reason("PublishCouponTemplate", &s))?;
        ids.push(id);
    }
    Ok(ids)
}
