//! Tiers (等级) and growth (成长值): the ladder HQ configures, the tier policy, and each
//! member's standing.
//!
//! - **Upgrade at once.** Every growth change runs [`App::grow`] under the member's tier-row
//!   lock: when the growth reaches a higher tier than the one held, the member moves up in the
//!   same transaction (TierChanged, cause GROWTH).
//! - **Never down at once.** A growth decrease (refund, staff) only lowers growth; a member
//!   drops only at re-evaluation (`tiers/evaluation.rs`), after the grace period.
//! - **Exactly once.** A growth change carries a business key unique per tenant; under the
//!   member's lock a repeat finds the recorded change and answers it.
//! - **Paid floor.** A live paid period's plan tier is a floor (`paid/benefits.rs`): the member
//!   holds the higher of the tier growth holds and the floor ([`effective`]), and TierChanged
//!   is published when that changes.

use std::collections::HashMap;

use chrono::{DateTime, Months, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use crate::app::domain::{
    GrowthChange, Member, MemberGrowth, MemberId, MemberStatus, Tier, TierPolicy, entry_tier,
    ladder_conflict, tier_above, tier_reached,
};
use crate::app::{App, callers};
use crate::{AppError, events, repo};

pub mod admin;
pub mod evaluation;
pub mod seed;

/// A member's standing as read: growth, the tier held (`None` when the tenant has no tiers),
/// the evaluation window and the tier ahead.
#[derive(Debug, Clone)]
pub struct Standing {
    /// Stored growth and tier fields.
    pub growth: MemberGrowth,
    /// The tier held.
    pub tier: Option<Tier>,
    /// Growth in the current evaluation window.
    pub window_growth: i64,
    /// The next tier up.
    pub next_tier: Option<Tier>,
    /// Whether the tier held is the floor of a paid period (above what growth holds).
    pub from_paid_membership: bool,
}

/// A growth change to apply.
#[derive(Debug, Clone)]
pub struct Grow {
    /// Signed change.
    pub delta: i64,
    /// "ORDER_PAID", "ORDER_REFUNDED", "STAFF_ADJUSTMENT", "EARNING_RULE".
    pub source: &'static str,
    /// Order, refund or rule behind it.
    pub reference_id: String,
    /// Staff reason.
    pub reason: String,
    /// Business key, unique per tenant.
    pub key: String,
    /// Refuse (GROWTH_INSUFFICIENT) rather than stop at 0 when taking more than there is.
    pub strict: bool,
}

/// `at_ms` plus `months` calendar months (UTC), saturating far in the future.
pub fn add_months(at_ms: i64, months: i32) -> i64 {
    DateTime::<Utc>::from_timestamp_millis(at_ms)
        .and_then(|t| t.checked_add_months(Months::new(u32::try_from(months).unwrap_or(0))))
        .map_or(i64::MAX, |t| t.timestamp_millis())
}

/// `at_ms` minus `months` calendar months.
pub fn sub_months(at_ms: i64, months: i32) -> i64 {
    DateTime::<Utc>::from_timestamp_millis(at_ms)
        .and_then(|t| t.checked_sub_months(Months::new(u32::try_from(months).unwrap_or(0))))
        .map_or(0, |t| t.timestamp_millis())
}

/// The tier a stored standing means: its code's tier, else the entry tier.
pub fn held<'a>(tiers: &'a [Tier], g: &MemberGrowth) -> Option<&'a Tier> {
    g.tier_code
        .as_deref()
        .and_then(|c| tiers.iter().find(|t| t.code == c))
        .or_else(|| entry_tier(tiers))
}

/// The tier a member holds: the higher of the tier its growth holds ([`held`]) and the paid
/// floor (an active tier's code).
pub fn effective<'a>(tiers: &'a [Tier], g: &MemberGrowth, floor: Option<&str>) -> Option<&'a Tier> {
    let earned = held(tiers, g);
    let paid = floor.and_then(|c| tiers.iter().find(|t| t.code == c && !t.archived));
    match (earned, paid) {
        (Some(e), Some(p)) if p.rank > e.rank => Some(p),
        (None, p) => p,
        (e, _) => e,
    }
}

/// The member's stored standing (NOT_FOUND when the tenant has no such member).
pub async fn standing_of(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    member: MemberId,
    policy: &TierPolicy,
) -> Result<MemberGrowth, AppError> {
    let months = policy.evaluation_period_months;
    repo::tiers::growth::get(conn, ctx.tenant, member, |at| add_months(at, months))
        .await?
        .ok_or(AppError::MemberNotFound)
}

/// The points multiplier (bps) orders earn at: the held tier's (the paid floor counted; 1×
/// without tiers) times a live paid period's extra multiplier, rounded down. Every earning of
/// an order (payment, settlement, EarnPoints by an ORDER_PAID rule) reads it here.
pub async fn points_multiplier_bps(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    member: MemberId,
) -> Result<i32, AppError> {
    let paid = repo::paid::benefits::applied(conn, ctx.tenant, member).await?;
    let tiers = repo::tiers::all(conn, ctx.tenant).await?;
    let tier_bps = if tiers.is_empty() {
        10_000
    } else {
        let policy = repo::tiers::policy(conn, ctx.tenant).await?;
        let g = standing_of(conn, ctx, member, &policy).await?;
        effective(&tiers, &g, paid.tier_floor.as_deref())
            .map_or(10_000, |t| t.benefits.points_multiplier_bps)
    };
    Ok(combined_bps(tier_bps, paid.points_multiplier_bps))
}

/// Two multipliers in bps applied one after the other, rounded down.
pub fn combined_bps(a: i32, b: i32) -> i32 {
    i32::try_from(i64::from(a) * i64::from(b) / 10_000).unwrap_or(i32::MAX)
}

impl App {
    /// The member's standing (consumers: their own).
    pub async fn standing(
        &self,
        ctx: &Ctx,
        requested: Option<MemberId>,
    ) -> Result<Standing, AppError> {
        let db: &DatabaseConnection = &self.db;
        let member = callers::member(db, ctx, requested, false).await?;
        self.standing_of_member(db, ctx, &member).await
    }

    /// The standing of a member already resolved.
    pub async fn standing_of_member(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: &Member,
    ) -> Result<Standing, AppError> {
        let tiers = repo::tiers::all(conn, ctx.tenant).await?;
        let policy = repo::tiers::policy(conn, ctx.tenant).await?;
        let growth = standing_of(conn, ctx, member.id, &policy).await?;
        let from = sub_months(self.now_ms(), policy.evaluation_period_months);
        let window_growth = repo::tiers::growth::since(conn, ctx.tenant, member.id, from).await?;
        let floor = repo::paid::benefits::applied(conn, ctx.tenant, member.id)
            .await?
            .tier_floor;
        let earned = held(&tiers, &growth).map(|t| t.code.clone());
        let tier = effective(&tiers, &growth, floor.as_deref()).cloned();
        let from_paid_membership = tier
            .as_ref()
            .is_some_and(|t| Some(&t.code) != earned.as_ref());
        let next_tier = tier
            .as_ref()
            .and_then(|t| tier_above(&tiers, t.rank))
            .cloned();
        Ok(Standing {
            growth,
            tier,
            window_growth,
            next_tier,
            from_paid_membership,
        })
    }

    /// ListGrowthHistory: newest first (consumers: their own).
    pub async fn growth_history(
        &self,
        ctx: &Ctx,
        requested: Option<MemberId>,
        after: Option<(i64, Uuid)>,
        limit: u64,
    ) -> Result<Vec<GrowthChange>, AppError> {
        let member = callers::member(&self.db, ctx, requested, false).await?;
        repo::tiers::growth::list(&self.db, ctx.tenant, member.id, after, limit).await
    }

    /// AdjustGrowth: a staff change of growth; may upgrade at once, never downgrades.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, member_id = %member))]
    pub async fn adjust_growth(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: MemberId,
        g: Grow,
    ) -> Result<(GrowthChange, Standing), AppError> {
        let m = repo::members::by_id(conn, ctx.tenant, member, false)
            .await?
            .ok_or(AppError::MemberNotFound)?;
        if m.status == MemberStatus::Closed {
            return Err(AppError::MemberClosed);
        }
        let change = self.grow(conn, ctx, &m, g).await?;
        let standing = self.standing_of_member(conn, ctx, &m).await?;
        Ok((change, standing))
    }

    /// Applies a growth change under the member's lock, exactly once per key, moving the member
    /// up when the new growth reaches a higher tier. The entry point of every growth source.
    pub async fn grow(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: &Member,
        g: Grow,
    ) -> Result<GrowthChange, AppError> {
        let now_ms = self.now_ms();
        let policy = repo::tiers::policy(conn, ctx.tenant).await?;
        let mut standing = standing_of(conn, ctx, member.id, &policy).await?;
        let created = repo::tiers::growth::lock(conn, ctx.tenant, &standing, now_ms).await?;
        let fingerprint = format!("{}|{}|{}", member.id, g.delta, g.source);
        if let Some((change, fp)) = repo::tiers::growth::by_key(conn, ctx.tenant, &g.key).await? {
            return if fp == fingerprint {
                Ok(change)
            } else {
                Err(AppError::LedgerKeyConflict { key: g.key })
            };
        }
        // Read again under the lock: a concurrent change may have committed meanwhile.
        standing = standing_of(conn, ctx, member.id, &policy).await?;
        let mut delta = g.delta;
        if standing.growth + delta < 0 {
            if g.strict {
                return Err(AppError::GrowthInsufficient {
                    available: standing.growth,
                });
            }
            delta = -standing.growth;
        }
        standing.growth += delta;
        let change = GrowthChange {
            id: siyu_core::id::new(),
            member_id: member.id,
            delta,
            balance_after: standing.growth,
            source: g.source.to_owned(),
            reference_id: g.reference_id,
            reason: g.reason,
            operator_id: callers::operator(ctx),
            created_at_ms: now_ms,
        };
        repo::tiers::growth::insert(conn, ctx.tenant, &change, &g.key, &fingerprint).await?;
        let tiers = repo::tiers::all(conn, ctx.tenant).await?;
        // The paid floor changes only under this lock (`paid/benefits.rs`).
        let floor = repo::paid::benefits::applied(conn, ctx.tenant, member.id)
            .await?
            .tier_floor;
        let before = effective(&tiers, &standing, floor.as_deref()).cloned();
        let current = held(&tiers, &standing).cloned();
        let reached = tier_reached(&tiers, standing.growth).cloned();
        let mut reschedule = created;
        if let Some(up) = reached.filter(|r| current.as_ref().is_none_or(|c| r.rank > c.rank)) {
            reschedule = true;
            let from = current.map(|c| c.code).unwrap_or_default();
            standing.tier_code = Some(up.code.clone());
            standing.achieved_at_ms = now_ms;
            standing.downgrade_at_ms = None;
            standing.next_evaluation_at_ms = add_months(now_ms, policy.evaluation_period_months);
            repo::tiers::growth::record_move(
                conn,
                ctx.tenant,
                member.id,
                &from,
                &up.code,
                "GROWTH",
                standing.growth,
                now_ms,
            )
            .await?;
            self.grant_tier_up_pack(conn, ctx, member, &up).await?;
            // Published when the tier held changes: not while a higher paid floor covers it.
            if let Some(now_held) = effective(&tiers, &standing, floor.as_deref())
                .filter(|t| before.as_ref().is_none_or(|b| b.code != t.code))
            {
                let from = before.as_ref().map(|b| b.code.clone()).unwrap_or_default();
                events::publish::tier_changed(
                    conn,
                    ctx.tenant,
                    member,
                    &from,
                    now_held,
                    true,
                    "GROWTH",
                    standing.growth,
                    now_ms,
                )
                .await?;
            }
        } else if let (Some(_), Some(t)) = (standing.downgrade_at_ms, current.as_ref()) {
            // Growth recovered inside the grace period: the tier is secure again.
            let from = sub_months(now_ms, policy.evaluation_period_months);
            let window = repo::tiers::growth::since(conn, ctx.tenant, member.id, from).await?;
            if window >= t.retain_growth {
                standing.downgrade_at_ms = None;
            }
        }
        repo::tiers::growth::save(conn, ctx.tenant, &standing, now_ms).await?;
        if reschedule {
            evaluation::schedule(
                conn,
                self,
                ctx.tenant,
                member.id,
                standing.next_evaluation_at_ms,
            )
            .await?;
        }
        Ok(change)
    }

    /// ListTiers: active tiers by rank; archived ones too for staff who ask.
    pub async fn tiers(&self, ctx: &Ctx, include_archived: bool) -> Result<Vec<Tier>, AppError> {
        let archived = include_archived && ctx.principal.kind == PrincipalKind::Staff;
        let mut tiers = repo::tiers::all(&self.db, ctx.tenant).await?;
        tiers.retain(|t| archived || !t.archived);
        Ok(tiers)
    }
}

/// What a member list shows of a member's tier.
#[derive(Debug, Clone)]
pub struct HeldTier {
    /// The tier held (the paid floor counted).
    pub tier: Tier,
    /// When the tier growth holds was reached.
    pub achieved_at_ms: i64,
    /// End of a running grace period.
    pub downgrade_at_ms: Option<i64>,
    /// Whether the tier is a paid period's floor above what growth holds.
    pub from_paid_membership: bool,
}

/// The tier each of `members` holds (the paid floor counted), with when it was reached and
/// any grace period's end; empty when the tenant has no tiers.
pub async fn held_by(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    members: &[&Member],
) -> Result<HashMap<MemberId, (Tier, i64, Option<i64>)>, AppError> {
    Ok(tiers_held_by(conn, ctx, members)
        .await?
        .into_iter()
        .map(|(m, h)| (m, (h.tier, h.achieved_at_ms, h.downgrade_at_ms)))
        .collect())
}

/// What member reads show of the tier each of `members` holds; empty when the tenant has no
/// tiers.
pub async fn tiers_held_by(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    members: &[&Member],
) -> Result<HashMap<MemberId, HeldTier>, AppError> {
    let tiers = repo::tiers::all(conn, ctx.tenant).await?;
    let mut out = HashMap::new();
    if tiers.is_empty() {
        return Ok(out);
    }
    let ids: Vec<MemberId> = members.iter().map(|m| m.id).collect();
    let rows = repo::tiers::growth::held_by(conn, ctx.tenant, &ids).await?;
    let floors = repo::paid::benefits::tier_floors(conn, ctx.tenant, &ids).await?;
    for m in members {
        let row = rows.iter().find(|r| r.member_id == m.id.0);
        let g = MemberGrowth {
            member_id: m.id,
            growth: m.growth_value,
            tier_code: row.and_then(|r| r.tier_code.clone()),
            achieved_at_ms: row.map_or(m.enrolled_at_ms, |r| r.achieved_at_ms),
            downgrade_at_ms: row.and_then(|r| r.downgrade_at_ms),
            next_evaluation_at_ms: 0,
        };
        let earned = held(&tiers, &g).map(|t| t.code.clone());
        if let Some(t) = effective(&tiers, &g, floors.get(&m.id).map(String::as_str)) {
            let held = HeldTier {
                tier: t.clone(),
                achieved_at_ms: g.achieved_at_ms,
                downgrade_at_ms: g.downgrade_at_ms,
                from_paid_membership: earned.as_ref() != Some(&t.code),
            };
            out.insert(m.id, held);
        }
    }
    Ok(out)
}

/// Refuses a ladder whose thresholds do not rise strictly with rank.
pub fn require_ladder(tiers: &[Tier]) -> Result<(), AppError> {
    match ladder_conflict(tiers) {
        Some(why) => Err(AppError::TierThresholdConflict(why)),
        None => Ok(()),
    }
}
