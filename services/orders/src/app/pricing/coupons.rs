//! Coupons as pricing applies them. The rules are membership's (`domain/coupon_rule.rs` there:
//! scope with exclusions winning, threshold on the eligible amount after member price and
//! promotions, the exchange threshold met by the other lines, the percent discount as the
//! amount minus what is paid, stacking), so that a quote agrees with ListUsableCoupons and
//! LockCoupons; store, channel, validity and locks are membership's verdict alone.

use super::Fen;
use super::input::{CouponKind, CouponRule, Stacking};

/// Why a coupon is not applied; [`Unusable::name`] is what `CouponOption.unusable_reason` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// The eligible amount is below the threshold.
    ThresholdNotMet,
    /// No line in scope (exchange: no line of the gift SKU).
    NoEligibleLines,
    /// Free shipping, but the order has no shipping fee.
    NoShipping,
    /// A kind this version does not apply.
    KindNotSupported,
    /// Conflicts with the coupons applied.
    NotStackable,
    /// Membership's own reason (LOCKED, NOT_YET_VALID, STORE_NOT_ELIGIBLE…).
    Membership(String),
}

impl Unusable {
    /// The stable reason name.
    pub fn name(&self) -> &str {
        match self {
            Self::ThresholdNotMet => "THRESHOLD_NOT_MET",
            Self::NoEligibleLines => "NO_ELIGIBLE_LINES",
            Self::NoShipping => "NO_SHIPPING",
            Self::KindNotSupported => "KIND_NOT_SUPPORTED",
            Self::NotStackable => "NOT_STACKABLE",
            Self::Membership(reason) => reason,
        }
    }
}

/// A line as a coupon sees it.
#[derive(Debug, Clone, Copy)]
pub struct CouponLine<'a> {
    /// The SKU.
    pub sku_id: &'a str,
    /// Its categories with ancestors.
    pub category_ids: &'a [String],
    /// Quantity.
    pub quantity: i32,
    /// The amount after member price and promotions (what thresholds are measured on).
    pub before: Fen,
    /// The amount left after the coupons applied before this one.
    pub current: Fen,
}

/// Whether a line is in the goods scope of `rule` (exclusions win; no list = all goods).
pub fn in_scope(rule: &CouponRule, sku_id: &str, category_ids: &[String]) -> bool {
    let s = &rule.scope;
    if s.excluded_sku_ids.iter().any(|x| x == sku_id) {
        return false;
    }
    if s.all_goods || (s.category_ids.is_empty() && s.sku_ids.is_empty()) {
        return true;
    }
    s.sku_ids.iter().any(|x| x == sku_id) || category_ids.iter().any(|c| s.category_ids.contains(c))
}

/// Whether `rule` can apply to `lines` at all, with `shipping_fee` the order's fee before
/// discounts (0 = no shipping).
pub fn check(
    rule: &CouponRule,
    lines: &[CouponLine<'_>],
    shipping_fee: Fen,
) -> Result<(), Unusable> {
    let eligible = || {
        lines
            .iter()
            .filter(|l| in_scope(rule, l.sku_id, l.category_ids))
    };
    let meets = |amount: Fen| {
        if amount < rule.threshold {
            Err(Unusable::ThresholdNotMet)
        } else {
            Ok(())
        }
    };
    match rule.kind {
        CouponKind::Unsupported => Err(Unusable::KindNotSupported),
        CouponKind::AmountOff | CouponKind::PercentOff => {
            if eligible().next().is_none() {
                return Err(Unusable::NoEligibleLines);
            }
            meets(eligible().map(|l| l.before).sum())
        }
        CouponKind::Exchange => {
            if !lines.iter().any(|l| l.sku_id == rule.gift_sku_id) {
                return Err(Unusable::NoEligibleLines);
            }
            // The threshold is met by the other lines in scope.
            meets(
                eligible()
                    .filter(|l| l.sku_id != rule.gift_sku_id)
                    .map(|l| l.before)
                    .sum(),
            )
        }
        CouponKind::FreeShipping => {
            meets(eligible().map(|l| l.before).sum())?;
            if shipping_fee <= 0 {
                return Err(Unusable::NoShipping);
            }
            Ok(())
        }
    }
}

/// The discount of goods coupon `rule` on the lines' current amounts, with the weights to split
/// it by (0 for lines it does not touch). Never more than the weights' sum. A free-shipping or
/// unsupported rule gives nothing here.
pub fn goods_discount(rule: &CouponRule, lines: &[CouponLine<'_>]) -> (Fen, Vec<Fen>) {
    let mut weights: Vec<Fen> = lines
        .iter()
        .map(|l| {
            if in_scope(rule, l.sku_id, l.category_ids) {
                l.current.max(0)
            } else {
                0
            }
        })
        .collect();
    let eligible: Fen = weights.iter().sum();
    let discount = match rule.kind {
        CouponKind::AmountOff => rule.amount_off.clamp(0, eligible),
        CouponKind::PercentOff => {
            let pay_bps = i128::from(rule.percent_bps.clamp(0, 10_000));
            let paid = i128::from(eligible) * pay_bps / 10_000;
            let off = eligible - Fen::try_from(paid).unwrap_or(eligible);
            rule.max_discount.map_or(off, |cap| off.min(cap.max(0)))
        }
        CouponKind::Exchange => {
            // On the gift SKU's line only: its amount for min(quantity, gift_quantity) units.
            weights = lines
                .iter()
                .map(|l| {
                    if l.sku_id == rule.gift_sku_id {
                        l.current.max(0)
                    } else {
                        0
                    }
                })
                .collect();
            lines
                .iter()
                .find(|l| l.sku_id == rule.gift_sku_id)
                .map_or(0, |gift| {
                    let units = i128::from(gift.quantity.min(rule.gift_quantity).max(0));
                    let quantity = i128::from(gift.quantity.max(1));
                    let off = i128::from(gift.current.max(0)) * units / quantity;
                    Fen::try_from(off).unwrap_or(0)
                })
        }
        CouponKind::FreeShipping | CouponKind::Unsupported => 0,
    };
    (discount, weights)
}

/// What `rule` would give alone: its goods discount, or for free shipping the fee up to the cap.
pub fn estimate(rule: &CouponRule, lines: &[CouponLine<'_>], shipping_fee: Fen) -> Fen {
    match rule.kind {
        CouponKind::FreeShipping => free_shipping(rule, shipping_fee),
        _ => goods_discount(rule, lines).0,
    }
}

/// The part of `fee` a free-shipping coupon pays.
pub fn free_shipping(rule: &CouponRule, fee: Fen) -> Fen {
    let fee = fee.max(0);
    rule.max_discount.map_or(fee, |cap| fee.min(cap.max(0)))
}

/// Whether coupons with `rules` conflict: an EXCLUSIVE coupon only alone, ACROSS_KINDS at most
/// one per kind, ANY with any stackable coupon.
pub fn conflict(rules: &[&CouponRule]) -> bool {
    if rules.len() < 2 {
        return false;
    }
    rules.iter().enumerate().any(|(i, r)| match r.stacking {
        Stacking::Exclusive => true,
        Stacking::AcrossKinds => rules
            .iter()
            .enumerate()
            .any(|(j, o)| j != i && o.kind == r.kind),
        Stacking::Any => false,
    })
}

/// Order in which applied coupons act: exchange first (its discount is the gift line's price
/// after promotions), then amount off, percent off, and free shipping in the SHIPPING step.
pub fn rank(kind: CouponKind) -> u8 {
    match kind {
        CouponKind::Exchange => 0,
        CouponKind::AmountOff => 1,
        CouponKind::PercentOff => 2,
        CouponKind::FreeShipping => 3,
        CouponKind::Unsupported => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::pricing::input::CouponScope;

    fn rule(kind: CouponKind, stacking: Stacking) -> CouponRule {
        CouponRule {
            kind,
            stacking,
            scope: CouponScope {
                all_goods: true,
                ..CouponScope::default()
            },
            ..CouponRule::default()
        }
    }

    #[test]
    fn stacking_follows_membership() {
        let ex = rule(CouponKind::AmountOff, Stacking::Exclusive);
        let across_a = rule(CouponKind::AmountOff, Stacking::AcrossKinds);
        let across_s = rule(CouponKind::FreeShipping, Stacking::AcrossKinds);
        let any_a = rule(CouponKind::AmountOff, Stacking::Any);
        assert!(!conflict(&[&ex]));
        assert!(conflict(&[&ex, &across_s]));
        assert!(!conflict(&[&across_a, &across_s]));
        assert!(conflict(&[&across_a, &any_a]));
        assert!(!conflict(&[&any_a, &any_a.clone()]));
    }

    #[test]
    fn exclusions_win_over_categories() {
        let mut r = rule(CouponKind::AmountOff, Stacking::Any);
        r.scope.all_goods = false;
        r.scope.category_ids = vec!["tea".into()];
        r.scope.excluded_sku_ids = vec!["s2".into()];
        let tea = vec!["tea".to_owned()];
        assert!(in_scope(&r, "s1", &tea));
        assert!(!in_scope(&r, "s2", &tea));
        assert!(!in_scope(&r, "s3", &[]));
    }
}
