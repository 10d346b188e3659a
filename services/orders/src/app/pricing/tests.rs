//! The rules of the pricing function, each with exact fen.

use super::input::*;
use super::quote::{AdjustmentKind, StepKind};
use super::*;

fn line(sku: &str, quantity: i32, list: Fen, unit: Fen) -> GoodsLine {
    GoodsLine {
        sku_id: sku.into(),
        product_id: format!("p-{sku}"),
        title: sku.into(),
        quantity,
        list_unit_price: list,
        unit_price: unit,
        ..GoodsLine::default()
    }
}

fn delivery_settings(fee: Fen, free_threshold: Fen) -> ShippingSettings {
    ShippingSettings {
        delivery: DeliveryRule {
            enabled: true,
            fee,
            free_threshold,
            regions: Vec::new(),
        },
        ..ShippingSettings::default()
    }
}

fn input(lines: Vec<GoodsLine>) -> PricingInput {
    PricingInput {
        goods: Goods::Lines(lines),
        fulfilment: Some(Fulfilment {
            mode: FulfilmentMode::Delivery,
            store_id: "store".into(),
            province: "浙江省".into(),
            distance_meters: None,
        }),
        shipping: delivery_settings(0, 0),
        stored_value: StoredValueRequest {
            enabled: true,
            ..StoredValueRequest::default()
        },
        ..PricingInput::default()
    }
}

fn coupon(id: &str, kind: CouponKind, stacking: Stacking) -> MemberCoupon {
    MemberCoupon {
        coupon_id: id.into(),
        name: id.into(),
        rule: CouponRule {
            kind,
            stacking,
            scope: CouponScope {
                all_goods: true,
                ..CouponScope::default()
            },
            ..CouponRule::default()
        },
        valid_until_ms: Some(1_800_000_000_000),
        unusable_reason: None,
    }
}

fn amount_off(id: &str, threshold: Fen, off: Fen, stacking: Stacking) -> MemberCoupon {
    let mut c = coupon(id, CouponKind::AmountOff, stacking);
    c.rule.threshold = threshold;
    c.rule.amount_off = off;
    c
}

fn three_lines() -> Vec<GoodsLine> {
    vec![
        line("a", 2, 6500, 6000),
        line("b", 1, 5000, 5000),
        line("c", 1, 3050, 3050),
    ]
}

fn codes(q: &Quote) -> Vec<&str> {
    q.notices.iter().map(|n| n.code.as_str()).collect()
}

fn step(q: &Quote, kind: StepKind) -> &quote::PriceStep {
    q.steps.iter().find(|s| s.kind == kind).unwrap()
}

#[test]
fn two_hundred_less_thirty_lands_on_the_largest_remainders() {
    let mut i = input(three_lines());
    i.coupons = vec![amount_off("c200", 20_000, 3000, Stacking::Exclusive)];
    i.coupon_ids = vec!["c200".into()];
    let q = price(&i).unwrap();
    let off: Vec<Fen> = q.lines.iter().map(|l| l.coupon_discount).collect();
    // 120.00 / 50.00 / 30.50 of 200.50: 1795.51, 748.13, 456.36 → the spare fen to line a.
    assert_eq!(off, vec![1796, 748, 456]);
    assert_eq!(q.amounts.goods_list_total, 21_050);
    assert_eq!(q.amounts.member_discount, 1000);
    assert_eq!(q.amounts.goods_net_total, 17_050);
    assert_eq!(q.amounts.payable, 17_050);
    assert_eq!(q.applied_coupon_ids, vec!["c200"]);
    assert_eq!(q.coupon_options[0].discount, 3000);
    assert!(q.coupon_options[0].applied);
    let kinds: Vec<StepKind> = q.steps.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, StepKind::ALL);
    let s = step(&q, StepKind::Coupon);
    assert_eq!((s.delta, s.running_total), (-3000, 17_050));
    assert_eq!(step(&q, StepKind::Payable).running_total, 17_050);
}

#[test]
fn the_threshold_counts_only_goods_in_scope() {
    let mut i = input(three_lines());
    let mut c = amount_off("c200", 20_000, 3000, Stacking::Exclusive);
    c.rule.scope.excluded_sku_ids = vec!["c".into()];
    i.coupons = vec![c];
    i.coupon_ids = vec!["c200".into()];
    let q = price(&i).unwrap();
    assert!(q.applied_coupon_ids.is_empty());
    assert_eq!(q.coupon_options[0].unusable_reason, "THRESHOLD_NOT_MET");
}

#[test]
fn twenty_percent_off_is_capped() {
    let mut i = input(three_lines());
    let mut c = coupon("p80", CouponKind::PercentOff, Stacking::Exclusive);
    c.rule.percent_bps = 8000;
    c.rule.max_discount = Some(2000);
    i.coupons = vec![c.clone()];
    i.coupon_ids = vec!["p80".into()];
    assert_eq!(price(&i).unwrap().amounts.coupon_discount, 2000);
    // Uncapped: 20050 − floor(20050 × 0.8) = 4010.
    c.rule.max_discount = None;
    i.coupons = vec![c];
    assert_eq!(price(&i).unwrap().amounts.coupon_discount, 4010);
}

#[test]
fn points_are_capped_on_the_goods_after_coupons_and_split_like_the_amount() {
    let mut i = input(three_lines());
    i.coupons = vec![amount_off("c200", 20_000, 3000, Stacking::Exclusive)];
    i.coupon_ids = vec!["c200".into()];
    i.points = PointsRequest {
        requested: 10_000,
        policy: PointsPolicy {
            points_per_yuan: 100,
            max_deduction_bps: 1000,
            min_points: 0,
        },
    };
    let q = price(&i).unwrap();
    // 10% of 170.50 = 17.05.
    assert_eq!(
        (q.points.max_deduction, q.points.used, q.points.deduction),
        (1705, 1705, 1705)
    );
    assert_eq!(codes(&q), ["POINTS_CAPPED"]);
    assert_eq!(q.amounts.points_used, 1705);
    assert_eq!(q.amounts.payable, 17_050 - 1705);
    let step = step(&q, StepKind::Points);
    assert_eq!(step.adjustments[0].points, 1705);
    let fen: Fen = q.lines.iter().map(|l| l.points_deduction).sum();
    assert_eq!(fen, 1705);
}

#[test]
fn points_round_to_whole_fen_and_respect_the_minimum() {
    let mut i = input(three_lines());
    i.points = PointsRequest {
        requested: 1239,
        policy: PointsPolicy {
            points_per_yuan: 1000,
            max_deduction_bps: 5000,
            min_points: 0,
        },
    };
    let q = price(&i).unwrap();
    assert_eq!((q.points.used, q.points.deduction), (1230, 123));
    assert_eq!(codes(&q), ["POINTS_ROUNDED"]);
    i.points.requested = 500;
    i.points.policy.min_points = 1000;
    let q = price(&i).unwrap();
    assert_eq!((q.points.used, q.amounts.points_deduction), (0, 0));
    assert_eq!(codes(&q), ["POINTS_BELOW_MINIMUM"]);
}

#[test]
fn stored_value_is_lowered_to_the_goods_and_never_pays_shipping() {
    let mut i = input(vec![line("a", 1, 5000, 5000)]);
    i.shipping = delivery_settings(800, 0);
    i.stored_value.requested = 9000;
    let q = price(&i).unwrap();
    assert_eq!(q.amounts.stored_value_amount, 5000);
    assert_eq!(codes(&q), ["STORED_VALUE_LOWERED"]);
    assert_eq!(q.amounts.payable, 800);
    // A known balance lowers it too.
    i.stored_value.balance = Some(1234);
    let q = price(&i).unwrap();
    assert_eq!(q.amounts.stored_value_amount, 1234);
    assert_eq!(q.amounts.payable, 5000 - 1234 + 800);
}

#[test]
fn stored_value_disabled_is_refused() {
    let mut i = input(three_lines());
    i.stored_value = StoredValueRequest {
        requested: 1,
        enabled: false,
        balance: None,
    };
    assert_eq!(price(&i), Err(PricingError::StoredValueDisabled));
}

#[test]
fn the_free_shipping_threshold_is_measured_after_coupons() {
    let mut i = input(vec![line("a", 1, 10_000, 10_000)]);
    i.shipping = delivery_settings(800, 9900);
    let q = price(&i).unwrap();
    assert_eq!(
        (q.amounts.shipping_fee, q.amounts.shipping_discount),
        (800, 800)
    );
    assert_eq!(q.amounts.payable, 10_000);
    // 满100减20 takes the goods to 80.00: ¥19.00 short of free shipping.
    i.coupons = vec![amount_off("c100", 10_000, 2000, Stacking::Exclusive)];
    i.coupon_ids = vec!["c100".into()];
    let q = price(&i).unwrap();
    assert_eq!((q.shipping.fee, q.shipping.discount), (800, 0));
    assert_eq!(q.shipping.amount_to_free_shipping, 1900);
    assert_eq!(q.amounts.payable, 8800);
    let s = step(&q, StepKind::Shipping);
    assert_eq!((s.delta, s.running_total), (800, 8800));
}

#[test]
fn a_free_shipping_coupon_acts_in_the_shipping_step() {
    let mut i = input(vec![line("a", 1, 5000, 5000)]);
    i.shipping = delivery_settings(1200, 0);
    let mut c = coupon("ship", CouponKind::FreeShipping, Stacking::Exclusive);
    c.rule.max_discount = Some(1000);
    i.coupons = vec![c];
    i.coupon_ids = vec!["ship".into()];
    let q = price(&i).unwrap();
    assert_eq!(q.amounts.coupon_discount, 0);
    assert_eq!(q.amounts.shipping_discount, 1000);
    assert_eq!(q.amounts.payable, 5200);
    let adj = &step(&q, StepKind::Shipping).adjustments;
    assert_eq!(adj[1].source_id, "ship");
    assert_eq!(q.coupon_options[0].discount, 1000);
    // Pickup has no shipping: the coupon is unusable.
    i.shipping.pickup.enabled = true;
    i.fulfilment.as_mut().unwrap().mode = FulfilmentMode::StorePickup;
    let q = price(&i).unwrap();
    assert_eq!(q.coupon_options[0].unusable_reason, "NO_SHIPPING");
}

#[test]
fn an_undeliverable_region_is_reported_not_refused() {
    let mut i = input(three_lines());
    i.shipping.delivery.regions = vec![RegionRule {
        province: "浙江省".into(),
        not_deliverable: true,
        ..RegionRule::default()
    }];
    let q = price(&i).unwrap();
    assert!(!q.shipping.deliverable);
    assert_eq!(q.shipping.undeliverable_reason, "NOT_DELIVERABLE_REGION");
}

#[test]
fn same_city_prices_by_band_and_refuses_beyond_range() {
    let mut i = input(three_lines());
    i.shipping.same_city = SameCityRule {
        enabled: true,
        max_distance_meters: 5000,
        bands: vec![
            DistanceBand {
                up_to_meters: 2000,
                fee: 400,
            },
            DistanceBand {
                up_to_meters: 5000,
                fee: 700,
            },
        ],
        minimum_order: 0,
        free_threshold: 0,
    };
    let f = i.fulfilment.as_mut().unwrap();
    f.mode = FulfilmentMode::SameCity;
    f.distance_meters = Some(2500);
    let q = price(&i).unwrap();
    assert_eq!((q.shipping.fee, q.amounts.payable), (700, 20_050 + 700));
    i.fulfilment.as_mut().unwrap().distance_meters = Some(5200);
    let q = price(&i).unwrap();
    assert_eq!(q.shipping.undeliverable_reason, "SAME_CITY_OUT_OF_RANGE");
    assert_eq!(q.amounts.shipping_fee, 0);
}

#[test]
fn pickup_discount_is_a_promotion_above_its_threshold() {
    let mut i = input(three_lines());
    i.shipping.pickup = PickupRule {
        enabled: true,
        pickup_discount: 500,
        pickup_discount_threshold: 20_000,
    };
    i.fulfilment.as_mut().unwrap().mode = FulfilmentMode::StorePickup;
    let q = price(&i).unwrap();
    let s = step(&q, StepKind::Promotion);
    assert_eq!((s.delta, s.running_total), (-500, 19_550));
    assert_eq!(s.adjustments[0].kind, AdjustmentKind::PickupDiscount);
    // 500 over 120.00 / 50.00 / 30.50: 299.25, 124.69, 76.06 → 299, 125, 76.
    let promo: Vec<Fen> = q.lines.iter().map(|l| l.promotion_discount).collect();
    assert_eq!(promo, vec![299, 125, 76]);
    assert_eq!((q.shipping.fee, q.amounts.payable), (0, 19_550));
    // Below the threshold: none.
    i.shipping.pickup.pickup_discount_threshold = 30_000;
    assert_eq!(price(&i).unwrap().amounts.promotion_discount, 0);
}

#[test]
fn a_flash_price_lowers_its_line_only() {
    let mut l = line("a", 2, 6500, 6000);
    l.flash_sale = Some(FlashPrice {
        flash_sale_id: "fs1".into(),
        unit_price: 3900,
    });
    let q = price(&input(vec![l, line("b", 1, 5000, 5000)])).unwrap();
    assert_eq!(q.lines[0].promotion_discount, 4200);
    assert_eq!(q.lines[1].promotion_discount, 0);
    assert_eq!(q.lines[0].allocations[0].source_id, "fs1");
}

#[test]
fn an_exchange_coupon_frees_units_of_its_gift_line_only() {
    let mut i = input(vec![
        line("a", 1, 10_000, 10_000),
        line("gift", 3, 1500, 1200),
    ]);
    let mut c = coupon("ex", CouponKind::Exchange, Stacking::Exclusive);
    c.rule.gift_sku_id = "gift".into();
    c.rule.gift_quantity = 2;
    c.rule.threshold = 10_000;
    i.coupons = vec![c.clone()];
    i.coupon_ids = vec!["ex".into()];
    let q = price(&i).unwrap();
    assert_eq!(q.lines[0].coupon_discount, 0);
    assert_eq!(q.lines[1].coupon_discount, 2400);
    // The gift line does not count towards its own threshold.
    c.rule.threshold = 10_001;
    i.coupons = vec![c.clone()];
    let q = price(&i).unwrap();
    assert_eq!(q.coupon_options[0].unusable_reason, "THRESHOLD_NOT_MET");
    // Without the gift line there is nothing to exchange.
    c.rule.threshold = 0;
    i.coupons = vec![c];
    i.goods = Goods::Lines(vec![line("a", 1, 10_000, 10_000)]);
    let q = price(&i).unwrap();
    assert_eq!(q.coupon_options[0].unusable_reason, "NO_ELIGIBLE_LINES");
}

#[test]
fn conflicting_coupons_keep_the_first_and_report_the_rest() {
    let mut i = input(three_lines());
    i.coupons = vec![
        amount_off("x1", 10_000, 1000, Stacking::Exclusive),
        amount_off("x2", 0, 500, Stacking::AcrossKinds),
        coupon("m", CouponKind::Unsupported, Stacking::Any),
        MemberCoupon {
            unusable_reason: Some("LOCKED".into()),
            ..amount_off("l", 0, 9000, Stacking::Any)
        },
    ];
    i.coupon_ids = vec!["x2".into(), "x1".into(), "gone".into()];
    let q = price(&i).unwrap();
    assert_eq!(q.applied_coupon_ids, vec!["x2"]);
    let reasons: Vec<(&str, &str)> = q
        .coupon_options
        .iter()
        .map(|o| (o.coupon_id.as_str(), o.unusable_reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("x2", ""),
            ("x1", "NOT_STACKABLE"),
            ("m", "KIND_NOT_SUPPORTED"),
            ("l", "LOCKED")
        ]
    );
    assert_eq!(codes(&q), ["COUPON_NOT_APPLIED"]);
}

#[test]
fn auto_select_finds_the_best_allowed_combination() {
    let mut i = input(three_lines());
    i.shipping = delivery_settings(1000, 0);
    let mut ship = coupon("ship", CouponKind::FreeShipping, Stacking::AcrossKinds);
    ship.rule.threshold = 0;
    i.coupons = vec![
        // Alone the best (40.00), but exclusive.
        amount_off("solo", 0, 4000, Stacking::Exclusive),
        // 30.00 + 10.00 shipping + 5.00 = 45.00 together.
        amount_off("c200", 20_000, 3000, Stacking::AcrossKinds),
        ship,
        {
            let mut p = coupon("p95", CouponKind::PercentOff, Stacking::AcrossKinds);
            p.rule.percent_bps = 9500;
            p.rule.max_discount = Some(500);
            p
        },
    ];
    i.auto_select_coupons = true;
    i.coupon_ids = vec!["solo".into()];
    let q = price(&i).unwrap();
    assert_eq!(q.applied_coupon_ids, vec!["c200", "p95", "ship"]);
    assert_eq!(q.amounts.coupon_discount, 3500);
    assert_eq!(q.amounts.shipping_discount, 1000);
    assert_eq!(q.amounts.payable, 20_050 - 3500);
    assert_eq!(q.coupon_options[3].unusable_reason, "NOT_STACKABLE");
    assert_eq!(codes(&q), ["COUPON_NOT_APPLIED"]);
}

#[test]
fn a_plan_is_one_cash_line() {
    let i = PricingInput {
        goods: Goods::Plan(PlanLine {
            plan_id: "plan".into(),
            title: "充500送50".into(),
            image_url: String::new(),
            price: 50_000,
        }),
        ..PricingInput::default()
    };
    let q = price(&i).unwrap();
    assert_eq!(q.lines.len(), 1);
    assert_eq!(
        (q.lines[0].cash_amount, q.amounts.payable),
        (50_000, 50_000)
    );
    assert_eq!(q.steps.len(), 8);
    assert_eq!(step(&q, StepKind::Shipping).delta, 0);
    let mut with_points = i.clone();
    with_points.points.requested = 1;
    assert_eq!(
        price(&with_points),
        Err(PricingError::NotForPlans("points_to_use"))
    );
}
