//! Event packs beyond enrolment: the birthday pack by the daily job (the tier's pack or the
//! tenant's), once a year under two runners; the tier-up pack once per tier reached, under
//! racing growth changes; the first-order pack on the member's first OrderPaid from the real
//! bus, once whatever is delivered twice or handled at once.

use futures::future::join_all;
use siyu_proto::events::v1 as ev;
use siyu_proto::membership::v1 as pb;

use crate::coupon_expiry::app;
use crate::coupons::{amount_off, coupons, published};
use crate::harness::{H, Tenant, with};
use crate::order_events::{handled, order_paid, publish};
use crate::tiers::{adjust, tiers};

/// A pack of one coupon of `template`, with `trigger` (enabled when it has one).
pub async fn pack(h: &H, t: &Tenant, template: &str, trigger: pb::CouponPackTrigger) -> String {
    coupons(h)
        .create_coupon_pack(with(
            pb::CreateCouponPackRequest {
                pack: Some(pb::CouponPack {
                    name: "礼包".into(),
                    items: vec![pb::CouponPackItem {
                        template_id: template.into(),
                        quantity: 1,
                    }],
                    trigger: trigger as i32,
                    enabled: trigger != pb::CouponPackTrigger::Unspecified,
                    ..Default::default()
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .pack
        .unwrap()
        .pack_id
}

/// A tier whose benefits name a birthday and a tier-up pack (empty for none).
async fn tier(h: &H, t: &Tenant, (code, rank, threshold): (&str, i32, i64), packs: (&str, &str)) {
    tiers(h)
        .create_tier(with(
            pb::CreateTierRequest {
                tier: Some(pb::Tier {
                    tier_code: code.into(),
                    name: format!("{code} 卡"),
                    rank,
                    growth_threshold: threshold,
                    benefits: Some(pb::TierBenefits {
                        discount_bps: 10_000,
                        points_multiplier_bps: 10_000,
                        birthday_coupon_pack_id: packs.0.into(),
                        tier_up_coupon_pack_id: packs.1.into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap();
}

/// The templates of `member`'s coupons (any status), sorted.
async fn held(h: &H, t: &Tenant, member: &str) -> Vec<String> {
    let mut out: Vec<String> = coupons(h)
        .list_member_coupons(with(
            pb::ListMemberCouponsRequest {
                member_id: member.into(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .coupons
        .into_iter()
        .map(|c| {
            assert_eq!(c.source, pb::CouponSource::Event as i32);
            c.template_id
        })
        .collect();
    out.sort();
    out
}

/// Enrols a consumer born on `birthday`; answers the member id.
async fn born(h: &H, t: &Tenant, birthday: &str) -> String {
    let (_, token) = t.consumer(h);
    h.members()
        .enroll_member(with(
            pb::EnrollMemberRequest {
                birthday: birthday.into(),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap()
        .member_id
}

#[tokio::test]
async fn the_birthday_pack_goes_out_once_a_year_by_the_tier_or_the_tenant() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let everyone = published(&h, &t, amount_off(0, 0)).await;
    let gold_only = published(&h, &t, amount_off(0, 0)).await;
    pack(&h, &t, &everyone, pb::CouponPackTrigger::Birthday).await;
    // A pack a tier names is granted by the reference, whatever its own switch.
    let gold_pack = pack(&h, &t, &gold_only, pb::CouponPackTrigger::Unspecified).await;
    tier(&h, &t, ("BRONZE", 1, 0), ("", "")).await;
    tier(&h, &t, ("GOLD", 2, 100), (&gold_pack, "")).await;
    // The test clock is 2025-06-15 23:06 in Shanghai.
    let a = born(&h, &t, "1990-06-15").await;
    let g = born(&h, &t, "1985-06-15").await;
    adjust(&h, &t, &g, 100, "to-gold").await;
    let b = born(&h, &t, "1992-06-16").await;
    let c = born(&h, &t, "").await;
    let (one, two) = (app(&h), app(&h));
    let (x, y) = tokio::join!(one.run_birthday_pass(), two.run_birthday_pass());
    assert_eq!(held(&h, &t, &a).await, vec![everyone.clone()]);
    assert_eq!(held(&h, &t, &g).await, vec![gold_only.clone()]);
    assert_eq!(x.unwrap() + y.unwrap(), 2, "a and g, each by one runner");
    assert!(held(&h, &t, &b).await.is_empty());
    assert_eq!(one.run_birthday_pass().await.unwrap(), 0);
    h.advance_days(1);
    assert_eq!(one.run_birthday_pass().await.unwrap(), 1);
    assert_eq!(held(&h, &t, &b).await, vec![everyone.clone()]);
    assert!(held(&h, &t, &c).await.is_empty());
    // 2026-06-15: the next year's pack, once again.
    h.advance_days(364);
    let (x, y) = tokio::join!(one.run_birthday_pass(), two.run_birthday_pass());
    assert_eq!(x.unwrap() + y.unwrap(), 2);
    // Last year's coupon has expired meanwhile; both are there.
    let of_a = h
        .scalar(
            "SELECT COUNT(*) FROM mem_coupons WHERE member_id = $1",
            vec![uuid::Uuid::parse_str(&a).unwrap().into()],
        )
        .await;
    assert_eq!(of_a, 2);
    assert_eq!(
        h.scalar(
            &format!(
                "SELECT COUNT(*) FROM mem_coupon_grants WHERE grant_key IN \
                 ('birthday:{a}:2025', 'birthday:{a}:2026', 'birthday:{g}:2026')"
            ),
            vec![],
        )
        .await,
        3
    );
}

#[tokio::test]
async fn the_tier_up_pack_goes_out_once_per_tier_reached_under_racing_growth() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let silver_gift = published(&h, &t, amount_off(0, 0)).await;
    let gold_gift = published(&h, &t, amount_off(0, 0)).await;
    let silver_pack = pack(&h, &t, &silver_gift, pb::CouponPackTrigger::Unspecified).await;
    let gold_pack = pack(&h, &t, &gold_gift, pb::CouponPackTrigger::Unspecified).await;
    tier(&h, &t, ("BRONZE", 1, 0), ("", "")).await;
    tier(&h, &t, ("SILVER", 2, 100), ("", &silver_pack)).await;
    tier(&h, &t, ("GOLD", 3, 300), ("", &gold_pack)).await;
    let (m, _) = t.member(&h).await;
    // 16 growth changes at once, 60 each: SILVER and then GOLD are each reached once.
    let changes = (0..16).map(|i| {
        let (h, t, m) = (&h, &t, m.clone());
        async move { adjust(h, t, &m, 60, &format!("race-{i}")).await }
    });
    join_all(changes).await;
    let mut want = vec![silver_gift.clone(), gold_gift.clone()];
    want.sort();
    assert_eq!(held(&h, &t, &m).await, want);
    // Straight past SILVER to GOLD: the pack of the tier reached.
    let (n, _) = t.member(&h).await;
    adjust(&h, &t, &n, 500, "jump").await;
    assert_eq!(held(&h, &t, &n).await, vec![gold_gift.clone()]);
    // More growth within GOLD grants nothing more.
    adjust(&h, &t, &n, 50, "more").await;
    assert_eq!(held(&h, &t, &n).await.len(), 1);
}

#[tokio::test]
async fn the_first_paid_order_grants_the_first_order_pack_once() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    let gift = published(&h, &t, amount_off(0, 0)).await;
    // A member who ordered before the pack existed gets none with a later order.
    let (early, _) = t.member(&h).await;
    let first = order_paid(
        &t,
        siyu_core::id::new(),
        siyu_core::id::new(),
        &early,
        ev::OrderKind::Goods,
    );
    publish(&bus, &first).await;
    handled(&h, 1).await;
    pack(&h, &t, &gift, pb::CouponPackTrigger::FirstOrder).await;
    publish(
        &bus,
        &order_paid(
            &t,
            siyu_core::id::new(),
            siyu_core::id::new(),
            &early,
            ev::OrderKind::Goods,
        ),
    )
    .await;
    handled(&h, 2).await;
    assert!(held(&h, &t, &early).await.is_empty());
    // A top-up is not a first order; the first goods order, delivered twice, grants once; a
    // second order grants nothing.
    let (m, _) = t.member(&h).await;
    let top_up = order_paid(
        &t,
        siyu_core::id::new(),
        siyu_core::id::new(),
        &m,
        ev::OrderKind::StoredValueTopUp,
    );
    publish(&bus, &top_up).await;
    handled(&h, 3).await;
    assert!(held(&h, &t, &m).await.is_empty());
    let goods = order_paid(
        &t,
        siyu_core::id::new(),
        siyu_core::id::new(),
        &m,
        ev::OrderKind::Goods,
    );
    publish(&bus, &goods).await;
    publish(&bus, &goods).await;
    publish(
        &bus,
        &order_paid(
            &t,
            siyu_core::id::new(),
            siyu_core::id::new(),
            &m,
            ev::OrderKind::Goods,
        ),
    )
    .await;
    handled(&h, 5).await;
    assert_eq!(held(&h, &t, &m).await, vec![gift.clone()]);
    // Eight first orders of one member handled at once (replicas): one pack.
    let (q, _) = t.member(&h).await;
    let bodies: Vec<Vec<u8>> = (0..8)
        .map(|_| {
            order_paid(
                &t,
                siyu_core::id::new(),
                siyu_core::id::new(),
                &q,
                ev::OrderKind::Goods,
            )
        })
        .collect();
    let app = app(&h);
    let runs = bodies.iter().map(|b| {
        let app = app.clone();
        async move {
            siyu_membership::events::consume::handle(&app, b, &siyu_core::id::new_string()).await
        }
    });
    for r in join_all(runs).await {
        r.unwrap();
    }
    assert_eq!(held(&h, &t, &q).await, vec![gift]);
    assert_eq!(
        h.scalar(
            &format!("SELECT COUNT(*) FROM mem_coupon_grants WHERE grant_key = 'first_order:{q}'"),
            vec![],
        )
        .await,
        1
    );
}

#[tokio::test]
async fn first_order_packs_skip_payments_they_cannot_place() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let gift = published(&h, &t, amount_off(0, 0)).await;
    pack(&h, &t, &gift, pb::CouponPackTrigger::FirstOrder).await;
    let (m, _) = t.member(&h).await;
    let other = Tenant::new(&h).await;
    let app = app(&h);
    // Malformed or foreign payments: handled (recorded in the inbox), never a pack, never an
    // error that would make the bus redeliver them forever.
    let order = || siyu_core::id::new();
    let kind = ev::OrderKind::Goods;
    let bodies = vec![
        order_paid(&t, order(), order(), "not-a-member-id", kind),
        order_paid(&t, order(), order(), "", kind),
        order_paid(&t, order(), order(), &siyu_core::id::new_string(), kind),
        // The member named in another tenant's event.
        order_paid(&other, order(), order(), &m, kind),
        // Not an OrderPaid payload at all.
        crate::bus_events::envelope(
            &t,
            "orders",
            &order().to_string(),
            "OrderPaid",
            vec![0xff; 7],
        ),
    ];
    for b in &bodies {
        siyu_membership::events::consume::handle(&app, b, &siyu_core::id::new_string())
            .await
            .unwrap();
    }
    assert_eq!(h.scalar("SELECT COUNT(*) FROM siyu_inbox", vec![]).await, 5);
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM mem_coupons", vec![]).await,
        0
    );
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM mem_coupon_grants WHERE grant_key LIKE 'first_order:%'",
            vec![],
        )
        .await,
        0
    );
}
