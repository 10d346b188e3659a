//! What identity's events mean for the ledger: a new tenant's policy and earning rule seeded
//! from its defaults (TenantCreated), and the PHONE_BOUND earning rule's points when a member's
//! user binds a phone (UserPhoneBound). Both are exactly once by construction: the seed is an
//! insert that never overrides an existing policy, and phone points are keyed per member.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::points::{Earn, EarnBy};
use crate::app::App;
use crate::app::domain::{EarningRule, EarningTrigger, ExpiryMode, LedgerPolicy};
use crate::{AppError, repo};

/// The points defaults a tenant is created with (identity's PointsDefaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointsDefaults {
    /// Points earned per 1 CNY paid (0 = no order earning rule).
    pub earn_points_per_yuan: i64,
    /// Points making 1 CNY of deduction.
    pub redeem_points_per_yuan: i64,
    /// Cap of points deduction, bps.
    pub max_points_deduction_bps: i32,
    /// Lot validity in years (0 = never expire).
    pub points_expiry_years: i32,
}

/// The policy a tenant starts with: ours, with what its defaults say where they say it.
pub fn seeded_policy(d: &PointsDefaults) -> LedgerPolicy {
    let mut p = LedgerPolicy::default();
    if d.redeem_points_per_yuan > 0 {
        p.points_per_yuan = d.redeem_points_per_yuan;
    }
    if (1..=10_000).contains(&d.max_points_deduction_bps) {
        p.max_points_deduction_bps = d.max_points_deduction_bps;
    }
    match d.points_expiry_years {
        0 => p.expiry_mode = ExpiryMode::Never,
        // Whole years from earning, a year counted as 365 days.
        y if y > 0 => {
            p.expiry_mode = ExpiryMode::DaysAfterEarn;
            p.expiry_days = y.saturating_mul(365);
        }
        _ => {}
    }
    p
}

impl App {
    /// TenantCreated: seeds the tenant's policy and, with it, an enabled ORDER_PAID rule at the
    /// default earning rate. Answers whether this call seeded (a tenant that already has a
    /// policy, seeded or set by its admin, is left as it is).
    pub async fn seed_tenant_ledger(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        d: &PointsDefaults,
    ) -> Result<bool, AppError> {
        let now_ms = self.now_ms();
        if !repo::ledger::policy::seed(conn, ctx.tenant, &seeded_policy(d), now_ms).await? {
            return Ok(false);
        }
        let rate = i32::try_from(d.earn_points_per_yuan).unwrap_or(0);
        let existing =
            repo::ledger::earning_rules::enabled_of(conn, ctx.tenant, EarningTrigger::OrderPaid)
                .await?;
        if rate > 0 && existing.is_empty() {
            let rule = EarningRule {
                id: siyu_core::id::new(),
                name: "消费积分".into(),
                trigger: EarningTrigger::OrderPaid,
                enabled: true,
                fixed_points: 0,
                points_per_yuan: rate,
                excluded_category_ids: Vec::new(),
                credit_on_completion: false,
                check_in: None,
                daily_cap: 0,
                starts_at_ms: None,
                ends_at_ms: None,
            };
            repo::ledger::earning_rules::put(conn, ctx.tenant, &rule, now_ms).await?;
        }
        Ok(true)
    }

    /// UserPhoneBound: the enabled PHONE_BOUND rule's points, once per member ever (a replaced
    /// number earns nothing more); answers the points credited. A user who is not a member
    /// earns nothing.
    pub async fn credit_phone_bound(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        user_id: Uuid,
    ) -> Result<i64, AppError> {
        let Some(member) = repo::members::by_user(conn, ctx.tenant, user_id).await? else {
            return Ok(0);
        };
        let now_ms = self.now_ms();
        let rules =
            repo::ledger::earning_rules::enabled_of(conn, ctx.tenant, EarningTrigger::PhoneBound)
                .await?;
        let Some(rule) = rules
            .into_iter()
            .find(|r| r.in_window(now_ms) && r.fixed_points > 0)
        else {
            return Ok(0);
        };
        let earn = Earn {
            member_id: member.id,
            key: format!("earn:phone_bound:{}", member.id),
            by: EarnBy::Rule {
                rule_id: rule.id,
                eligible: 0,
            },
            reference_id: user_id.to_string(),
            description: "绑定手机号得积分".into(),
            expires_at_ms: None,
        };
        let done = self.earn(conn, ctx, earn).await?;
        Ok(done.entry.points_delta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seeded_policy_follows_the_defaults_it_is_given() {
        let d = PointsDefaults {
            earn_points_per_yuan: 1,
            redeem_points_per_yuan: 50,
            max_points_deduction_bps: 2000,
            points_expiry_years: 2,
        };
        let p = seeded_policy(&d);
        assert_eq!((p.points_per_yuan, p.max_points_deduction_bps), (50, 2000));
        assert_eq!(
            (p.expiry_mode, p.expiry_days),
            (ExpiryMode::DaysAfterEarn, 730)
        );
        let never = seeded_policy(&PointsDefaults {
            points_expiry_years: 0,
            redeem_points_per_yuan: 0,
            max_points_deduction_bps: 0,
            ..d
        });
        assert_eq!(never.expiry_mode, ExpiryMode::Never);
        assert_eq!(
            never.points_per_yuan,
            LedgerPolicy::default().points_per_yuan
        );
    }
}
