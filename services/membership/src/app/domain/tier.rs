//! Tiers (等级) and growth (成长值): the ladder a tenant configures, its policy, a member's
//! standing on it, and the pure rules of the ladder (which tier a growth value reaches, which
//! ladders are valid).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::MemberId;

/// A tier's benefits (权益), kept as JSON with the tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TierBenefits {
    /// Member discount, bps of the price to pay (10000 = none).
    pub discount_bps: i32,
    /// Points multiplier, bps (10000 = 1×).
    pub points_multiplier_bps: i32,
    /// Free standard shipping.
    pub free_shipping: bool,
    /// Birthday coupon pack id, empty = none.
    pub birthday_coupon_pack_id: String,
    /// Tier-up coupon pack id, empty = none.
    pub tier_up_coupon_pack_id: String,
    /// Display-only benefit lines.
    pub display_benefits: Vec<String>,
}

impl Default for TierBenefits {
    /// No discount, 1× points.
    fn default() -> Self {
        Self {
            discount_bps: 10_000,
            points_multiplier_bps: 10_000,
            free_shipping: false,
            birthday_coupon_pack_id: String::new(),
            tier_up_coupon_pack_id: String::new(),
            display_benefits: Vec::new(),
        }
    }
}

/// A tier definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tier {
    /// Stable code, unique per tenant.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Rank: 1 is the entry tier.
    pub rank: i32,
    /// Growth at which a member reaches it.
    pub growth_threshold: i64,
    /// Growth needed per evaluation window to keep it (0 = never downgrade).
    pub retain_growth: i64,
    /// Benefits.
    pub benefits: TierBenefits,
    /// Card face image.
    pub card_image_url: String,
    /// Archived tiers are neither listed nor assignable.
    pub archived: bool,
}

/// The tenant's tier policy (`TierPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierPolicy {
    /// Growth per whole CNY of earning base.
    pub growth_per_yuan: i32,
    /// Trailing window checked at re-evaluation, months.
    pub evaluation_period_months: i32,
    /// Days between a failed re-evaluation and the downgrade.
    pub grace_period_days: i32,
}

impl Default for TierPolicy {
    /// 1 growth per yuan, yearly re-evaluation, 30 days of grace.
    fn default() -> Self {
        Self {
            growth_per_yuan: 1,
            evaluation_period_months: 12,
            grace_period_days: 30,
        }
    }
}

/// A member's growth and tier as stored (defaults until the first growth change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberGrowth {
    /// The member.
    pub member_id: MemberId,
    /// Growth value, ≥ 0.
    pub growth: i64,
    /// The tier held; `None` = the entry tier.
    pub tier_code: Option<String>,
    /// When the tier was reached (enrolment for the entry tier).
    pub achieved_at_ms: i64,
    /// End of a running downgrade grace period.
    pub downgrade_at_ms: Option<i64>,
    /// Next re-evaluation.
    pub next_evaluation_at_ms: i64,
}

/// One growth change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrowthChange {
    /// Change id.
    pub id: Uuid,
    /// The member.
    pub member_id: MemberId,
    /// Signed change.
    pub delta: i64,
    /// Growth after.
    pub balance_after: i64,
    /// "ORDER_PAID", "ORDER_REFUNDED", "STAFF_ADJUSTMENT", "EARNING_RULE".
    pub source: String,
    /// Order, refund or rule behind it.
    pub reference_id: String,
    /// Staff reason.
    pub reason: String,
    /// Who made it.
    pub operator_id: String,
    /// When.
    pub created_at_ms: i64,
}

/// Why a ladder is refused (TIER_THRESHOLD_CONFLICT), in words for the caller.
pub fn ladder_conflict(tiers: &[Tier]) -> Option<String> {
    let mut active: Vec<&Tier> = tiers.iter().filter(|t| !t.archived).collect();
    active.sort_by_key(|t| t.rank);
    for t in &active {
        if t.rank == 1 && t.growth_threshold != 0 {
            return Some("the rank 1 tier must have threshold 0".into());
        }
    }
    for pair in active.windows(2) {
        let (low, high) = (pair[0], pair[1]);
        if low.rank == high.rank {
            return Some(format!("rank {} is taken by {}", high.rank, low.code));
        }
        if high.growth_threshold <= low.growth_threshold {
            return Some(format!(
                "threshold of {} must exceed {}'s {}",
                high.code, low.code, low.growth_threshold
            ));
        }
    }
    None
}

/// The best active tier `growth` reaches (`tiers` in any order).
pub fn tier_reached(tiers: &[Tier], growth: i64) -> Option<&Tier> {
    tiers
        .iter()
        .filter(|t| !t.archived && t.growth_threshold <= growth)
        .max_by_key(|t| t.rank)
}

/// The entry tier: the lowest active rank.
pub fn entry_tier(tiers: &[Tier]) -> Option<&Tier> {
    tiers.iter().filter(|t| !t.archived).min_by_key(|t| t.rank)
}

/// The next active tier above `rank`.
pub fn tier_above(tiers: &[Tier], rank: i32) -> Option<&Tier> {
    tiers
        .iter()
        .filter(|t| !t.archived && t.rank > rank)
        .min_by_key(|t| t.rank)
}

/// The next active tier below `rank`.
pub fn tier_below(tiers: &[Tier], rank: i32) -> Option<&Tier> {
    tiers
        .iter()
        .filter(|t| !t.archived && t.rank < rank)
        .max_by_key(|t| t.rank)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(code: &str, rank: i32, threshold: i64) -> Tier {
        Tier {
            code: code.into(),
            name: code.into(),
            rank,
            growth_threshold: threshold,
            retain_growth: 0,
            benefits: TierBenefits::default(),
            card_image_url: String::new(),
            archived: false,
        }
    }

    #[test]
    fn a_ladder_rises_strictly_from_zero() {
        let ok = [tier("A", 1, 0), tier("B", 2, 100), tier("C", 3, 500)];
        assert_eq!(ladder_conflict(&ok), None);
        assert!(ladder_conflict(&[tier("A", 1, 5)]).is_some());
        assert!(ladder_conflict(&[tier("A", 1, 0), tier("B", 2, 0)]).is_some());
        assert!(ladder_conflict(&[tier("A", 2, 10), tier("B", 2, 20)]).is_some());
        let mut archived = tier("X", 2, 0);
        archived.archived = true;
        assert_eq!(ladder_conflict(&[tier("A", 1, 0), archived]), None);
    }

    #[test]
    fn growth_reaches_the_best_tier_at_or_below_it() {
        let ladder = [tier("C", 3, 500), tier("A", 1, 0), tier("B", 2, 100)];
        assert_eq!(tier_reached(&ladder, 0).map(|t| t.rank), Some(1));
        assert_eq!(tier_reached(&ladder, 499).map(|t| t.rank), Some(2));
        assert_eq!(tier_reached(&ladder, 500).map(|t| t.rank), Some(3));
        assert_eq!(tier_above(&ladder, 3), None);
        assert_eq!(tier_below(&ladder, 3).map(|t| t.rank), Some(2));
        assert_eq!(entry_tier(&ladder).map(|t| t.rank), Some(1));
    }
}
