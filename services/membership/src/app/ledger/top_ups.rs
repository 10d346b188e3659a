//! Stored-value top-ups (储值): TopUpStoredValue credits a paid top-up order (principal = cash
//! paid, plus the plan's bonus while it is on sale and the member's per-plan limit holds), and
//! ReverseTopUp takes back principal with the bonus in proportion before the order is refunded
//! — refused, writing nothing, when the member already spent it (TOP_UP_ALREADY_SPENT with the
//! amount that could be reversed now). The `mem_top_ups` row of the order anchors both.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::{Begun, arith, begin, head, lock, new_lot, post};
use crate::app::App;
use crate::app::domain::{
    Account, BalanceReport, EntryType, JournalEntry, MemberId, MemberStatus, Posting, TopUp,
};
use crate::{AppError, events, repo};

/// A TopUpStoredValue request, parsed.
#[derive(Debug, Clone, Copy)]
pub struct TopUpRequest {
    /// The member topping up.
    pub member_id: MemberId,
    /// The paid top-up order.
    pub order_id: Uuid,
    /// The plan bought (none: a custom amount, no bonus).
    pub plan_id: Option<Uuid>,
    /// Cash paid, fen.
    pub amount_paid: i64,
    /// When paid (ms).
    pub paid_at_ms: i64,
}

/// What a top-up answers.
#[derive(Debug, Clone)]
pub struct ToppedUp {
    /// The TOP_UP entry.
    pub entry: JournalEntry,
    /// Bonus credited, fen.
    pub bonus: i64,
    /// Balances now.
    pub balances: BalanceReport,
}

/// A ReverseTopUp request, parsed.
#[derive(Debug, Clone, Copy)]
pub struct ReverseRequest {
    /// The top-up order.
    pub order_id: Uuid,
    /// The refund.
    pub refund_id: Uuid,
    /// Principal to take back, fen.
    pub amount: i64,
}

fn sv_sum(entry: &JournalEntry, account: Account) -> i64 {
    entry
        .postings
        .iter()
        .filter(|p| p.account == account)
        .map(|p| p.amount)
        .sum()
}

impl App {
    /// TopUpStoredValue (StoredValueChanged TOP_UP).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, order_id = %r.order_id))]
    pub async fn top_up(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        r: TopUpRequest,
    ) -> Result<ToppedUp, AppError> {
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        let policy = repo::ledger::policy::get(conn, ctx.tenant).await?;
        if !policy.stored_value_enabled {
            return Err(AppError::StoredValueDisabled);
        }
        repo::members::by_id(conn, ctx.tenant, r.member_id, false)
            .await?
            .ok_or(AppError::MemberNotFound)?;
        let plan = match r.plan_id {
            Some(id) => Some(
                repo::ledger::top_up_plans::get(conn, ctx.tenant, id, false)
                    .await?
                    .ok_or(AppError::TopUpPlanNotFound)?,
            ),
            None => None,
        };
        if plan.as_ref().is_some_and(|p| p.pay_amount != r.amount_paid) {
            return Err(AppError::TopUpAmountMismatch);
        }
        let key = format!("top_up:{}", r.order_id);
        let fingerprint = format!("top_up|{}|{:?}|{}", r.member_id, r.plan_id, r.amount_paid);
        let mut h = head(ctx, EntryType::TopUp, r.member_id, key, fingerprint, now_ms);
        h.order_id = Some(r.order_id);
        if let Begun::Repeat(entry) = begin(conn, ctx.tenant, &h).await? {
            let entry = *entry;
            let bonus = sv_sum(&entry, Account::SvBonus);
            let balances = self.balance_report(conn, ctx, r.member_id).await?;
            return Ok(ToppedUp {
                entry,
                bonus,
                balances,
            });
        }
        let locked = lock(conn, ctx, r.member_id, now_ms).await?;
        if let Some(refusal) = locked.member.refuses_writes() {
            return Err(refusal);
        }
        let m = r.member_id;
        let (mut bonus, mut bonus_points) = (0, 0);
        if let Some(p) = &plan
            && p.sells_at(r.paid_at_ms)
        {
            let given = repo::ledger::top_ups::bonuses_of(conn, ctx.tenant, m, p.id).await?;
            if p.per_member_limit == 0 || given < i64::from(p.per_member_limit) {
                (bonus, bonus_points) = (p.bonus_amount, p.bonus_points);
            }
        }
        let mut postings = vec![
            Posting::member(Account::SvPrincipal, m, r.amount_paid),
            Posting::tenant(Account::SvCash, -r.amount_paid),
            Posting::member(Account::SvBonus, m, bonus),
            Posting::tenant(Account::SvBonusExpense, -bonus),
        ];
        if bonus_points > 0 {
            let expires = arith::lot_expiry(&policy, now);
            let (_, credit) =
                new_lot(conn, ctx.tenant, m, bonus_points, expires, h.id, now_ms).await?;
            postings.extend([
                credit,
                Posting::tenant(Account::PointsIssued, -bonus_points),
            ]);
        }
        let top_up = TopUp {
            order_id: r.order_id,
            member_id: m,
            plan_id: r.plan_id,
            principal: r.amount_paid,
            bonus,
            reversed_principal: 0,
            reversed_bonus: 0,
            entry_id: h.id,
        };
        repo::ledger::top_ups::insert(conn, ctx.tenant, &top_up, now_ms).await?;
        let (entry, after) = post(conn, ctx.tenant, &h, postings).await?;
        events::publish::stored_value_changed(
            conn,
            ctx.tenant,
            &locked.member,
            &entry,
            &after,
            "TOP_UP",
        )
        .await?;
        let balances = self.balance_report(conn, ctx, m).await?;
        Ok(ToppedUp {
            entry,
            bonus,
            balances,
        })
    }

    /// ReverseTopUp (StoredValueChanged TOP_UP_REVERSAL); answers the entry and the bonus taken.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, order_id = %r.order_id))]
    pub async fn reverse_top_up(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        r: ReverseRequest,
    ) -> Result<(JournalEntry, i64), AppError> {
        let now_ms = self.now_ms();
        let top_up = repo::ledger::top_ups::get(conn, ctx.tenant, r.order_id, true)
            .await?
            .ok_or(AppError::TopUpNotFound)?;
        let key = format!("reverse_top_up:{}:{}", r.order_id, r.refund_id);
        let fingerprint = format!("reverse_top_up|{}", r.amount);
        let mut h = head(
            ctx,
            EntryType::TopUpReversal,
            top_up.member_id,
            key,
            fingerprint,
            now_ms,
        );
        h.order_id = Some(r.order_id);
        h.refund_id = Some(r.refund_id);
        if let Begun::Repeat(entry) = begin(conn, ctx.tenant, &h).await? {
            let entry = *entry;
            let bonus = -sv_sum(&entry, Account::SvBonus);
            return Ok((entry, bonus));
        }
        let locked = lock(conn, ctx, top_up.member_id, now_ms).await?;
        if locked.member.status == MemberStatus::Closed {
            return Err(AppError::MemberClosed);
        }
        let b = locked.balances;
        let bonus = arith::bonus_share(
            top_up.bonus,
            top_up.principal,
            top_up.reversed_principal,
            r.amount,
        );
        let left = top_up.principal - top_up.reversed_principal;
        if r.amount > left || r.amount > b.sv_principal || bonus > b.sv_bonus {
            return Err(AppError::TopUpAlreadySpent {
                reversible_amount: arith::reversible_amount(
                    top_up.principal,
                    top_up.bonus,
                    top_up.reversed_principal,
                    b.sv_principal,
                    b.sv_bonus,
                ),
            });
        }
        if !repo::ledger::top_ups::add_reversal(conn, ctx.tenant, r.order_id, r.amount, bonus)
            .await?
        {
            return Err(AppError::Internal(
                "top-up reversal beyond the top-up".into(),
            ));
        }
        let m = top_up.member_id;
        let postings = vec![
            Posting::member(Account::SvPrincipal, m, -r.amount),
            Posting::tenant(Account::SvCash, r.amount),
            Posting::member(Account::SvBonus, m, -bonus),
            Posting::tenant(Account::SvBonusExpense, bonus),
        ];
        let (entry, after) = post(conn, ctx.tenant, &h, postings).await?;
        events::publish::stored_value_changed(
            conn,
            ctx.tenant,
            &locked.member,
            &entry,
            &after,
            "TOP_UP_REVERSAL",
        )
        .await?;
        Ok((entry, bonus))
    }
}
