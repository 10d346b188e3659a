//! The pricing function's types on the wire: membership's coupons and ledger policy and the
//! tenant's `OrderSettings` into pricing input; a [`Quote`] into `siyu.orders.v1.Quote`. Money is
//! CNY fen (`siyu.common.v1.Money`).

use siyu_proto::common::v1 as common;
use siyu_proto::membership::v1 as membership;
use siyu_proto::orders::v1 as orders;

use crate::app::pricing::Fen;
use crate::app::pricing::input::{
    CouponKind, CouponRule, CouponScope, DeliveryRule, DistanceBand, MemberCoupon, PickupRule,
    PointsPolicy, RegionRule, SameCityRule, ShippingSettings, Stacking,
};
use crate::app::pricing::quote::{
    AdjustmentKind, CouponOption, LineAllocation, Notice, PointsQuote, PriceAdjustment,
    PriceAmounts, PriceStep, PricedLine, Quote, ShippingQuote, StepKind,
};

/// CNY fen on the wire.
pub fn cny(fen: Fen) -> Option<common::Money> {
    Some(common::Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

/// Fen of stored or peer money (unset = 0).
fn fen(m: Option<&common::Money>) -> Fen {
    m.map_or(0, |m| m.minor_units)
}

/// A coupon of ListUsableCoupons with membership's verdict.
pub fn member_coupon(u: &membership::UsableCoupon) -> MemberCoupon {
    let c = u.coupon.clone().unwrap_or_default();
    let unusable_reason = (!u.usable).then(|| {
        membership::CouponUnusableReason::try_from(u.reason)
            .ok()
            .filter(|r| *r != membership::CouponUnusableReason::Unspecified)
            .map_or("UNUSABLE", |r| {
                r.as_str_name()
                    .trim_start_matches("COUPON_UNUSABLE_REASON_")
            })
            .to_owned()
    });
    MemberCoupon {
        coupon_id: c.coupon_id,
        name: c.name,
        rule: c.rule.as_ref().map(coupon_rule).unwrap_or_default(),
        valid_until_ms: c.valid_until.as_ref().map(siyu_proto::time::millis),
        unusable_reason,
    }
}

/// Membership's coupon rule as pricing applies it.
pub fn coupon_rule(r: &membership::CouponRule) -> CouponRule {
    let kind = match membership::CouponKind::try_from(r.kind) {
        Ok(membership::CouponKind::AmountOff) => CouponKind::AmountOff,
        Ok(membership::CouponKind::PercentOff) => CouponKind::PercentOff,
        Ok(membership::CouponKind::FreeShipping) => CouponKind::FreeShipping,
        Ok(membership::CouponKind::Exchange) => CouponKind::Exchange,
        _ => CouponKind::Unsupported,
    };
    let stacking = match membership::CouponStacking::try_from(r.stacking) {
        Ok(membership::CouponStacking::AcrossKinds) => Stacking::AcrossKinds,
        Ok(membership::CouponStacking::Any) => Stacking::Any,
        _ => Stacking::Exclusive,
    };
    let scope = r.scope.clone().unwrap_or_default();
    CouponRule {
        kind,
        threshold: fen(r.threshold.as_ref()),
        amount_off: fen(r.amount_off.as_ref()),
        percent_bps: r.percent_bps,
        max_discount: r.max_discount.as_ref().map(|m| m.minor_units),
        gift_sku_id: r.gift_sku_id.clone(),
        gift_quantity: r.gift_quantity,
        stacking,
        scope: CouponScope {
            all_goods: scope.all_goods,
            category_ids: scope.category_ids,
            sku_ids: scope.sku_ids,
            excluded_sku_ids: scope.excluded_sku_ids,
        },
    }
}

/// The points part of membership's ledger policy.
pub fn points_policy(p: &membership::LedgerPolicy) -> PointsPolicy {
    PointsPolicy {
        points_per_yuan: p.points_per_yuan,
        max_deduction_bps: p.max_points_deduction_bps,
        min_points: p.min_points_per_order,
    }
}

/// The shipping and pickup rules of the tenant's `OrderSettings`.
pub fn shipping_settings(s: &orders::OrderSettings) -> ShippingSettings {
    let d = s.delivery.clone().unwrap_or_default();
    let c = s.same_city.clone().unwrap_or_default();
    let p = s.pickup.clone().unwrap_or_default();
    ShippingSettings {
        delivery: DeliveryRule {
            enabled: d.enabled,
            fee: fen(d.fee.as_ref()),
            free_threshold: fen(d.free_threshold.as_ref()),
            regions: d
                .regions
                .iter()
                .map(|r| RegionRule {
                    province: r.province.clone(),
                    fee: fen(r.fee.as_ref()),
                    free_threshold: r.free_threshold.as_ref().map(|m| m.minor_units),
                    not_deliverable: r.not_deliverable,
                })
                .collect(),
        },
        same_city: SameCityRule {
            enabled: c.enabled,
            max_distance_meters: c.max_distance_meters,
            bands: c
                .bands
                .iter()
                .map(|b| DistanceBand {
                    up_to_meters: b.up_to_meters,
                    fee: fen(b.fee.as_ref()),
                })
                .collect(),
            minimum_order: fen(c.minimum_order.as_ref()),
            free_threshold: fen(c.free_threshold.as_ref()),
        },
        pickup: PickupRule {
            enabled: p.enabled,
            pickup_discount: fen(p.pickup_discount.as_ref()),
            pickup_discount_threshold: fen(p.pickup_discount_threshold.as_ref()),
        },
    }
}

/// A quote on the wire, with the member's `tier_code` and when it was computed (ms).
pub fn quote(q: &Quote, tier_code: &str, quoted_at_ms: i64) -> orders::Quote {
    orders::Quote {
        lines: q
            .lines
            .iter()
            .map(|l| orders::QuoteLine {
                cart_line_id: l.cart_line_id.clone(),
                priced: Some(priced_line(l)),
            })
            .collect(),
        steps: q.steps.iter().map(step).collect(),
        amounts: Some(amounts(&q.amounts)),
        applied_coupon_ids: q.applied_coupon_ids.clone(),
        coupon_options: q.coupon_options.iter().map(coupon_option).collect(),
        points: Some(points(&q.points)),
        shipping: Some(shipping(&q.shipping)),
        notices: q.notices.iter().map(notice).collect(),
        tier_code: tier_code.to_owned(),
        quoted_at: Some(siyu_proto::time::timestamp_ms(quoted_at_ms)),
    }
}

/// A quote on the wire without its tier code and time (the handler sets them).
impl From<&Quote> for orders::Quote {
    fn from(q: &Quote) -> Self {
        Self {
            quoted_at: None,
            ..quote(q, "", 0)
        }
    }
}

/// A priced line on the wire.
impl From<&PricedLine> for orders::PricedLine {
    fn from(l: &PricedLine) -> Self {
        priced_line(l)
    }
}

/// A priced line on the wire (quote lines and order lines alike).
pub fn priced_line(l: &PricedLine) -> orders::PricedLine {
    orders::PricedLine {
        sku_id: l.sku_id.clone(),
        product_id: l.product_id.clone(),
        title: l.title.clone(),
        image_url: l.image_url.clone(),
        category_ids: l.category_ids.clone(),
        quantity: l.quantity,
        list_unit_price: cny(l.list_unit_price),
        unit_price: cny(l.unit_price),
        list_subtotal: cny(l.list_subtotal),
        member_discount: cny(l.member_discount),
        subtotal: cny(l.subtotal),
        promotion_discount: cny(l.promotion_discount),
        coupon_discount: cny(l.coupon_discount),
        net_amount: cny(l.net_amount),
        points_deduction: cny(l.points_deduction),
        points_used: l.points_used,
        stored_value_amount: cny(l.stored_value_amount),
        cash_amount: cny(l.cash_amount),
        allocations: l.allocations.iter().map(allocation).collect(),
        plan_id: l.plan_id.clone(),
    }
}

/// The totals on the wire.
pub fn amounts(a: &PriceAmounts) -> orders::PriceAmounts {
    orders::PriceAmounts {
        goods_list_total: cny(a.goods_list_total),
        member_discount: cny(a.member_discount),
        goods_total: cny(a.goods_total),
        promotion_discount: cny(a.promotion_discount),
        coupon_discount: cny(a.coupon_discount),
        goods_net_total: cny(a.goods_net_total),
        points_deduction: cny(a.points_deduction),
        points_used: a.points_used,
        stored_value_amount: cny(a.stored_value_amount),
        shipping_fee: cny(a.shipping_fee),
        shipping_discount: cny(a.shipping_discount),
        payable: cny(a.payable),
    }
}

/// A step on the wire.
pub fn step(s: &PriceStep) -> orders::PriceStep {
    let kind = match s.kind {
        StepKind::List => orders::PriceStepKind::List,
        StepKind::MemberPrice => orders::PriceStepKind::MemberPrice,
        StepKind::Promotion => orders::PriceStepKind::Promotion,
        StepKind::Coupon => orders::PriceStepKind::Coupon,
        StepKind::Points => orders::PriceStepKind::Points,
        StepKind::StoredValue => orders::PriceStepKind::StoredValue,
        StepKind::Shipping => orders::PriceStepKind::Shipping,
        StepKind::Payable => orders::PriceStepKind::Payable,
    };
    orders::PriceStep {
        kind: kind as i32,
        label: s.label.clone(),
        delta: cny(s.delta),
        running_total: cny(s.running_total),
        adjustments: s.adjustments.iter().map(adjustment).collect(),
    }
}

/// The wire number of an adjustment kind.
pub fn adjustment_kind(k: AdjustmentKind) -> orders::AdjustmentKind {
    match k {
        AdjustmentKind::MemberPrice => orders::AdjustmentKind::MemberPrice,
        AdjustmentKind::Promotion => orders::AdjustmentKind::Promotion,
        AdjustmentKind::PickupDiscount => orders::AdjustmentKind::PickupDiscount,
        AdjustmentKind::Coupon => orders::AdjustmentKind::Coupon,
        AdjustmentKind::Points => orders::AdjustmentKind::Points,
        AdjustmentKind::StoredValue => orders::AdjustmentKind::StoredValue,
        AdjustmentKind::ShippingFee => orders::AdjustmentKind::ShippingFee,
        AdjustmentKind::ShippingDiscount => orders::AdjustmentKind::ShippingDiscount,
        AdjustmentKind::FlashSale => orders::AdjustmentKind::FlashSale,
    }
}

/// An adjustment on the wire.
pub fn adjustment(a: &PriceAdjustment) -> orders::PriceAdjustment {
    orders::PriceAdjustment {
        kind: adjustment_kind(a.kind) as i32,
        source_id: a.source_id.clone(),
        label: a.label.clone(),
        amount: cny(a.amount),
        points: a.points,
    }
}

/// A line allocation on the wire.
pub fn allocation(a: &LineAllocation) -> orders::LineAllocation {
    orders::LineAllocation {
        kind: adjustment_kind(a.kind) as i32,
        source_id: a.source_id.clone(),
        amount: cny(a.amount),
        points: a.points,
    }
}

/// A coupon option on the wire.
pub fn coupon_option(o: &CouponOption) -> orders::CouponOption {
    let kind = match o.kind {
        CouponKind::AmountOff => orders::CouponKind::AmountOff,
        CouponKind::PercentOff => orders::CouponKind::PercentOff,
        CouponKind::FreeShipping => orders::CouponKind::FreeShipping,
        CouponKind::Exchange => orders::CouponKind::Exchange,
        CouponKind::Unsupported => orders::CouponKind::Unspecified,
    };
    orders::CouponOption {
        coupon_id: o.coupon_id.clone(),
        name: o.name.clone(),
        kind: kind as i32,
        usable: o.usable,
        unusable_reason: o.unusable_reason.clone(),
        applied: o.applied,
        discount: cny(o.discount),
        expires_at: o.expires_at_ms.map(siyu_proto::time::timestamp_ms),
    }
}

/// The points computation on the wire.
pub fn points(p: &PointsQuote) -> orders::PointsQuote {
    orders::PointsQuote {
        requested: p.requested,
        used: p.used,
        deduction: cny(p.deduction),
        points_per_yuan: p.points_per_yuan,
        max_deduction_bps: p.max_deduction_bps,
        max_deduction: cny(p.max_deduction),
        max_points: p.max_points,
        min_points: p.min_points,
    }
}

/// The shipping computation on the wire.
pub fn shipping(s: &ShippingQuote) -> orders::ShippingQuote {
    orders::ShippingQuote {
        deliverable: s.deliverable,
        undeliverable_reason: s.undeliverable_reason.clone(),
        fee: cny(s.fee),
        discount: cny(s.discount),
        free_threshold: s.free_threshold.and_then(cny),
        amount_to_free_shipping: cny(s.amount_to_free_shipping),
        distance_meters: s.distance_meters,
    }
}

/// A notice on the wire.
pub fn notice(n: &Notice) -> orders::QuoteNotice {
    orders::QuoteNotice {
        code: n.code.clone(),
        message: n.message.clone(),
        sku_id: n.sku_id.clone(),
        coupon_id: n.coupon_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_reasons_lose_their_prefix() {
        let u = membership::UsableCoupon {
            coupon: Some(membership::Coupon {
                coupon_id: "c1".into(),
                rule: Some(membership::CouponRule {
                    kind: membership::CouponKind::PercentOff as i32,
                    percent_bps: 8000,
                    stacking: membership::CouponStacking::AcrossKinds as i32,
                    max_discount: cny(2000),
                    ..membership::CouponRule::default()
                }),
                ..membership::Coupon::default()
            }),
            usable: false,
            reason: membership::CouponUnusableReason::Locked as i32,
            ..membership::UsableCoupon::default()
        };
        let c = member_coupon(&u);
        assert_eq!(c.unusable_reason.as_deref(), Some("LOCKED"));
        assert_eq!(c.rule.kind, CouponKind::PercentOff);
        assert_eq!(c.rule.stacking, Stacking::AcrossKinds);
        assert_eq!(c.rule.max_discount, Some(2000));
    }
}
