//! TierService on the wire: the tier and standing shapes, parsing of tiers and policies, and
//! the handlers of the ladder (`tiers/ladder.rs`) and of members' growth (`tiers/growth.rs`).

use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;

use super::convert::{opt_id, text};
use crate::AppError;
use crate::app::domain::{Tier, TierBenefits, TierPolicy};
use crate::app::tiers::Standing;

pub(super) mod growth;
pub(super) mod ladder;

/// A tier code: upper snake case, 1..32 characters, starting with a letter.
fn code(field: &str, value: &str) -> Result<String, AppError> {
    let ok = (1..=32).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_uppercase())
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(AppError::invalid(
            field,
            "must be 1..32 characters of A-Z, 0-9 and _, starting with a letter",
        ));
    }
    Ok(value.to_owned())
}

fn benefits(b: Option<&pb::TierBenefits>) -> Result<TierBenefits, AppError> {
    let Some(b) = b else {
        return Ok(TierBenefits::default());
    };
    let f = |name: &str| format!("tier.benefits.{name}");
    if !(1..=10_000).contains(&b.discount_bps) {
        return Err(AppError::invalid(
            f("discount_bps"),
            "must be within 1..=10000",
        ));
    }
    if !(10_000..=100_000).contains(&b.points_multiplier_bps) {
        return Err(AppError::invalid(
            f("points_multiplier_bps"),
            "must be within 10000..=100000",
        ));
    }
    opt_id(&f("birthday_coupon_pack_id"), &b.birthday_coupon_pack_id)?;
    opt_id(&f("tier_up_coupon_pack_id"), &b.tier_up_coupon_pack_id)?;
    if b.display_benefits.len() > 20 {
        return Err(AppError::invalid(f("display_benefits"), "at most 20 lines"));
    }
    for (i, line) in b.display_benefits.iter().enumerate() {
        text(&f(&format!("display_benefits[{i}]")), line, 50)?;
    }
    Ok(TierBenefits {
        discount_bps: b.discount_bps,
        points_multiplier_bps: b.points_multiplier_bps,
        free_shipping: b.free_shipping,
        birthday_coupon_pack_id: b.birthday_coupon_pack_id.clone(),
        tier_up_coupon_pack_id: b.tier_up_coupon_pack_id.clone(),
        display_benefits: b.display_benefits.clone(),
    })
}

impl TryFrom<&pb::Tier> for Tier {
    type Error = AppError;

    fn try_from(t: &pb::Tier) -> Result<Self, AppError> {
        if t.name.trim().is_empty() {
            return Err(AppError::invalid("tier.name", "required"));
        }
        if !(1..=100).contains(&t.rank) {
            return Err(AppError::invalid("tier.rank", "must be within 1..=100"));
        }
        const MAX: i64 = 1_000_000_000_000;
        if !(0..=MAX).contains(&t.growth_threshold) {
            return Err(AppError::invalid(
                "tier.growth_threshold",
                "must be within 0..=10^12",
            ));
        }
        if !(0..=MAX).contains(&t.retain_growth) {
            return Err(AppError::invalid(
                "tier.retain_growth",
                "must be within 0..=10^12",
            ));
        }
        Ok(Self {
            code: code("tier.tier_code", &t.tier_code)?,
            name: text("tier.name", &t.name, 32)?,
            rank: t.rank,
            growth_threshold: t.growth_threshold,
            retain_growth: t.retain_growth,
            benefits: benefits(t.benefits.as_ref())?,
            card_image_url: text("tier.card_image_url", &t.card_image_url, 512)?,
            archived: false,
        })
    }
}

impl From<&Tier> for pb::Tier {
    fn from(t: &Tier) -> Self {
        let b = &t.benefits;
        Self {
            tier_code: t.code.clone(),
            name: t.name.clone(),
            rank: t.rank,
            growth_threshold: t.growth_threshold,
            retain_growth: t.retain_growth,
            benefits: Some(pb::TierBenefits {
                discount_bps: b.discount_bps,
                points_multiplier_bps: b.points_multiplier_bps,
                free_shipping: b.free_shipping,
                birthday_coupon_pack_id: b.birthday_coupon_pack_id.clone(),
                tier_up_coupon_pack_id: b.tier_up_coupon_pack_id.clone(),
                display_benefits: b.display_benefits.clone(),
            }),
            card_image_url: t.card_image_url.clone(),
            archived: t.archived,
        }
    }
}

impl From<&TierPolicy> for pb::TierPolicy {
    #[allow(deprecated, reason = "the deprecated field is answered as its default")]
    fn from(p: &TierPolicy) -> Self {
        Self {
            growth_per_yuan: p.growth_per_yuan,
            stored_value_counts: false,
            evaluation_period_months: p.evaluation_period_months,
            grace_period_days: p.grace_period_days,
        }
    }
}

/// Fills `Member.tier` of wire members from the domain members they were made of.
pub(super) async fn fill_member_tiers(
    conn: &impl sea_orm::ConnectionTrait,
    ctx: &siyu_core::Ctx,
    members: &[&crate::app::domain::Member],
    wire: &mut [pb::Member],
) -> Result<(), AppError> {
    let held = crate::app::tiers::tiers_held_by(conn, ctx, members).await?;
    for (m, w) in members.iter().zip(wire.iter_mut()) {
        w.tier = held.get(&m.id).map(|h| pb::MemberTier {
            tier_code: h.tier.code.clone(),
            name: h.tier.name.clone(),
            rank: h.tier.rank,
            discount_bps: h.tier.benefits.discount_bps,
            points_multiplier_bps: h.tier.benefits.points_multiplier_bps,
            free_shipping: h.tier.benefits.free_shipping,
            achieved_at: Some(timestamp_ms(h.achieved_at_ms)),
            downgrade_at: h.downgrade_at_ms.map(timestamp_ms),
            from_paid_membership: h.from_paid_membership,
        });
    }
    Ok(())
}

/// The tier a member holds as `MemberTier` (`None` when the tenant has no tiers).
pub fn member_tier(s: &Standing) -> Option<pb::MemberTier> {
    s.tier.as_ref().map(|t| pb::MemberTier {
        tier_code: t.code.clone(),
        name: t.name.clone(),
        rank: t.rank,
        discount_bps: t.benefits.discount_bps,
        points_multiplier_bps: t.benefits.points_multiplier_bps,
        free_shipping: t.benefits.free_shipping,
        achieved_at: Some(timestamp_ms(s.growth.achieved_at_ms)),
        downgrade_at: s.growth.downgrade_at_ms.map(timestamp_ms),
        from_paid_membership: s.from_paid_membership,
    })
}
