//! Commission from orders' events on the real NATS bus: a chain of four members pays two
//! levels and never a third; OrderPaid, OrderRefunded (partial, proportional) and OrderSettled
//! each apply once when delivered twice, and the outcome is the same when they arrive out of
//! order; settled commission becomes available and is announced once.

use std::time::Duration;

use prost::Message;
use siyu_proto::common::v1::Money;
use siyu_proto::events::v1 as ev;
use siyu_proto::membership::v1 as pb;
use siyu_store::Bus;
use uuid::Uuid;

use crate::bus_events;
use crate::distribution::{code_of, dist, enrol_invited, policy};
use crate::harness::{H, Tenant, id, with};

fn money(fen: i64) -> Option<Money> {
    Some(Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

fn snapshot(order: Uuid, buyer: &str, lines: &[(&str, &str, i64)]) -> ev::OrderSnapshot {
    ev::OrderSnapshot {
        order_id: order.to_string(),
        member_id: buyer.into(),
        kind: ev::OrderKind::Goods as i32,
        lines: lines
            .iter()
            .map(|(line, sku, cash)| ev::OrderEventLine {
                order_line_id: (*line).into(),
                sku_id: (*sku).into(),
                quantity: 1,
                cash_amount: money(*cash),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn envelope(t: &Tenant, type_name: &str, payload: Vec<u8>) -> Vec<u8> {
    bus_events::envelope(t, "orders", &id(), type_name, payload)
}

/// Publishes `body` twice under fresh bus message ids (a redelivery, as the inbox sees it).
async fn twice(bus: &Bus, subject: &str, body: &[u8]) {
    for _ in 0..2 {
        bus_events::publish(bus, subject, body).await;
    }
}

async fn handled(h: &H, n: i64) {
    bus_events::handled(h, bus_events::ORDERS, n).await;
}

async fn entries(h: &H, t: &Tenant, member: &str) -> Vec<pb::CommissionEntry> {
    let mut all = dist(h)
        .list_commission_entries(with(
            pb::ListCommissionEntriesRequest {
                member_id: member.into(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .entries;
    all.sort_by(|a, b| {
        (a.order_id.clone(), a.sku_id.clone()).cmp(&(b.order_id.clone(), b.sku_id.clone()))
    });
    all
}

async fn balance(h: &H, t: &Tenant, member: &str) -> (i64, i64, i64) {
    let b = dist(h)
        .get_commission_balance(with(
            pb::GetCommissionBalanceRequest {
                member_id: member.into(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let f = |m: Option<Money>| m.map_or(0, |m| m.minor_units);
    (f(b.pending), f(b.available), f(b.lifetime_settled))
}

fn fen(m: &Option<Money>) -> i64 {
    m.as_ref().map_or(0, |m| m.minor_units)
}

#[tokio::test]
async fn a_chain_of_four_pays_two_levels_once_each_event_delivered_twice() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    // 10 % at level 1, 5 % at level 2; one SKU overridden to 20 % / 0 %.
    policy(&h, &t, 1_000, 500, 0).await;
    let special = id();
    dist(&h)
        .set_sku_commission_rate(with(
            pb::SetSkuCommissionRateRequest {
                rate: Some(pb::SkuCommissionRate {
                    sku_id: special.clone(),
                    level1_rate_bps: 2_000,
                    level2_rate_bps: 0,
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap();
    // A ← B ← C ← D: D buys; C is level 1, B level 2, A (level 3) earns nothing.
    let (a, a_token) = t.member(&h).await;
    let (b, b_token, _) = enrol_invited(&h, &t, &code_of(&h, &a_token).await).await;
    let (c, c_token, _) = enrol_invited(&h, &t, &code_of(&h, &b_token).await).await;
    let (d, _, _) = enrol_invited(&h, &t, &code_of(&h, &c_token).await).await;
    let order = siyu_core::id::new();
    let plain = id();
    let lines = [
        ("l1", special.as_str(), 10_000),
        ("l2", plain.as_str(), 5_000),
    ];
    let paid = ev::OrderPaid {
        order: Some(snapshot(order, &d.member_id, &lines)),
        ..Default::default()
    };
    twice(
        &bus,
        "orders.order_paid",
        &envelope(&t, "OrderPaid", paid.encode_to_vec()),
    )
    .await;
    handled(&h, 1).await;
    // C: ¥100 × 20 % + ¥50 × 10 %; B: the special SKU earns nothing at level 2, ¥50 × 5 %.
    let ec = entries(&h, &t, &c.member_id).await;
    let eb = entries(&h, &t, &b.member_id).await;
    let mut got_c: Vec<(i64, i32)> = ec.iter().map(|e| (fen(&e.amount), e.level)).collect();
    got_c.sort_unstable();
    assert_eq!(got_c, vec![(500, 1), (2_000, 1)]);
    assert_eq!(eb.len(), 1);
    assert_eq!((fen(&eb[0].amount), eb[0].level), (250, 2));
    assert!(
        entries(&h, &t, &a).await.is_empty(),
        "a third level never earns"
    );
    assert_eq!(balance(&h, &t, &c.member_id).await, (2_500, 0, 0));
    // Half of line 2 refunded, delivered twice: reversed in proportion, once.
    let refunded = ev::OrderRefunded {
        order: Some(snapshot(order, &d.member_id, &lines)),
        refund_id: id(),
        lines: vec![ev::OrderRefundedLine {
            order_line_id: "l2".into(),
            sku_id: plain.clone(),
            quantity: 1,
            cash_amount: money(2_500),
            ..Default::default()
        }],
        ..Default::default()
    };
    twice(
        &bus,
        "orders.order_refunded",
        &envelope(&t, "OrderRefunded", refunded.encode_to_vec()),
    )
    .await;
    handled(&h, 2).await;
    assert_eq!(balance(&h, &t, &c.member_id).await, (2_250, 0, 0));
    assert_eq!(balance(&h, &t, &b.member_id).await, (125, 0, 0));
    // Settled, twice: what is left becomes available, once, announced once per distributor.
    let settled = ev::OrderSettled {
        order: Some(snapshot(order, &d.member_id, &lines)),
        ..Default::default()
    };
    twice(
        &bus,
        "orders.order_settled",
        &envelope(&t, "OrderSettled", settled.encode_to_vec()),
    )
    .await;
    handled(&h, 3).await;
    assert_eq!(balance(&h, &t, &c.member_id).await, (0, 2_250, 2_250));
    assert_eq!(balance(&h, &t, &b.member_id).await, (0, 125, 125));
    assert_eq!(balance(&h, &t, &a).await, (0, 0, 0));
    let statuses: Vec<i32> = entries(&h, &t, &c.member_id)
        .await
        .iter()
        .map(|e| e.status)
        .collect();
    assert!(
        statuses
            .iter()
            .all(|s| *s == pb::CommissionStatus::Settled as i32)
    );
    // Give the duplicates time to arrive: they changed nothing.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(balance(&h, &t, &c.member_id).await, (0, 2_250, 2_250));
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM siyu_outbox WHERE subject = 'membership.commission_settled'",
            vec![]
        )
        .await,
        2
    );
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM mem_commission_entries", vec![])
            .await,
        3
    );
}

#[tokio::test]
async fn events_out_of_order_end_as_in_order() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    policy(&h, &t, 1_000, 0, 0).await;
    let (a, a_token) = t.member(&h).await;
    let (b, _, _) = enrol_invited(&h, &t, &code_of(&h, &a_token).await).await;
    let sku = id();
    // Order 1: the settlement arrives first, then the payment → settled at once.
    let first = siyu_core::id::new();
    let lines = [("l1", sku.as_str(), 8_000)];
    let settled = ev::OrderSettled {
        order: Some(snapshot(first, &b.member_id, &lines)),
        ..Default::default()
    };
    twice(
        &bus,
        "orders.order_settled",
        &envelope(&t, "OrderSettled", settled.encode_to_vec()),
    )
    .await;
    handled(&h, 1).await;
    let paid = ev::OrderPaid {
        order: Some(snapshot(first, &b.member_id, &lines)),
        ..Default::default()
    };
    twice(
        &bus,
        "orders.order_paid",
        &envelope(&t, "OrderPaid", paid.encode_to_vec()),
    )
    .await;
    handled(&h, 2).await;
    assert_eq!(balance(&h, &t, &a).await, (0, 800, 800));
    // Order 2: a full refund before the payment → the entry is REVERSED, nothing pending.
    let second = siyu_core::id::new();
    let lines = [("l9", sku.as_str(), 3_000)];
    let refunded = ev::OrderRefunded {
        order: Some(snapshot(second, &b.member_id, &lines)),
        refund_id: id(),
        lines: vec![ev::OrderRefundedLine {
            order_line_id: "l9".into(),
            cash_amount: money(3_000),
            ..Default::default()
        }],
        full_refund: true,
        ..Default::default()
    };
    twice(
        &bus,
        "orders.order_refunded",
        &envelope(&t, "OrderRefunded", refunded.encode_to_vec()),
    )
    .await;
    handled(&h, 3).await;
    let paid = ev::OrderPaid {
        order: Some(snapshot(second, &b.member_id, &lines)),
        ..Default::default()
    };
    twice(
        &bus,
        "orders.order_paid",
        &envelope(&t, "OrderPaid", paid.encode_to_vec()),
    )
    .await;
    handled(&h, 4).await;
    let e: Vec<pb::CommissionEntry> = entries(&h, &t, &a)
        .await
        .into_iter()
        .filter(|e| e.order_id == second.to_string())
        .collect();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].status, pb::CommissionStatus::Reversed as i32);
    assert_eq!(fen(&e[0].reversed_amount), 300);
    assert_eq!(balance(&h, &t, &a).await, (0, 800, 800));
    // The buyer's invitee list now says they ordered.
    let invitees = dist(&h)
        .list_invitees(with(
            pb::ListInviteesRequest {
                member_id: a.clone(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .invitees;
    assert!(invitees[0].has_ordered);
}

/// 16 handlers of one order at once — 8 distinct OrderPaid and 8 distinct deliveries of one
/// refund — then 8 OrderSettled at once: one entry per line and level, the refund reversed
/// once, the settlement credited once.
async fn handlers_of_one_order_at_once(h: H) {
    use futures::future::join_all;
    let t = Tenant::new(&h).await;
    policy(&h, &t, 1_000, 500, 0).await;
    let (a, a_token) = t.member(&h).await;
    let (b, b_token, _) = enrol_invited(&h, &t, &code_of(&h, &a_token).await).await;
    let (c, _, _) = enrol_invited(&h, &t, &code_of(&h, &b_token).await).await;
    let app = siyu_membership::app::App::new(h.db.db.clone(), std::sync::Arc::new(h.clock.clone()));
    let order = siyu_core::id::new();
    let sku = id();
    let lines = [("l1", sku.as_str(), 20_000)];
    let refund = id();
    let mut bodies = Vec::new();
    for _ in 0..8 {
        let paid = ev::OrderPaid {
            order: Some(snapshot(order, &c.member_id, &lines)),
            ..Default::default()
        };
        bodies.push(envelope(&t, "OrderPaid", paid.encode_to_vec()));
        let refunded = ev::OrderRefunded {
            order: Some(snapshot(order, &c.member_id, &lines)),
            refund_id: refund.clone(),
            lines: vec![ev::OrderRefundedLine {
                order_line_id: "l1".into(),
                cash_amount: money(5_000),
                ..Default::default()
            }],
            ..Default::default()
        };
        bodies.push(envelope(&t, "OrderRefunded", refunded.encode_to_vec()));
    }
    let run = |bodies: Vec<Vec<u8>>| {
        let app = app.clone();
        async move {
            join_all(bodies.iter().map(|b| {
                let app = app.clone();
                async move {
                    siyu_membership::events::consume::handle(&app, b, &id())
                        .await
                        .unwrap();
                }
            }))
            .await;
        }
    };
    run(bodies).await;
    // ¥200 at 10 % and 5 %, a quarter refunded (by one refund, however often delivered).
    assert_eq!(balance(&h, &t, &b.member_id).await, (1_500, 0, 0));
    assert_eq!(balance(&h, &t, &a).await, (750, 0, 0));
    let settled: Vec<Vec<u8>> = (0..8)
        .map(|_| {
            let s = ev::OrderSettled {
                order: Some(snapshot(order, &c.member_id, &lines)),
                ..Default::default()
            };
            envelope(&t, "OrderSettled", s.encode_to_vec())
        })
        .collect();
    run(settled).await;
    assert_eq!(balance(&h, &t, &b.member_id).await, (0, 1_500, 1_500));
    assert_eq!(balance(&h, &t, &a).await, (0, 750, 750));
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM mem_commission_entries", vec![])
            .await,
        2
    );
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM siyu_outbox WHERE subject = 'membership.commission_settled'",
            vec![]
        )
        .await,
        2
    );
}

#[tokio::test]
async fn handlers_of_one_order_at_once_apply_once_on_postgres() {
    handlers_of_one_order_at_once(H::pg().await).await;
}

#[tokio::test]
async fn handlers_of_one_order_at_once_apply_once_on_sqlite() {
    handlers_of_one_order_at_once(H::sqlite().await).await;
}
