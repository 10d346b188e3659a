//! Earning rules (积分规则): created and changed by HQ, listed for staff and (enabled ones) for
//! consumers' "how to earn" page. Only one enabled rule per trigger may be in force at a time.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use crate::app::App;
use crate::app::domain::{EarningRule, EarningTrigger};
use crate::{AppError, repo};

/// An UpdateEarningRule request, parsed: the new values and which fields to apply.
#[derive(Debug, Clone)]
pub struct RuleUpdate {
    /// New values; `id` selects the rule.
    pub rule: EarningRule,
    /// Field names to change (the trigger is immutable), validated at the edge.
    pub paths: Vec<String>,
}

/// Refuses `rule` when it is enabled and another enabled rule of its trigger overlaps in time.
async fn require_no_overlap(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    rule: &EarningRule,
) -> Result<(), AppError> {
    if !rule.enabled {
        return Ok(());
    }
    let others = repo::ledger::earning_rules::enabled_of(conn, ctx.tenant, rule.trigger).await?;
    if others.iter().any(|o| o.id != rule.id && o.overlaps(rule)) {
        return Err(AppError::EarningRuleOverlap);
    }
    Ok(())
}

impl App {
    /// CreateEarningRule.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_rule(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut rule: EarningRule,
    ) -> Result<EarningRule, AppError> {
        rule.id = siyu_core::id::new();
        require_no_overlap(conn, ctx, &rule).await?;
        repo::ledger::earning_rules::put(conn, ctx.tenant, &rule, self.now_ms()).await?;
        Ok(rule)
    }

    /// UpdateEarningRule: applies the masked fields; takes effect for triggers from now on.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, rule_id = %u.rule.id))]
    pub async fn update_rule(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        u: RuleUpdate,
    ) -> Result<EarningRule, AppError> {
        let mut rule = repo::ledger::earning_rules::get(conn, ctx.tenant, u.rule.id, true)
            .await?
            .ok_or(AppError::EarningRuleNotFound)?;
        let n = u.rule;
        for path in &u.paths {
            match path.as_str() {
                "name" => rule.name.clone_from(&n.name),
                "enabled" => rule.enabled = n.enabled,
                "fixed_points" => rule.fixed_points = n.fixed_points,
                "points_per_yuan" => rule.points_per_yuan = n.points_per_yuan,
                "excluded_category_ids" => rule
                    .excluded_category_ids
                    .clone_from(&n.excluded_category_ids),
                "credit_on_completion" => rule.credit_on_completion = n.credit_on_completion,
                "check_in" => rule.check_in.clone_from(&n.check_in),
                "daily_cap_per_member" => rule.daily_cap = n.daily_cap,
                "starts_at" => rule.starts_at_ms = n.starts_at_ms,
                "ends_at" => rule.ends_at_ms = n.ends_at_ms,
                other => return Err(AppError::UnknownFieldPath(other.to_owned())),
            }
        }
        if let (Some(s), Some(e)) = (rule.starts_at_ms, rule.ends_at_ms)
            && s >= e
        {
            return Err(AppError::invalid("rule.ends_at", "must be after starts_at"));
        }
        if rule.trigger == EarningTrigger::CheckIn && rule.check_in.is_none() {
            return Err(AppError::invalid(
                "rule.check_in",
                "required for CHECK_IN rules",
            ));
        }
        require_no_overlap(conn, ctx, &rule).await?;
        repo::ledger::earning_rules::put(conn, ctx.tenant, &rule, self.now_ms()).await?;
        Ok(rule)
    }

    /// ListEarningRules: consumers see enabled rules only, whatever they ask.
    pub async fn rules(
        &self,
        ctx: &Ctx,
        trigger: Option<EarningTrigger>,
        include_disabled: bool,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<EarningRule>, AppError> {
        let enabled_only = !include_disabled || ctx.principal.kind == PrincipalKind::Consumer;
        repo::ledger::earning_rules::list(&self.db, ctx.tenant, trigger, enabled_only, after, limit)
            .await
    }
}
