//! What a paid goods order earns (OrderPaid, consumed from orders' events): points by the
//! enabled ORDER_PAID rule (per yuan of earning base × the multiplier — the tier's times a live
//! paid period's extra, `tiers::points_multiplier_bps` — key
//! `earn:order:<order>`) and growth by the tier policy (key `growth:order:<order>`). Both keys
//! make the effect exactly once whatever the deliveries; rules with `credit_on_completion`
//! credit nothing at payment (see `order_settlement`). The order's `mem_order_earnings` row is
//! locked first and keeps the bases, which refunds are reversed on (`order_reversals`); refunds
//! that arrived before the payment are applied right after it.

use sea_orm::{DatabaseTransaction, TransactionTrait};
use siyu_core::Ctx;
use uuid::Uuid;

use super::points::{Earn, EarnBy};
use crate::app::App;
use crate::app::domain::{BaseLine, EarningTrigger, MemberId, earning_base};
use crate::app::tiers::Grow;
use crate::{AppError, repo};

/// One paid line's part of the earning base.
pub type PaidLine = BaseLine;

/// A paid goods order, as the event tells it.
#[derive(Debug, Clone)]
pub struct PaidOrder {
    /// The order.
    pub order_id: Uuid,
    /// The member who ordered.
    pub member_id: MemberId,
    /// Its lines.
    pub lines: Vec<PaidLine>,
}

/// Why an order earned what it did, for the log of an event applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderEarned {
    /// Points credited (0 when none).
    pub points: i64,
    /// Growth credited.
    pub growth: i64,
}

impl App {
    /// Credits the points and growth of a paid order, each in a savepoint of `conn`'s
    /// transaction: a refusal of one (a frozen member's points) leaves the other standing.
    pub async fn earn_for_order(
        &self,
        conn: &DatabaseTransaction,
        ctx: &Ctx,
        order: &PaidOrder,
    ) -> Result<OrderEarned, AppError> {
        let member = repo::members::by_id(conn, ctx.tenant, order.member_id, false)
            .await?
            .ok_or(AppError::MemberNotFound)?;
        let mut row = repo::ledger::order_earnings::lock(
            conn,
            ctx.tenant,
            order.order_id,
            member.id,
            self.now_ms(),
        )
        .await?;
        if row.paid {
            return Ok(OrderEarned::default());
        }
        let policy = repo::ledger::policy::get(conn, ctx.tenant).await?;
        let tier_policy = repo::tiers::policy(conn, ctx.tenant).await?;
        let mut earned = OrderEarned::default();

        // Points first, at the tier held when the order was paid; its own growth may then
        // move the member up.
        let now_ms = self.now_ms();
        let rules =
            repo::ledger::earning_rules::enabled_of(conn, ctx.tenant, EarningTrigger::OrderPaid)
                .await?;
        let rule = rules
            .into_iter()
            .find(|r| r.in_window(now_ms) && !r.credit_on_completion)
            // Settlement (delivered first) may have credited the order already.
            .filter(|_| row.points_entry_id.is_none());
        if let Some(rule) = rule {
            let eligible = earning_base(
                &order.lines,
                policy.stored_value_earns,
                &rule.excluded_category_ids,
            );
            let multiplier = crate::app::tiers::points_multiplier_bps(conn, ctx, member.id).await?;
            let points =
                i128::from(eligible) * i128::from(rule.points_per_yuan) * i128::from(multiplier)
                    / 1_000_000;
            if points >= 1 {
                let earn = Earn {
                    member_id: member.id,
                    key: format!("earn:order:{}", order.order_id),
                    by: EarnBy::Rule {
                        rule_id: rule.id,
                        eligible,
                    },
                    reference_id: order.order_id.to_string(),
                    description: "消费得积分".into(),
                    expires_at_ms: None,
                };
                let sp = conn.begin().await?;
                match self.earn(&sp, ctx, earn).await {
                    Ok(done) => {
                        sp.commit().await?;
                        earned.points = done.entry.points_delta;
                        row.points = done.entry.points_delta;
                        row.points_base = eligible;
                        row.points_entry_id = Some(done.entry.id);
                        row.stored_value_earns = policy.stored_value_earns;
                        row.excluded_category_ids = rule.excluded_category_ids.clone();
                    }
                    Err(e) if matches!(e, AppError::Store(_) | AppError::Internal(_)) => {
                        return Err(e);
                    }
                    Err(e) => {
                        sp.rollback().await?;
                        tracing::info!(error = %e, order_id = %order.order_id, "order points not credited");
                    }
                }
            }
        }
        let base = earning_base(&order.lines, policy.stored_value_earns, &[]);
        let growth = base / 100 * i64::from(tier_policy.growth_per_yuan);
        if growth > 0 {
            let grow = Grow {
                delta: growth,
                source: "ORDER_PAID",
                reference_id: order.order_id.to_string(),
                reason: String::new(),
                key: format!("growth:order:{}", order.order_id),
                strict: true,
            };
            let sp = conn.begin().await?;
            match self.grow(&sp, ctx, &member, grow).await {
                Ok(c) => {
                    sp.commit().await?;
                    earned.growth = c.delta;
                    row.growth = c.delta;
                    row.growth_base = base;
                }
                Err(e) if matches!(e, AppError::Store(_) | AppError::Internal(_)) => {
                    return Err(e);
                }
                Err(e) => {
                    sp.rollback().await?;
                    tracing::info!(error = %e, order_id = %order.order_id, "order growth not credited");
                }
            }
        }

        row.paid = true;
        if row.points_entry_id.is_none() {
            row.stored_value_earns = policy.stored_value_earns;
        }
        self.apply_refunds(conn, ctx, &mut row).await?;
        Ok(earned)
    }
}
