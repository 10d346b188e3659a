//! Orders' OrderPaid consumed from the real NATS bus: points by the ORDER_PAID rule with the
//! tier multiplier and growth by the tier policy, exactly once — the same event delivered
//! twice, two events of one order published at once, other order kinds earning nothing.

use std::time::Duration;

use futures::future::join_all;
use prost::Message;
use siyu_proto::common::v1::Money;
use siyu_proto::events::v1 as ev;
use siyu_proto::membership::v1 as pb;
use siyu_store::Bus;
use uuid::Uuid;

use crate::bus_events;
use crate::harness::{H, Tenant, with};
use crate::tiers::{ladder, standing};

pub(crate) fn money(fen: i64) -> Option<Money> {
    Some(Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

/// An OrderPaid envelope (event id `event`) of `order` for `member`: two lines, ¥80.50 and
/// ¥40 of cash.
pub(crate) fn order_paid(
    t: &Tenant,
    event: Uuid,
    order: Uuid,
    member: &str,
    kind: ev::OrderKind,
) -> Vec<u8> {
    let line = |cash: i64| ev::OrderEventLine {
        order_line_id: siyu_core::id::new_string(),
        quantity: 1,
        cash_amount: money(cash),
        ..Default::default()
    };
    let paid = ev::OrderPaid {
        order: Some(ev::OrderSnapshot {
            order_id: order.to_string(),
            member_id: member.into(),
            kind: kind as i32,
            lines: vec![line(8_050), line(4_000)],
            ..Default::default()
        }),
        ..Default::default()
    };
    bus_events::envelope(
        t,
        "orders",
        &event.to_string(),
        "OrderPaid",
        paid.encode_to_vec(),
    )
}

/// Publishes under a fresh bus message id (a redelivery, as far as the inbox can tell).
pub(crate) async fn publish(bus: &Bus, body: &[u8]) {
    bus_events::publish(bus, "orders.order_paid", body).await;
}

pub(crate) async fn rule(h: &H, t: &Tenant) {
    h.ledger()
        .create_earning_rule(with(
            pb::CreateEarningRuleRequest {
                rule: Some(pb::EarningRule {
                    name: "消费积分".into(),
                    trigger: pb::EarningTrigger::OrderPaid as i32,
                    enabled: true,
                    points_per_yuan: 2,
                    ..Default::default()
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap();
}

pub(crate) async fn handled(h: &H, n: i64) {
    bus_events::handled(h, bus_events::ORDERS, n).await;
}

#[tokio::test]
async fn an_order_paid_twice_earns_once_with_the_tier_multiplier() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    ladder(&h, &t).await;
    rule(&h, &t).await;
    let (member, token) = t.member(&h).await;
    let order = siyu_core::id::new();
    let body = order_paid(
        &t,
        siyu_core::id::new(),
        order,
        &member,
        ev::OrderKind::Goods,
    );
    publish(&bus, &body).await;
    publish(&bus, &body).await;
    handled(&h, 1).await;
    // ¥120.50 of cash: 2 points per yuan at BRONZE's 1× → 241; growth 1 per whole yuan → 120,
    // which reaches SILVER at once.
    let b = t.balances(&h, &member).await;
    assert_eq!(b.points_available, 241);
    let s = standing(&h, &token, "").await;
    assert_eq!(s.growth_value, 120);
    assert_eq!(s.tier.unwrap().tier_code, "SILVER");
    // A second order now earns at SILVER's 1.5×.
    let second = siyu_core::id::new();
    publish(
        &bus,
        &order_paid(
            &t,
            siyu_core::id::new(),
            second,
            &member,
            ev::OrderKind::Goods,
        ),
    )
    .await;
    handled(&h, 2).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 241 + 361);
    assert_eq!(standing(&h, &token, "").await.growth_value, 240);
    // Give the duplicate delivery time to arrive: it is recorded once and changes nothing.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM mem_entries WHERE idempotency_key LIKE 'earn:order:%'",
            vec![]
        )
        .await,
        2
    );
    crate::harness::assert_invariants(&h).await;
}

#[tokio::test]
async fn events_of_one_order_published_at_once_apply_once() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    rule(&h, &t).await;
    let (member, _) = t.member(&h).await;
    let order = siyu_core::id::new();
    // Eight distinct events (the inbox cannot tell them apart) of one order, all at once.
    let bodies: Vec<Vec<u8>> = (0..8)
        .map(|_| {
            order_paid(
                &t,
                siyu_core::id::new(),
                order,
                &member,
                ev::OrderKind::Goods,
            )
        })
        .collect();
    join_all(bodies.iter().map(|b| publish(&bus, b))).await;
    handled(&h, 8).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 241);
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM mem_growth_changes", vec![])
            .await,
        1
    );
    // A top-up order earns nothing; an unknown member is recorded and skipped.
    publish(
        &bus,
        &order_paid(
            &t,
            siyu_core::id::new(),
            siyu_core::id::new(),
            &member,
            ev::OrderKind::StoredValueTopUp,
        ),
    )
    .await;
    publish(
        &bus,
        &order_paid(
            &t,
            siyu_core::id::new(),
            siyu_core::id::new(),
            &siyu_core::id::new_string(),
            ev::OrderKind::Goods,
        ),
    )
    .await;
    handled(&h, 9).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 241);
    crate::harness::assert_invariants(&h).await;
}

#[tokio::test]
async fn one_order_handled_by_many_replicas_at_once_earns_once() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    ladder(&h, &t).await;
    rule(&h, &t).await;
    let (member, token) = t.member(&h).await;
    // Each handler stands for a replica: its own connection pool checkout, no shared lock.
    let app = siyu_membership::app::App::new(h.db.db.clone(), std::sync::Arc::new(h.clock.clone()));
    let order = siyu_core::id::new();
    let same = order_paid(
        &t,
        siyu_core::id::new(),
        order,
        &member,
        ev::OrderKind::Goods,
    );
    let mut bodies: Vec<Vec<u8>> = (0..16).map(|_| same.clone()).collect();
    bodies.extend((0..8).map(|_| {
        order_paid(
            &t,
            siyu_core::id::new(),
            order,
            &member,
            ev::OrderKind::Goods,
        )
    }));
    let runs = bodies.iter().map(|b| {
        let app = app.clone();
        async move {
            siyu_membership::events::consume::handle(&app, b, &siyu_core::id::new_string()).await
        }
    });
    for r in join_all(runs).await {
        r.unwrap();
    }
    assert_eq!(t.balances(&h, &member).await.points_available, 241);
    let s = standing(&h, &token, "").await;
    assert_eq!(
        (s.growth_value, s.tier.unwrap().tier_code.as_str()),
        (120, "SILVER")
    );
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM siyu_inbox WHERE consumer = 'membership-orders'",
            vec![]
        )
        .await,
        9,
        "the same event recorded once, each distinct event once"
    );
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM mem_tier_changes", vec![])
            .await,
        1
    );
    crate::harness::assert_invariants(&h).await;
}
