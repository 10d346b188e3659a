//! What an order's settlement credits (OrderSettled, when its after-sales window has closed):
//! points of an ORDER_PAID rule with `credit_on_completion`, on the earning base of the units
//! not refunded, key `earn:order:<order>` (PointsEarned, source ORDER_SETTLED). Refunds never
//! take these back: they were left out of the base. Settlement locks the order's row like every
//! other event of the order, so one delivered before its OrderPaid, or twice, applies once.

use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use siyu_core::Ctx;
use uuid::Uuid;

use super::{Begun, arith, begin, head, lock, new_lot, post};
use crate::app::App;
use crate::app::domain::{
    Account, BaseLine, EarningTrigger, EntryType, MemberId, OrderEarning, Posting, earning_base,
};
use crate::{AppError, events, repo};

/// One settled line: what was paid for it and what its refunds gave back.
#[derive(Debug, Clone)]
pub struct SettledLine {
    /// What was paid (cash and stored value) and the categories.
    pub paid: BaseLine,
    /// Money (cash + stored value) refunded on the line, fen.
    pub refunded: i64,
}

/// A settled goods order, as OrderSettled tells it.
#[derive(Debug, Clone)]
pub struct SettledOrder {
    /// The order.
    pub order_id: Uuid,
    /// The member who ordered.
    pub member_id: MemberId,
    /// Its lines with their refunds.
    pub lines: Vec<SettledLine>,
    /// Everything paid was refunded.
    pub fully_refunded: bool,
}

/// The earning base left on a line after its refunds: the line's base less the refunded share
/// of what was paid for it (refunds take cash and stored value in the line's proportion).
pub fn unrefunded_base(line: &SettledLine, stored_value_earns: bool, excluded: &[Uuid]) -> i64 {
    let base = earning_base(
        std::slice::from_ref(&line.paid),
        stored_value_earns,
        excluded,
    );
    let paid = line.paid.cash.max(0) + line.paid.stored_value.max(0);
    if paid <= 0 || base <= 0 {
        return 0;
    }
    let refunded = line.refunded.clamp(0, paid);
    let gone = i128::from(base) * i128::from(refunded) / i128::from(paid);
    // Round what is taken up, so the base left never counts refunded money.
    let gone = if gone * i128::from(paid) < i128::from(base) * i128::from(refunded) {
        gone + 1
    } else {
        gone
    };
    base - i64::try_from(gone).unwrap_or(base).min(base)
}

impl App {
    /// Applies OrderSettled: credits completion-credited points once.
    pub async fn settle_order_earning(
        &self,
        conn: &DatabaseTransaction,
        ctx: &Ctx,
        order: &SettledOrder,
    ) -> Result<i64, AppError> {
        let now_ms = self.now_ms();
        let mut row = repo::ledger::order_earnings::lock(
            conn,
            ctx.tenant,
            order.order_id,
            order.member_id,
            now_ms,
        )
        .await?;
        if row.settled {
            return Ok(0);
        }
        row.settled = true;
        let mut credited = 0;
        if row.points_entry_id.is_none() && !order.fully_refunded {
            let sp = conn.begin().await?;
            match self.credit_settled(&sp, ctx, order, &mut row).await {
                Ok(n) => {
                    sp.commit().await?;
                    credited = n;
                }
                Err(e @ (AppError::Store(_) | AppError::Internal(_))) => return Err(e),
                Err(e) => {
                    sp.rollback().await?;
                    tracing::info!(error = %e, order_id = %order.order_id, "settled points not credited");
                }
            }
        }
        self.apply_refunds(conn, ctx, &mut row).await?;
        Ok(credited)
    }

    /// The EARN entry of a completion-credited rule, if one is in force and earns a point.
    async fn credit_settled(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order: &SettledOrder,
        row: &mut OrderEarning,
    ) -> Result<i64, AppError> {
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        let rules =
            repo::ledger::earning_rules::enabled_of(conn, ctx.tenant, EarningTrigger::OrderPaid)
                .await?;
        let Some(rule) = rules
            .into_iter()
            .find(|r| r.in_window(now_ms) && r.credit_on_completion)
        else {
            return Ok(0);
        };
        let policy = repo::ledger::policy::get(conn, ctx.tenant).await?;
        let eligible: i64 = order
            .lines
            .iter()
            .map(|l| unrefunded_base(l, policy.stored_value_earns, &rule.excluded_category_ids))
            .sum();
        let multiplier =
            crate::app::tiers::points_multiplier_bps(conn, ctx, order.member_id).await?;
        let points =
            i128::from(eligible) * i128::from(rule.points_per_yuan) * i128::from(multiplier)
                / 1_000_000;
        let points = i64::try_from(points).unwrap_or(i64::MAX);
        if points < 1 {
            return Ok(0);
        }
        let mut h = head(
            ctx,
            EntryType::Earn,
            order.member_id,
            format!("earn:order:{}", order.order_id),
            format!("settle|{}|{eligible}", rule.id),
            now_ms,
        );
        h.order_id = Some(order.order_id);
        h.rule_id = Some(rule.id);
        h.reference_id = order.order_id.to_string();
        h.description = "订单完成得积分".into();
        if let Begun::Repeat(entry) = begin(conn, ctx.tenant, &h).await? {
            row.points_entry_id = Some(entry.id);
            return Ok(0);
        }
        let locked = lock(conn, ctx, order.member_id, now_ms).await?;
        if let Some(refusal) = locked.member.refuses_writes() {
            return Err(refusal);
        }
        let expires = arith::lot_expiry(&policy, now);
        let (_, credit) = new_lot(
            conn,
            ctx.tenant,
            order.member_id,
            points,
            expires,
            h.id,
            now_ms,
        )
        .await?;
        let postings = vec![credit, Posting::tenant(Account::PointsIssued, -points)];
        let (entry, after) = post(conn, ctx.tenant, &h, postings).await?;
        events::publish::points_earned(
            conn,
            ctx.tenant,
            &locked.member,
            &entry,
            &after,
            "ORDER_SETTLED",
            expires,
        )
        .await?;
        row.points = points;
        row.points_base = eligible;
        row.points_entry_id = Some(entry.id);
        row.net_of_refunds = true;
        row.stored_value_earns = policy.stored_value_earns;
        row.excluded_category_ids = rule.excluded_category_ids.clone();
        Ok(points)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_left_leaves_out_the_refunded_share() {
        let line = |cash, sv, refunded| SettledLine {
            paid: BaseLine {
                category_ids: vec![],
                cash,
                stored_value: sv,
            },
            refunded,
        };
        assert_eq!(unrefunded_base(&line(10_000, 0, 0), false, &[]), 10_000);
        assert_eq!(unrefunded_base(&line(10_000, 0, 2_500), false, &[]), 7_500);
        assert_eq!(unrefunded_base(&line(10_000, 0, 10_000), false, &[]), 0);
        // Stored value not counted: a refund takes cash and stored value in proportion.
        assert_eq!(
            unrefunded_base(&line(6_000, 4_000, 5_000), false, &[]),
            3_000
        );
        assert_eq!(
            unrefunded_base(&line(6_000, 4_000, 5_000), true, &[]),
            5_000
        );
        // Rounded against the member: 1 fen of 3 refunded leaves 1 of 2 (cash only).
        assert_eq!(unrefunded_base(&line(2, 1, 1), false, &[]), 1);
    }
}
