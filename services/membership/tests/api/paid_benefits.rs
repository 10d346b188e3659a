//! What a paid period gives: the plan's tier as a floor (TierChanged on the way up and back),
//! the plan's coupon pack at activation and each month (once per member and month, under racing
//! activations and two job runners), the extra points multiplier on order earnings, and the
//! pack's unused coupons revoked with the period.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use sea_orm::Value;
use siyu_core::Clock as _;
use siyu_membership::settings::Settings;
use siyu_membership::{Application, Overrides};
use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::paid_membership_service_client::PaidMembershipServiceClient;
use siyu_proto::time::timestamp_ms;
use tonic::transport::Channel;

use crate::coupons::{amount_off, coupons, published};
use crate::harness::{H, Tenant, cny, id, keyed, with};
use crate::tiers::{adjust, ladder, standing};

fn paid(h: &H) -> PaidMembershipServiceClient<Channel> {
    PaidMembershipServiceClient::new(h.channel.clone())
}

fn now_ms(h: &H) -> i64 {
    h.clock.now().timestamp_millis()
}

/// A published template in a pack of two coupons of it; answers the pack id.
async fn pack(h: &H, t: &Tenant) -> String {
    let tpl = published(h, t, amount_off(0, 0)).await;
    coupons(h)
        .create_coupon_pack(with(
            pb::CreateCouponPackRequest {
                pack: Some(pb::CouponPack {
                    name: "会员月度券包".into(),
                    items: vec![pb::CouponPackItem {
                        template_id: tpl,
                        quantity: 2,
                    }],
                    enabled: true,
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

/// A GOLD plan with the pack and 1.5× extra points.
async fn gold_plan(h: &H, t: &Tenant, period: pb::PaidPlanPeriod) -> String {
    let pack_id = pack(h, t).await;
    paid(h)
        .create_paid_plan(with(
            pb::CreatePaidPlanRequest {
                plan: Some(pb::PaidPlan {
                    name: "黑金卡".into(),
                    period: period as i32,
                    price: cny(3_000),
                    tier_code: "GOLD".into(),
                    monthly_coupon_pack_id: pack_id,
                    points_multiplier_bps: 15_000,
                    on_sale: true,
                    ..Default::default()
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .plan
        .unwrap()
        .plan_id
}

fn activation(
    member: &str,
    plan: &str,
    order: &str,
    at_ms: i64,
) -> pb::ActivatePaidMembershipRequest {
    pb::ActivatePaidMembershipRequest {
        member_id: member.into(),
        plan_id: plan.into(),
        order_id: order.into(),
        amount_paid: cny(3_000),
        paid_at: Some(timestamp_ms(at_ms)),
        auto_renew: false,
    }
}

async fn activate(h: &H, t: &Tenant, member: &str, plan: &str, order: &str) {
    paid(h)
        .activate_paid_membership(with(activation(member, plan, order, now_ms(h)), &t.service))
        .await
        .unwrap();
}

async fn revoke(h: &H, t: &Tenant, order: &str) {
    paid(h)
        .revoke_paid_membership(with(
            pb::RevokePaidMembershipRequest {
                order_id: order.into(),
                refund_id: id(),
                reason: "整单退款".into(),
            },
            &t.service,
        ))
        .await
        .unwrap();
}

/// The member's coupons with `status` (stored number).
async fn coupon_count(h: &H, member: &str, status: i16) -> i64 {
    h.scalar(
        "SELECT COUNT(*) FROM mem_coupons WHERE member_id = $1 AND status = $2",
        vec![
            Value::Uuid(Some(member.parse().unwrap())),
            Value::SmallInt(Some(status)),
        ],
    )
    .await
}

async fn tier_events(h: &H, t: &Tenant) -> i64 {
    h.scalar(
        "SELECT COUNT(*) FROM siyu_outbox WHERE tenant = $1 AND subject = 'membership.tier_changed'",
        vec![Value::Uuid(Some(t.id.0))],
    )
    .await
}

async fn earning_rule(h: &H, t: &Tenant) -> String {
    h.ledger()
        .create_earning_rule(with(
            pb::CreateEarningRuleRequest {
                rule: Some(pb::EarningRule {
                    name: "消费积分".into(),
                    trigger: pb::EarningTrigger::OrderPaid as i32,
                    enabled: true,
                    points_per_yuan: 1,
                    ..Default::default()
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .rule
        .unwrap()
        .rule_id
}

async fn earn(h: &H, t: &Tenant, member: &str, rule: &str) -> i64 {
    h.ledger()
        .earn_points(with(
            pb::EarnPointsRequest {
                member_id: member.into(),
                idempotency_key: format!("earn:order:{}", id()),
                rule_id: rule.into(),
                eligible_amount: cny(10_001),
                ..Default::default()
            },
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .points
}

async fn floor_pack_multiplier_and_revocation(h: H) {
    let t = Tenant::new(&h).await;
    ladder(&h, &t).await;
    let plan = gold_plan(&h, &t, pb::PaidPlanPeriod::Month).await;
    let rule = earning_rule(&h, &t).await;
    let (member, _) = t.member(&h).await;
    assert_eq!(earn(&h, &t, &member, &rule).await, 100, "BRONZE earns 1×");
    let before = tier_events(&h, &t).await;

    let order = id();
    activate(&h, &t, &member, &plan, &order).await;
    let s = standing(&h, &t.admin, &member).await;
    let tier = s.tier.unwrap();
    assert_eq!(tier.tier_code, "GOLD", "the plan's tier is held at once");
    assert!(tier.from_paid_membership);
    assert_eq!(
        tier_events(&h, &t).await,
        before + 1,
        "TierChanged BRONZE → GOLD"
    );
    assert_eq!(
        coupon_count(&h, &member, 2).await,
        2,
        "the pack at activation"
    );
    assert_eq!(
        earn(&h, &t, &member, &rule).await,
        300,
        "GOLD 2× times the plan's 1.5×"
    );
    // A repeat of the activation gives nothing more.
    activate(&h, &t, &member, &plan, &order).await;
    assert_eq!(coupon_count(&h, &member, 2).await, 2);
    assert_eq!(tier_events(&h, &t).await, before + 1);

    // Growth reaching SILVER under the GOLD floor changes nothing the member holds.
    adjust(&h, &t, &member, 100, "t:silver").await;
    assert_eq!(
        standing(&h, &t.admin, &member)
            .await
            .tier
            .unwrap()
            .tier_code,
        "GOLD"
    );
    assert_eq!(
        tier_events(&h, &t).await,
        before + 1,
        "no TierChanged under the floor"
    );

    // Revoked: the unused pack coupons go, the member falls back to what growth holds.
    revoke(&h, &t, &order).await;
    assert_eq!(coupon_count(&h, &member, 2).await, 0);
    assert_eq!(coupon_count(&h, &member, 6).await, 2, "revoked");
    let tier = standing(&h, &t.admin, &member).await.tier.unwrap();
    assert_eq!(tier.tier_code, "SILVER");
    assert!(!tier.from_paid_membership);
    assert_eq!(
        tier_events(&h, &t).await,
        before + 2,
        "TierChanged GOLD → SILVER"
    );
    assert_eq!(earn(&h, &t, &member, &rule).await, 150, "SILVER 1.5× alone");
    revoke(&h, &t, &order).await;
    assert_eq!(
        tier_events(&h, &t).await,
        before + 2,
        "a repeat changes nothing"
    );
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM mem_tier_changes WHERE cause = 'PAID_MEMBERSHIP'",
            vec![]
        )
        .await,
        2
    );
}

#[tokio::test]
async fn floor_pack_multiplier_and_revocation_on_postgres() {
    floor_pack_multiplier_and_revocation(H::pg().await).await;
}

#[tokio::test]
async fn floor_pack_multiplier_and_revocation_on_sqlite() {
    floor_pack_multiplier_and_revocation(H::sqlite().await).await;
}

async fn racing_activations_grant_one_pack(h: H) {
    let t = Tenant::new(&h).await;
    ladder(&h, &t).await;
    let plan = gold_plan(&h, &t, pb::PaidPlanPeriod::Month).await;
    let (member, _) = t.member(&h).await;
    let order = id();
    let now = now_ms(&h);
    let done = join_all((0..16).map(|_| {
        let mut c = paid(&h);
        let req = keyed(activation(&member, &plan, &order, now), &t.service, &id());
        async move { c.activate_paid_membership(req).await }
    }))
    .await;
    for r in done {
        r.unwrap();
    }
    assert_eq!(
        coupon_count(&h, &member, 2).await,
        2,
        "one pack for one order"
    );
    assert_eq!(tier_events(&h, &t).await, 1, "one TierChanged");
    // Renewals in the same month add periods, not packs.
    let renewals = join_all((0..8).map(|_| {
        let mut c = paid(&h);
        let req = keyed(activation(&member, &plan, &id(), now), &t.service, &id());
        async move { c.activate_paid_membership(req).await }
    }))
    .await;
    for r in renewals {
        r.unwrap();
    }
    assert_eq!(
        coupon_count(&h, &member, 2).await,
        2,
        "once per member and month"
    );
}

#[tokio::test]
async fn racing_activations_grant_one_pack_on_postgres() {
    racing_activations_grant_one_pack(H::pg().await).await;
}

#[tokio::test]
async fn racing_activations_grant_one_pack_on_sqlite() {
    racing_activations_grant_one_pack(H::sqlite().await).await;
}

/// Polls until `done` holds (the job runners work in the background).
async fn until<F: std::future::Future<Output = bool>>(what: &str, done: impl Fn() -> F) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not happen"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A second replica of the service with its job runners, on the same database and clock.
async fn second_runner(h: &H) -> Application {
    let mut s = Settings {
        database: siyu_config::DatabaseSettings::new(h.db.url()),
        ..Settings::default()
    };
    s.server.grpc_addr = "127.0.0.1:0".parse().unwrap();
    s.server.admin_addr = "127.0.0.1:0".parse().unwrap();
    s.membership.run_jobs = true;
    let key = siyu_auth::SigningKey::ed25519_from_seed("k1", &[7u8; 32]).unwrap();
    Application::build_with(
        s,
        Overrides {
            clock: Some(Arc::new(h.clock.clone())),
            jwks: Some(siyu_auth::SigningKey::jwks([&key])),
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn monthly_packs_come_once_under_two_runners_and_the_floor_ends_with_the_period() {
    let h = H::pg_with_jobs().await;
    let _replica = second_runner(&h).await;
    let t = Tenant::new(&h).await;
    ladder(&h, &t).await;
    let plan = gold_plan(&h, &t, pb::PaidPlanPeriod::Quarter).await;
    let (member, _) = t.member(&h).await;
    let first = id();
    activate(&h, &t, &member, &plan, &first).await;
    activate(&h, &t, &member, &plan, &id()).await;
    assert_eq!(coupon_count(&h, &member, 2).await, 2);
    // The first quarter refunded: its pack goes, the renewal moves up to now and takes this
    // month's pack; the jobs of both quarters' months are now due at the same times twice.
    revoke(&h, &t, &first).await;
    assert_eq!(coupon_count(&h, &member, 6).await, 2);
    assert_eq!(
        coupon_count(&h, &member, 2).await,
        2,
        "the renewal's pack of this month"
    );
    assert_eq!(
        standing(&h, &t.admin, &member)
            .await
            .tier
            .unwrap()
            .tier_code,
        "GOLD"
    );

    for month in 1..=2 {
        h.advance_days(31);
        until("the month's pack", || async {
            coupon_count(&h, &member, 2).await >= 2 * (month + 1)
        })
        .await;
    }
    // Give duplicate jobs time to run: still one pack per month.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        coupon_count(&h, &member, 2).await,
        6,
        "three months, three packs"
    );
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM mem_paid_packs WHERE grant_id IS NOT NULL",
            vec![]
        )
        .await,
        3
    );

    let events = tier_events(&h, &t).await;
    h.advance_days(31);
    until("the fall back at the period's end", || async {
        standing(&h, &t.admin, &member)
            .await
            .tier
            .is_some_and(|t| t.tier_code == "BRONZE")
    })
    .await;
    assert_eq!(
        tier_events(&h, &t).await,
        events + 1,
        "TierChanged GOLD → BRONZE once"
    );
    let rule = earning_rule(&h, &t).await;
    assert_eq!(
        earn(&h, &t, &member, &rule).await,
        100,
        "no extra multiplier after the end"
    );
    assert!(h.clock.now().timestamp_millis() > 0);
}
