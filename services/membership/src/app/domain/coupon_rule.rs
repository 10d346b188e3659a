//! What a coupon is worth to an order, pure: eligibility of lines, threshold, store and channel,
//! the estimated discount per kind, stacking among the coupons of one order, and the validity
//! window of a coupon issued now. Orders' quote decides the final allocation; this is what
//! ListUsableCoupons, LockCoupons and in-store redemption check.

use uuid::Uuid;

use super::{CouponKind, CouponRule, Stacking, Validity};

/// One day in ms.
const DAY_MS: i64 = 86_400_000;
/// Asia/Shanghai is UTC+8 all year.
const SHANGHAI_MS: i64 = 8 * 3_600_000;

/// An order a coupon is evaluated against (`OrderContext`), amounts in fen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderContext {
    /// The order's store.
    pub store_id: Option<Uuid>,
    /// `siyu.common.v1.Channel` number (0 = unknown).
    pub channel: i32,
    /// The lines.
    pub lines: Vec<ContextLine>,
    /// Shipping fee before coupons; `None` = no shipping.
    pub shipping_fee: Option<i64>,
    /// A POS sale rather than online checkout.
    pub in_store: bool,
}

/// One line of an [`OrderContext`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextLine {
    /// The SKU.
    pub sku_id: String,
    /// The SKU's categories with ancestors.
    pub category_ids: Vec<String>,
    /// Quantity, ≥ 1.
    pub quantity: i32,
    /// Subtotal after member price and promotions, fen.
    pub subtotal: i64,
}

/// Why a coupon cannot be used for an order (`CouponUnusableReason` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// Below the threshold by this many fen.
    ThresholdNotMet(i64),
    /// No line in scope (EXCHANGE: no line of the gift SKU).
    NoEligibleLines,
    /// Not at this store.
    StoreNotEligible,
    /// Not in this channel, or online/in-store mismatch.
    ChannelNotEligible,
    /// Validity not started.
    NotYetValid,
    /// Locked by another order.
    Locked,
    /// Free shipping without shipping.
    NoShipping,
}

impl Unusable {
    /// The proto number.
    pub fn number(self) -> i32 {
        match self {
            Self::ThresholdNotMet(_) => 1,
            Self::NoEligibleLines => 2,
            Self::StoreNotEligible => 3,
            Self::ChannelNotEligible => 4,
            Self::NotYetValid => 5,
            Self::Locked => 6,
            Self::NoShipping => 7,
        }
    }

    /// The proto name (error metadata).
    pub fn name(self) -> &'static str {
        match self {
            Self::ThresholdNotMet(_) => "THRESHOLD_NOT_MET",
            Self::NoEligibleLines => "NO_ELIGIBLE_LINES",
            Self::StoreNotEligible => "STORE_NOT_ELIGIBLE",
            Self::ChannelNotEligible => "CHANNEL_NOT_ELIGIBLE",
            Self::NotYetValid => "NOT_YET_VALID",
            Self::Locked => "LOCKED",
            Self::NoShipping => "NO_SHIPPING",
        }
    }

    /// Text for the member.
    pub fn text(self) -> String {
        match self {
            Self::ThresholdNotMet(short) => {
                format!("再买¥{}.{:02}可用", short / 100, short % 100)
            }
            Self::NoEligibleLines => "订单中没有适用商品".into(),
            Self::StoreNotEligible => "本门店不可用".into(),
            Self::ChannelNotEligible => "当前渠道不可用".into(),
            Self::NotYetValid => "尚未生效".into(),
            Self::Locked => "已被其他订单占用".into(),
            Self::NoShipping => "订单无运费".into(),
        }
    }
}

/// Whether `line` is in the goods scope of `rule` (exclusions win).
fn in_scope(rule: &CouponRule, line: &ContextLine) -> bool {
    let s = &rule.scope;
    if s.excluded_sku_ids.contains(&line.sku_id) {
        return false;
    }
    if s.all_goods || (s.category_ids.is_empty() && s.sku_ids.is_empty()) {
        return true;
    }
    s.sku_ids.contains(&line.sku_id) || line.category_ids.iter().any(|c| s.category_ids.contains(c))
}

/// The discount `rule` gives `order`, or why it cannot be used.
pub fn evaluate(rule: &CouponRule, order: &OrderContext) -> Result<i64, Unusable> {
    let scope = &rule.scope;
    if (order.in_store && !scope.in_store) || (!order.in_store && !scope.online) {
        return Err(Unusable::ChannelNotEligible);
    }
    if !scope.channels.is_empty() && !scope.channels.contains(&order.channel) {
        return Err(Unusable::ChannelNotEligible);
    }
    if !scope.store_ids.is_empty() && !order.store_id.is_some_and(|s| scope.store_ids.contains(&s))
    {
        return Err(Unusable::StoreNotEligible);
    }
    let eligible: Vec<&ContextLine> = order.lines.iter().filter(|l| in_scope(rule, l)).collect();
    match rule.kind {
        CouponKind::Exchange => {
            let Some(gift) = order.lines.iter().find(|l| l.sku_id == rule.gift_sku_id) else {
                return Err(Unusable::NoEligibleLines);
            };
            // The threshold is met by the other lines in scope.
            let others: i64 = eligible
                .iter()
                .filter(|l| l.sku_id != rule.gift_sku_id)
                .map(|l| l.subtotal)
                .sum();
            meets(rule.threshold, others)?;
            let units = i64::from(gift.quantity.min(rule.gift_quantity).max(0));
            let quantity = i64::from(gift.quantity.max(1));
            Ok(gift.subtotal * units / quantity)
        }
        CouponKind::FreeShipping => {
            let subtotal: i64 = eligible.iter().map(|l| l.subtotal).sum();
            meets(rule.threshold, subtotal)?;
            let fee = order
                .shipping_fee
                .filter(|f| *f > 0)
                .ok_or(Unusable::NoShipping)?;
            Ok(rule.max_discount.map_or(fee, |cap| fee.min(cap)))
        }
        CouponKind::AmountOff | CouponKind::PercentOff => {
            if eligible.is_empty() {
                return Err(Unusable::NoEligibleLines);
            }
            let subtotal: i64 = eligible.iter().map(|l| l.subtotal).sum();
            meets(rule.threshold, subtotal)?;
            Ok(if rule.kind == CouponKind::AmountOff {
                rule.amount_off.min(subtotal)
            } else {
                let off = subtotal - subtotal * i64::from(rule.percent_bps) / 10_000;
                rule.max_discount.map_or(off, |cap| off.min(cap))
            })
        }
    }
}

fn meets(threshold: i64, subtotal: i64) -> Result<(), Unusable> {
    if subtotal < threshold {
        Err(Unusable::ThresholdNotMet(threshold - subtotal))
    } else {
        Ok(())
    }
}

/// Whether the coupons of one order may be used together: an EXCLUSIVE coupon only alone,
/// ACROSS_KINDS at most one per kind, ANY with any stackable coupon. Answers the index of the
/// first coupon that conflicts.
pub fn stacking_conflict(rules: &[&CouponRule]) -> Option<usize> {
    if rules.len() < 2 {
        return None;
    }
    for (i, r) in rules.iter().enumerate() {
        match r.stacking {
            Stacking::Exclusive => return Some(i),
            Stacking::AcrossKinds => {
                if rules
                    .iter()
                    .enumerate()
                    .any(|(j, o)| j != i && o.kind == r.kind)
                {
                    return Some(i);
                }
            }
            Stacking::Any => {}
        }
    }
    None
}

/// The window `[from, until)` of a coupon issued at `now_ms` under `validity`. RELATIVE starts
/// at once (or at local midnight `starts_after_days` later) and ends after 23:59:59 Asia/Shanghai
/// of its last day.
pub fn window(validity: Validity, now_ms: i64) -> (i64, i64) {
    match validity {
        Validity::Absolute { from_ms, until_ms } => (from_ms, until_ms),
        Validity::Relative {
            valid_days,
            starts_after_days,
        } => {
            let today = (now_ms + SHANGHAI_MS).div_euclid(DAY_MS) * DAY_MS - SHANGHAI_MS;
            let start_day = today + i64::from(starts_after_days) * DAY_MS;
            let from = if starts_after_days == 0 {
                now_ms
            } else {
                start_day
            };
            (from, start_day + i64::from(valid_days) * DAY_MS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::domain::CouponScope;

    fn rule(kind: CouponKind) -> CouponRule {
        CouponRule {
            kind,
            threshold: 0,
            amount_off: 0,
            percent_bps: 0,
            max_discount: None,
            gift_sku_id: String::new(),
            gift_quantity: 0,
            stacking: Stacking::Exclusive,
            scope: CouponScope {
                all_goods: true,
                online: true,
                in_store: true,
                ..CouponScope::default()
            },
        }
    }

    fn order(lines: &[(&str, i32, i64)]) -> OrderContext {
        OrderContext {
            lines: lines
                .iter()
                .map(|(sku, q, s)| ContextLine {
                    sku_id: (*sku).into(),
                    category_ids: vec!["c1".into()],
                    quantity: *q,
                    subtotal: *s,
                })
                .collect(),
            shipping_fee: Some(800),
            ..OrderContext::default()
        }
    }

    #[test]
    fn amount_off_needs_the_threshold_and_never_exceeds_the_subtotal() {
        let mut r = rule(CouponKind::AmountOff);
        r.threshold = 19_900;
        r.amount_off = 3_000;
        assert_eq!(
            evaluate(&r, &order(&[("a", 1, 17_900)])),
            Err(Unusable::ThresholdNotMet(2_000))
        );
        assert_eq!(evaluate(&r, &order(&[("a", 2, 19_900)])), Ok(3_000));
        r.threshold = 0;
        assert_eq!(evaluate(&r, &order(&[("a", 1, 1_000)])), Ok(1_000));
    }

    #[test]
    fn percent_off_is_capped() {
        let mut r = rule(CouponKind::PercentOff);
        r.percent_bps = 8_500;
        assert_eq!(evaluate(&r, &order(&[("a", 1, 10_000)])), Ok(1_500));
        r.max_discount = Some(1_000);
        assert_eq!(evaluate(&r, &order(&[("a", 1, 10_000)])), Ok(1_000));
    }

    #[test]
    fn exclusions_win_over_categories() {
        let mut r = rule(CouponKind::AmountOff);
        r.amount_off = 500;
        r.scope.all_goods = false;
        r.scope.category_ids = vec!["c1".into()];
        r.scope.excluded_sku_ids = vec!["a".into()];
        assert_eq!(
            evaluate(&r, &order(&[("a", 1, 1_000)])),
            Err(Unusable::NoEligibleLines)
        );
        assert_eq!(evaluate(&r, &order(&[("b", 1, 1_000)])), Ok(500));
    }

    #[test]
    fn exchange_frees_gift_units_of_a_gift_line_only() {
        let mut r = rule(CouponKind::Exchange);
        r.gift_sku_id = "g".into();
        r.gift_quantity = 1;
        assert_eq!(
            evaluate(&r, &order(&[("a", 1, 1_000)])),
            Err(Unusable::NoEligibleLines)
        );
        assert_eq!(evaluate(&r, &order(&[("g", 3, 900)])), Ok(300));
        r.threshold = 2_000;
        assert_eq!(
            evaluate(&r, &order(&[("g", 1, 300), ("a", 1, 1_000)])),
            Err(Unusable::ThresholdNotMet(1_000))
        );
    }

    #[test]
    fn free_shipping_needs_shipping_and_the_right_channel() {
        let mut r = rule(CouponKind::FreeShipping);
        r.max_discount = Some(600);
        assert_eq!(evaluate(&r, &order(&[("a", 1, 100)])), Ok(600));
        let mut pickup = order(&[("a", 1, 100)]);
        pickup.shipping_fee = None;
        assert_eq!(evaluate(&r, &pickup), Err(Unusable::NoShipping));
        r.scope.online = false;
        assert_eq!(
            evaluate(&r, &order(&[("a", 1, 100)])),
            Err(Unusable::ChannelNotEligible)
        );
    }

    #[test]
    fn stacking_rules() {
        let mut a = rule(CouponKind::AmountOff);
        let mut b = rule(CouponKind::FreeShipping);
        assert_eq!(stacking_conflict(&[&a]), None);
        assert_eq!(stacking_conflict(&[&a, &b]), Some(0));
        a.stacking = Stacking::AcrossKinds;
        b.stacking = Stacking::AcrossKinds;
        assert_eq!(stacking_conflict(&[&a, &b]), None);
        let c = a.clone();
        assert_eq!(stacking_conflict(&[&a, &c]), Some(0));
        a.stacking = Stacking::Any;
        let mut d = a.clone();
        d.stacking = Stacking::Any;
        assert_eq!(stacking_conflict(&[&a, &d]), None);
    }

    #[test]
    fn relative_validity_ends_at_local_midnight() {
        // 2025-06-15 12:00 +08:00.
        let now = 1_749_960_000_000;
        let (from, until) = window(
            Validity::Relative {
                valid_days: 1,
                starts_after_days: 0,
            },
            now,
        );
        assert_eq!(from, now);
        // 2025-06-16 00:00 +08:00.
        assert_eq!(until, 1_750_003_200_000);
        let (from, until) = window(
            Validity::Relative {
                valid_days: 7,
                starts_after_days: 1,
            },
            now,
        );
        assert_eq!(from, 1_750_003_200_000);
        assert_eq!(until, 1_750_003_200_000 + 7 * DAY_MS);
    }
}
