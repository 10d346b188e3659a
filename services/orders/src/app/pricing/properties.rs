//! Properties of the pricing function over random goods, coupons, points, stored value and
//! fulfilments: every money identity, allocations summing to their adjustments, nothing negative.

use proptest::prelude::*;

use super::input::*;
use super::quote::{AdjustmentKind, StepKind};
use super::*;

fn goods_line() -> impl Strategy<Value = GoodsLine> {
    (
        1..6i32,
        0..20_000i64,
        0..=100i64,
        prop::option::of(0..20_000i64),
        prop::collection::vec(any::<bool>(), 3),
    )
        .prop_map(|(quantity, list, pct, flash, cats)| GoodsLine {
            quantity,
            list_unit_price: list,
            unit_price: list * pct / 100,
            flash_sale: flash.map(|unit_price| FlashPrice {
                flash_sale_id: "fs".into(),
                unit_price,
            }),
            category_ids: ["tea", "cup", "gift"]
                .iter()
                .zip(cats)
                .filter(|(_, on)| *on)
                .map(|(c, _)| (*c).to_owned())
                .collect(),
            ..GoodsLine::default()
        })
}

fn member_coupon() -> impl Strategy<Value = MemberCoupon> {
    (
        0..5usize,
        0..3usize,
        0..30_000i64,
        0..10_000i64,
        1..10_000i32,
        prop::option::of(0..5_000i64),
        0..4usize,
        1..4i32,
        any::<bool>(),
    )
        .prop_map(
            |(kind, stacking, threshold, off, bps, cap, gift, gift_quantity, locked)| {
                let kind = [
                    CouponKind::AmountOff,
                    CouponKind::PercentOff,
                    CouponKind::FreeShipping,
                    CouponKind::Exchange,
                    CouponKind::Unsupported,
                ][kind];
                let stacking =
                    [Stacking::Exclusive, Stacking::AcrossKinds, Stacking::Any][stacking];
                MemberCoupon {
                    name: "券".into(),
                    rule: CouponRule {
                        kind,
                        threshold,
                        amount_off: off,
                        percent_bps: bps,
                        max_discount: cap,
                        gift_sku_id: format!("s{gift}"),
                        gift_quantity,
                        stacking,
                        scope: CouponScope {
                            all_goods: gift % 2 == 0,
                            category_ids: vec!["tea".into()],
                            sku_ids: vec!["s1".into()],
                            excluded_sku_ids: vec![format!("s{}", gift + 1)],
                        },
                    },
                    valid_until_ms: None,
                    unusable_reason: (locked && threshold % 7 == 0).then(|| "LOCKED".to_owned()),
                    ..MemberCoupon::default()
                }
            },
        )
}

fn settings() -> ShippingSettings {
    ShippingSettings {
        delivery: DeliveryRule {
            enabled: true,
            fee: 800,
            free_threshold: 9900,
            regions: vec![RegionRule {
                province: "新疆维吾尔自治区".into(),
                fee: 2000,
                free_threshold: Some(0),
                not_deliverable: false,
            }],
        },
        same_city: SameCityRule {
            enabled: true,
            max_distance_meters: 5000,
            bands: vec![
                DistanceBand {
                    up_to_meters: 2000,
                    fee: 400,
                },
                DistanceBand {
                    up_to_meters: 5000,
                    fee: 900,
                },
            ],
            minimum_order: 3000,
            free_threshold: 15_000,
        },
        pickup: PickupRule {
            enabled: true,
            pickup_discount: 700,
            pickup_discount_threshold: 5000,
        },
    }
}

prop_compose! {
    fn pricing_input()(
        mut lines in prop::collection::vec(goods_line(), 1..7),
        mut coupons in prop::collection::vec(member_coupon(), 0..6),
        pick in prop::collection::vec(any::<bool>(), 6),
        auto in any::<bool>(),
        points in 0..40_000i64,
        points_per_yuan in 1..2_000i64,
        bps in 0..=10_000i32,
        min_points in 0..500i64,
        stored_value in 0..60_000i64,
        balance in prop::option::of(0..30_000i64),
        mode in 0..3usize,
        province in 0..2usize,
        distance in 0..6_000i32,
    ) -> PricingInput {
        for (n, l) in lines.iter_mut().enumerate() {
            l.sku_id = format!("s{n}");
            // One flash sale per line, so each adjustment's shares can be found by its id.
            if let Some(f) = &mut l.flash_sale {
                f.flash_sale_id = format!("fs{n}");
            }
        }
        for (n, c) in coupons.iter_mut().enumerate() {
            c.coupon_id = format!("c{n}");
        }
        let coupon_ids = coupons
            .iter()
            .zip(&pick)
            .filter(|(_, p)| **p)
            .map(|(c, _)| c.coupon_id.clone())
            .collect();
        PricingInput {
            goods: Goods::Lines(lines),
            coupons,
            coupon_ids,
            auto_select_coupons: auto,
            points: PointsRequest {
                requested: points,
                policy: PointsPolicy { points_per_yuan, max_deduction_bps: bps, min_points },
            },
            stored_value: StoredValueRequest { requested: stored_value, enabled: true, balance },
            fulfilment: Some(Fulfilment {
                mode: [FulfilmentMode::Delivery, FulfilmentMode::StorePickup, FulfilmentMode::SameCity][mode],
                store_id: "store".into(),
                province: ["浙江省", "新疆维吾尔自治区"][province].into(),
                distance_meters: Some(distance),
            }),
            shipping: settings(),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_identity_holds(input in pricing_input()) {
        let q = price(&input).unwrap();
        for l in &q.lines {
            for v in [l.list_subtotal, l.member_discount, l.subtotal, l.promotion_discount,
                      l.coupon_discount, l.net_amount, l.points_deduction, l.points_used,
                      l.stored_value_amount, l.cash_amount] {
                prop_assert!(v >= 0, "negative amount on {:?}", l);
            }
            prop_assert_eq!(l.list_subtotal - l.member_discount, l.subtotal);
            prop_assert_eq!(l.subtotal - l.promotion_discount - l.coupon_discount, l.net_amount);
            prop_assert_eq!(l.points_deduction + l.stored_value_amount + l.cash_amount, l.net_amount);
            prop_assert_eq!(l.list_subtotal, l.list_unit_price * i64::from(l.quantity));
            prop_assert_eq!(l.subtotal, l.unit_price * i64::from(l.quantity));
            prop_assert!(l.allocations.iter().all(|a| a.amount >= 0 && a.points >= 0));
        }
        let a = q.amounts;
        for v in [a.goods_list_total, a.member_discount, a.goods_total, a.promotion_discount,
                  a.coupon_discount, a.goods_net_total, a.points_deduction, a.points_used,
                  a.stored_value_amount, a.shipping_fee, a.shipping_discount, a.payable] {
            prop_assert!(v >= 0, "negative total in {:?}", a);
        }
        prop_assert_eq!(a.goods_total, a.goods_list_total - a.member_discount);
        prop_assert_eq!(a.goods_net_total, a.goods_total - a.promotion_discount - a.coupon_discount);
        prop_assert_eq!(
            a.payable,
            a.goods_net_total - a.points_deduction - a.stored_value_amount + a.shipping_fee
                - a.shipping_discount
        );
        prop_assert!(a.shipping_discount <= a.shipping_fee);
        prop_assert_eq!(a.points_deduction, q.points.deduction);
        prop_assert_eq!(a.points_used, q.points.used);
        prop_assert_eq!(q.points.deduction, points::value(q.points.used, q.points.points_per_yuan));
        prop_assert!(q.points.deduction <= q.points.max_deduction);
        prop_assert!(a.stored_value_amount <= input.stored_value.requested);
        let sums = |f: fn(&PricedLine) -> i64| q.lines.iter().map(f).sum::<i64>();
        prop_assert_eq!(sums(|l| l.list_subtotal), a.goods_list_total);
        prop_assert_eq!(sums(|l| l.net_amount), a.goods_net_total);
        prop_assert_eq!(sums(|l| l.cash_amount) + a.shipping_fee - a.shipping_discount, a.payable);

        // The steps: all eight, in order, each running total the previous plus its delta.
        let kinds: Vec<StepKind> = q.steps.iter().map(|s| s.kind).collect();
        prop_assert_eq!(kinds, StepKind::ALL.to_vec());
        for w in q.steps.windows(2) {
            prop_assert_eq!(w[0].running_total + w[1].delta, w[1].running_total);
        }
        prop_assert_eq!(q.steps[7].running_total, a.payable);
        for s in &q.steps[1..6] {
            prop_assert!(s.delta <= 0);
        }

        // Every adjustment is split over the lines exactly (member price and shipping are not
        // allocated), and each step's adjustments make up its delta.
        for s in &q.steps[1..6] {
            prop_assert_eq!(s.adjustments.iter().map(|x| x.amount).sum::<i64>(), -s.delta);
        }
        for adj in q.steps.iter().flat_map(|s| &s.adjustments) {
            if matches!(adj.kind, AdjustmentKind::MemberPrice | AdjustmentKind::ShippingFee
                | AdjustmentKind::ShippingDiscount) {
                continue;
            }
            let shares = q.lines.iter().flat_map(|l| &l.allocations)
                .filter(|x| x.kind == adj.kind && x.source_id == adj.source_id);
            let (fen, pts) = shares.fold((0, 0), |(f, p), x| (f + x.amount, p + x.points));
            prop_assert_eq!(fen, adj.amount, "{:?}", adj);
            prop_assert_eq!(pts, adj.points, "{:?}", adj);
        }

        // Applied coupons are allowed together and shown as applied, first.
        let applied: Vec<_> = q.coupon_options.iter().take_while(|o| o.applied).collect();
        prop_assert_eq!(applied.len(), q.applied_coupon_ids.len());
        let rules: Vec<&CouponRule> = q.applied_coupon_ids.iter()
            .map(|id| &input.coupons.iter().find(|c| &c.coupon_id == id).unwrap().rule)
            .collect();
        prop_assert!(!coupons::conflict(&rules));
        prop_assert_eq!(q.coupon_options.len(), input.coupons.len());

        // Pricing is deterministic.
        prop_assert_eq!(price(&input).unwrap(), q);
    }
}
