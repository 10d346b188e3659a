//! Earning and redeeming points outside checkout: EarnPoints (by rule or an explicit amount,
//! into a new lot) and RedeemPoints (oldest-expiring lots first). Both are keyed by the
//! caller's business key.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use super::reads::report_of;
use super::{Begun, arith, begin, head, lock, lock_known, new_lot, post, take_points};
use crate::app::domain::{
    Account, BalanceReport, EarningRule, EarningTrigger, EntryType, JournalEntry, Lot, MemberId,
    Posting,
};
use crate::app::{App, callers};
use crate::{AppError, events, repo};

/// How an earn computes its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EarnBy {
    /// A configured rule; `eligible` is the earning base in fen for ORDER_PAID rules.
    Rule {
        /// The rule.
        rule_id: Uuid,
        /// Earning base, fen (0 when not given).
        eligible: i64,
    },
    /// An explicit amount.
    Points(i64),
}

/// An EarnPoints request, parsed.
#[derive(Debug, Clone)]
pub struct Earn {
    /// The member.
    pub member_id: MemberId,
    /// The caller's business key.
    pub key: String,
    /// Rule or amount.
    pub by: EarnBy,
    /// Reference of the cause.
    pub reference_id: String,
    /// History text.
    pub description: String,
    /// Lot expiry override.
    pub expires_at_ms: Option<i64>,
}

/// What an earn answers (also on a repeat of its key).
#[derive(Debug, Clone)]
pub struct Earned {
    /// The entry.
    pub entry: JournalEntry,
    /// The lot it created.
    pub lot: Option<Lot>,
    /// Balances now.
    pub balances: BalanceReport,
}

/// RedeemPurpose numbers this service distinguishes.
pub const PURPOSE_POINTS_MALL: i32 = 1;

/// A RedeemPoints request, parsed.
#[derive(Debug, Clone)]
pub struct Redeem {
    /// The member (consumers: their own).
    pub member_id: Option<MemberId>,
    /// Points, ≥ 1.
    pub points: i64,
    /// The caller's business key.
    pub key: String,
    /// `RedeemPurpose` number (validated at the edge).
    pub purpose: i32,
    /// Reference (points-mall item, POS receipt).
    pub reference_id: String,
    /// History text.
    pub description: String,
}

/// The points an active rule gives for one trigger, before the daily cap; ORDER_PAID rules
/// apply the member's tier multiplier (`multiplier_bps`, 10000 = 1×) in the same floor.
fn rule_points(rule: &EarningRule, eligible: i64, multiplier_bps: i32) -> Result<i64, AppError> {
    match rule.trigger {
        EarningTrigger::OrderPaid => {
            let points = i128::from(eligible)
                * i128::from(rule.points_per_yuan)
                * i128::from(multiplier_bps)
                / (100 * 10_000);
            let points = i64::try_from(points).unwrap_or(i64::MAX);
            if points < 1 {
                return Err(AppError::invalid(
                    "eligible_amount",
                    "must earn at least one point under the rule",
                ));
            }
            Ok(points)
        }
        EarningTrigger::CheckIn => Err(AppError::invalid(
            "rule_id",
            "check-in rules are applied by CheckIn",
        )),
        _ => Ok(rule.fixed_points),
    }
}

impl App {
    /// EarnPoints: credits a new lot (PointsEarned).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, member_id = %e.member_id))]
    pub async fn earn(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        e: Earn,
    ) -> Result<Earned, AppError> {
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        let fingerprint = format!("earn|{}|{:?}|{:?}", e.member_id, e.by, e.expires_at_ms);
        let mut h = head(
            ctx,
            EntryType::Earn,
            e.member_id,
            e.key.clone(),
            fingerprint,
            now_ms,
        );
        h.description = e.description.clone();
        h.reference_id = e.reference_id.clone();
        let rule = match e.by {
            EarnBy::Rule { rule_id, .. } => Some(
                repo::ledger::earning_rules::get(conn, ctx.tenant, rule_id, false)
                    .await?
                    .ok_or(AppError::EarningRuleNotFound)?,
            ),
            EarnBy::Points(_) => None,
        };
        h.rule_id = rule.as_ref().map(|r| r.id);
        // The member first: an unknown member is NOT_FOUND before its key is claimed.
        let member = repo::members::by_id(conn, ctx.tenant, e.member_id, false)
            .await?
            .ok_or(AppError::MemberNotFound)?;
        if let Begun::Repeat(entry) = begin(conn, ctx.tenant, &h).await? {
            let entry = *entry;
            return self.earned(conn, ctx, entry).await;
        }
        let locked = lock_known(conn, ctx, member, now_ms).await?;
        if let Some(refusal) = locked.member.refuses_writes() {
            return Err(refusal);
        }
        let points = match (&rule, e.by) {
            (Some(rule), EarnBy::Rule { eligible, .. }) => {
                if !rule.enabled || !rule.in_window(now_ms) {
                    return Err(AppError::EarningRuleDisabled);
                }
                let multiplier = match rule.trigger {
                    EarningTrigger::OrderPaid => {
                        crate::app::tiers::points_multiplier_bps(conn, ctx, e.member_id).await?
                    }
                    _ => 10_000,
                };
                let mut points = rule_points(rule, eligible, multiplier)?;
                if rule.daily_cap > 0 {
                    let (start, end) = arith::business_day(now_ms);
                    let got = repo::ledger::earning_rules::earned_between(
                        conn,
                        ctx.tenant,
                        e.member_id.0,
                        rule.id,
                        start,
                        end,
                    )
                    .await?;
                    let room = rule.daily_cap - got;
                    if room <= 0 {
                        return Err(AppError::EarningCapReached);
                    }
                    points = points.min(room);
                }
                points
            }
            (_, EarnBy::Points(p)) => p,
            (None, EarnBy::Rule { .. }) => return Err(AppError::EarningRuleNotFound),
        };
        let policy = repo::ledger::policy::get(conn, ctx.tenant).await?;
        let expires = e.expires_at_ms.or_else(|| arith::lot_expiry(&policy, now));
        let (lot, credit) =
            new_lot(conn, ctx.tenant, e.member_id, points, expires, h.id, now_ms).await?;
        let postings = vec![credit, Posting::tenant(Account::PointsIssued, -points)];
        let (entry, after) = post(conn, ctx.tenant, &h, postings).await?;
        let source = match &rule {
            Some(r) => r.trigger.source().to_owned(),
            None if ctx.principal.kind == PrincipalKind::Staff => "STAFF_ADJUSTMENT".into(),
            None => "EXPLICIT".into(),
        };
        events::publish::points_earned(
            conn,
            ctx.tenant,
            &locked.member,
            &entry,
            &after,
            &source,
            expires,
        )
        .await?;
        // Answered from what the lock read and the post returned: no balance, policy or lot
        // read after the writes.
        let mut lots = locked.open_lots;
        lots.push(lot.clone());
        let balances = report_of(e.member_id, after, &lots, &policy, now_ms);
        Ok(Earned {
            entry,
            lot: Some(lot),
            balances,
        })
    }

    /// The answer to a repeated earn: its entry, its lot, balances now.
    async fn earned(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        entry: JournalEntry,
    ) -> Result<Earned, AppError> {
        let lot = match entry.postings.iter().find_map(|p| p.lot_id) {
            Some(id) => repo::ledger::lots::get(conn, ctx.tenant, id).await?,
            None => None,
        };
        let balances = self.balance_report(conn, ctx, entry.member_id).await?;
        Ok(Earned {
            entry,
            lot,
            balances,
        })
    }

    /// RedeemPoints: debits points oldest lots first (PointsRedeemed).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn redeem(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        r: Redeem,
    ) -> Result<(JournalEntry, BalanceReport), AppError> {
        if ctx.principal.kind == PrincipalKind::Consumer && r.purpose != PURPOSE_POINTS_MALL {
            return Err(AppError::OutOfScope(
                "consumers redeem in the points mall only".into(),
            ));
        }
        let now_ms = self.now_ms();
        let member = callers::member(conn, ctx, r.member_id, false).await?;
        let fingerprint = format!("redeem|{}|{}|{}", member.id, r.points, r.purpose);
        let mut h = head(
            ctx,
            EntryType::Redeem,
            member.id,
            r.key.clone(),
            fingerprint,
            now_ms,
        );
        h.description = r.description.clone();
        h.reference_id = r.reference_id.clone();
        if let Begun::Repeat(entry) = begin(conn, ctx.tenant, &h).await? {
            let entry = *entry;
            let balances = self.balance_report(conn, ctx, member.id).await?;
            return Ok((entry, balances));
        }
        let locked = lock(conn, ctx, member.id, now_ms).await?;
        if let Some(refusal) = locked.member.refuses_writes() {
            return Err(refusal);
        }
        if locked.balances.points_available < r.points {
            return Err(AppError::PointsInsufficient {
                available: locked.balances.points_available,
                requested: r.points,
            });
        }
        let (mut postings, _) = take_points(conn, ctx.tenant, member.id, r.points).await?;
        postings.push(Posting::tenant(Account::PointsRedeemed, r.points));
        let (entry, after) = post(conn, ctx.tenant, &h, postings).await?;
        events::publish::points_redeemed(
            conn,
            ctx.tenant,
            &locked.member,
            &entry,
            &after,
            r.purpose,
        )
        .await?;
        let balances = self.balance_report(conn, ctx, member.id).await?;
        Ok((entry, balances))
    }
}
