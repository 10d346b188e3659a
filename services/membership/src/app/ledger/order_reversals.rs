//! Taking back what an order earned after its refunds (OrderRefunded, ReverseEarnedPoints):
//! points and growth on the same base they were earned on, proportionally, exactly once per
//! refund.
//!
//! - **Proportional and exact.** Each refund adds its refunded base to the order's cumulative
//!   refunded base; what is taken back in all is `floor(earned × refunded / base)`, and exactly
//!   what was earned once the whole base is refunded ([`reversal_target`]), so any split of
//!   partial refunds ends at the whole.
//! - **Never negative.** Points are taken from what is available — the order's own lot first,
//!   then the oldest-expiring; what the member already spent is the refund's
//!   `points_shortfall`, recorded for the liability report, and is never taken later. Growth
//!   stops at 0.
//! - **Exactly once, in any order.** Every event of an order locks its `mem_order_earnings` row
//!   first, and each refund is one `mem_order_refunds` row whose points and growth sides are
//!   applied once. A refund that arrives before the order's OrderPaid waits there and is applied
//!   right after the earning; points credited on settlement are computed on the units not
//!   refunded, so refunds take none of them back.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::{Begun, arith, begin, head, lock, post};
use crate::app::App;
use crate::app::domain::{
    Account, BaseLine, EntryType, JournalEntry, MemberId, OrderEarning, OrderRefund, Posting,
    earning_base, reversal_target,
};
use crate::app::tiers::Grow;
use crate::{AppError, repo};

/// A ReverseEarnedPoints request, parsed.
#[derive(Debug, Clone, Copy)]
pub struct ReverseEarned {
    /// The order whose earned points to take back.
    pub order_id: Uuid,
    /// The refund (part of the business key).
    pub refund_id: Uuid,
    /// Points to take back; `None` = proportional to `refunded_base`.
    pub points: Option<i64>,
    /// The refunded earning base, fen (used when `points` is `None`).
    pub refunded_base: i64,
}

/// What a reversal took back (also the answer to its repeat).
#[derive(Debug, Clone)]
pub struct Reversed {
    /// The EARN_REVERSAL entry; `None` when nothing could be taken.
    pub entry: Option<JournalEntry>,
    /// Points taken back.
    pub reversed_points: i64,
    /// Points that could not be taken back (already spent).
    pub shortfall_points: i64,
}

impl App {
    /// ReverseEarnedPoints: the order's earned points for one refund; EARN_NOT_FOUND when the
    /// order earned none.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, order_id = %r.order_id))]
    pub async fn reverse_earned_points(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        r: ReverseEarned,
    ) -> Result<Reversed, AppError> {
        let now_ms = self.now_ms();
        let found = repo::ledger::order_earnings::get(conn, ctx.tenant, r.order_id, false)
            .await?
            .filter(|e| e.points > 0)
            .ok_or(AppError::EarnNotFound)?;
        let mut earning = repo::ledger::order_earnings::lock(
            conn,
            ctx.tenant,
            r.order_id,
            found.member_id,
            now_ms,
        )
        .await?;
        let asked = OrderRefund {
            order_id: r.order_id,
            refund_id: r.refund_id,
            lines: Vec::new(),
            given_base: r.points.is_none().then_some(r.refunded_base),
            given_points: r.points,
            points_done: false,
            growth_done: false,
            points_reversed: 0,
            points_shortfall: 0,
            growth_reversed: 0,
            entry_id: None,
        };
        let mut refund =
            repo::ledger::order_earnings::record_refund(conn, ctx.tenant, &asked, now_ms).await?;
        if !refund.points_done {
            self.reverse_points(conn, ctx, &mut earning, &mut refund)
                .await?;
            repo::ledger::order_earnings::save_refund(conn, ctx.tenant, &refund, now_ms).await?;
            repo::ledger::order_earnings::save(conn, ctx.tenant, &earning, now_ms).await?;
        }
        let entry = match refund.entry_id {
            Some(_) => repo::ledger::by_key(conn, ctx.tenant, &reversal_key(&refund))
                .await?
                .map(|(e, _)| e),
            None => None,
        };
        Ok(Reversed {
            entry,
            reversed_points: refund.points_reversed,
            shortfall_points: refund.points_shortfall,
        })
    }

    /// OrderRefunded of a goods order: records the refund and applies what can be applied now.
    pub async fn reverse_order_earning(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order_id: Uuid,
        member: MemberId,
        refund_id: Uuid,
        lines: Vec<BaseLine>,
    ) -> Result<(), AppError> {
        let now_ms = self.now_ms();
        let mut earning =
            repo::ledger::order_earnings::lock(conn, ctx.tenant, order_id, member, now_ms).await?;
        let told = OrderRefund {
            order_id,
            refund_id,
            lines,
            given_base: None,
            given_points: None,
            points_done: false,
            growth_done: false,
            points_reversed: 0,
            points_shortfall: 0,
            growth_reversed: 0,
            entry_id: None,
        };
        repo::ledger::order_earnings::record_refund(conn, ctx.tenant, &told, now_ms).await?;
        self.apply_refunds(conn, ctx, &mut earning).await
    }

    /// Applies every refund of the order whose sides can be decided now, and saves the order's
    /// row. The caller holds the row's lock.
    pub(crate) async fn apply_refunds(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        earning: &mut OrderEarning,
    ) -> Result<(), AppError> {
        let now_ms = self.now_ms();
        for mut refund in
            repo::ledger::order_earnings::pending(conn, ctx.tenant, earning.order_id).await?
        {
            let before = refund.clone();
            // Points are decided once the earning that could credit them at payment was seen,
            // or settlement credited them net of refunds.
            if !refund.points_done && (earning.paid || earning.net_of_refunds) {
                self.reverse_points(conn, ctx, earning, &mut refund).await?;
            }
            // Growth is credited at payment only; a refund known only through the RPC carries
            // no lines, and its growth waits for the event.
            if !refund.growth_done && earning.paid && !refund.lines.is_empty() {
                self.reverse_growth(conn, ctx, earning, &mut refund).await?;
            }
            if refund != before {
                repo::ledger::order_earnings::save_refund(conn, ctx.tenant, &refund, now_ms)
                    .await?;
            }
        }
        repo::ledger::order_earnings::save(conn, ctx.tenant, earning, now_ms).await
    }

    /// The points side of one refund: how many, then one EARN_REVERSAL entry taking what is
    /// available.
    async fn reverse_points(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        earning: &mut OrderEarning,
        refund: &mut OrderRefund,
    ) -> Result<(), AppError> {
        refund.points_done = true;
        // Settled points left the refunded units out already; only an explicit amount (a staff
        // correction) takes any of them back.
        let net = earning.net_of_refunds && refund.given_points.is_none();
        if net || earning.points_entry_id.is_none() {
            return Ok(());
        }
        let want = match refund.given_points {
            Some(p) => p.min(earning.points_left()),
            None => {
                let base = refund.given_base.unwrap_or_else(|| {
                    earning_base(
                        &refund.lines,
                        earning.stored_value_earns,
                        &earning.excluded_category_ids,
                    )
                });
                earning.refunded_points_base = earning.refunded_points_base.saturating_add(base);
                let target = reversal_target(
                    earning.points,
                    earning.points_base,
                    earning.refunded_points_base,
                );
                (target - earning.points_reversed - earning.points_shortfall)
                    .clamp(0, earning.points_left())
            }
        };
        if want == 0 {
            return Ok(());
        }
        let now_ms = self.now_ms();
        let mut h = head(
            ctx,
            EntryType::EarnReversal,
            earning.member_id,
            reversal_key(refund),
            format!("reverse|{want}"),
            now_ms,
        );
        h.order_id = Some(earning.order_id);
        h.refund_id = Some(refund.refund_id);
        h.reference_id = earning.order_id.to_string();
        h.description = "退款扣回积分".into();
        if let Begun::Repeat(entry) = begin(conn, ctx.tenant, &h).await? {
            // Written by an earlier attempt whose row update is the one committed with it.
            refund.entry_id = Some(entry.id);
            return Ok(());
        }
        let locked = lock(conn, ctx, earning.member_id, now_ms).await?;
        let take = want.min(locked.balances.points_available);
        let shortfall = want - take;
        if take > 0 {
            let earned_lot = match repo::ledger::by_key(
                conn,
                ctx.tenant,
                &format!("earn:order:{}", earning.order_id),
            )
            .await?
            {
                Some((e, _)) => e.postings.iter().find_map(|p| p.lot_id),
                None => None,
            };
            let mut lots: Vec<(Uuid, i64)> =
                repo::ledger::lots::open(conn, ctx.tenant, earning.member_id)
                    .await?
                    .iter()
                    .map(|l| (l.id, l.remaining))
                    .collect();
            // The order's own lot first: those are the points being taken back.
            if let Some(i) = earned_lot.and_then(|id| lots.iter().position(|(l, _)| *l == id)) {
                let own = lots.remove(i);
                lots.insert(0, own);
            }
            let taken = arith::take_oldest(&lots, take).ok_or_else(|| {
                AppError::Internal("lots do not cover the available balance".into())
            })?;
            let mut postings = Vec::with_capacity(taken.len() + 1);
            for (lot, n) in &taken {
                if !repo::ledger::lots::change(conn, ctx.tenant, *lot, -n).await? {
                    return Err(AppError::Internal(format!(
                        "lot {lot} changed under its lock"
                    )));
                }
                postings.push(
                    Posting::member(Account::PointsAvailable, earning.member_id, -n).on_lot(*lot),
                );
            }
            postings.push(Posting::tenant(Account::PointsIssued, take));
            let (entry, _) = post(conn, ctx.tenant, &h, postings).await?;
            refund.entry_id = Some(entry.id);
        } else {
            // Nothing available: the claim is rolled into an empty entry so the key stays taken.
            let (entry, _) = post(conn, ctx.tenant, &h, Vec::new()).await?;
            refund.entry_id = Some(entry.id);
        }
        refund.points_reversed = take;
        refund.points_shortfall = shortfall;
        earning.points_reversed += take;
        earning.points_shortfall += shortfall;
        tracing::info!(
            order_id = %earning.order_id, refund_id = %refund.refund_id, take, shortfall,
            "earned points reversed"
        );
        Ok(())
    }

    /// The growth side of one refund: the growth change `growth:refund:<order>:<refund>`,
    /// stopping at 0.
    async fn reverse_growth(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        earning: &mut OrderEarning,
        refund: &mut OrderRefund,
    ) -> Result<(), AppError> {
        refund.growth_done = true;
        let base = earning_base(&refund.lines, earning.stored_value_earns, &[]);
        earning.refunded_growth_base = earning.refunded_growth_base.saturating_add(base);
        let target = reversal_target(
            earning.growth,
            earning.growth_base,
            earning.refunded_growth_base,
        );
        let want =
            (target - earning.growth_reversed).clamp(0, earning.growth - earning.growth_reversed);
        if want == 0 {
            return Ok(());
        }
        let member = repo::members::by_id(conn, ctx.tenant, earning.member_id, false)
            .await?
            .ok_or(AppError::MemberNotFound)?;
        let grow = Grow {
            delta: -want,
            source: "ORDER_REFUNDED",
            reference_id: refund.refund_id.to_string(),
            reason: String::new(),
            key: format!("growth:refund:{}:{}", earning.order_id, refund.refund_id),
            strict: false,
        };
        self.grow(conn, ctx, &member, grow).await?;
        refund.growth_reversed = want;
        earning.growth_reversed += want;
        Ok(())
    }
}

/// The business key of a refund's reversal entry.
fn reversal_key(r: &OrderRefund) -> String {
    format!("reverse:earn:{}:{}", r.order_id, r.refund_id)
}
