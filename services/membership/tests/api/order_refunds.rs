//! OrderRefunded, OrderSettled and OrderCancelled consumed from the real NATS bus, and
//! ReverseEarnedPoints: what an order earned taken back on the same base, proportionally and
//! exactly once per refund — delivered twice, out of order, by many handlers at once, or
//! racing the RPC — never below zero (the rest a shortfall), completion-credited points net of
//! refunds, and a cancelled order's holds released once.

use futures::future::join_all;
use prost::Message;
use siyu_proto::events::v1 as ev;
use siyu_proto::membership::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::bad_input::{BAD, Case, INVALID, check, ok};
use crate::bus_events;
use crate::harness::{H, Tenant, cny, id, reason, with};
use crate::order_events::{handled, money, order_paid, publish, rule};
use crate::tiers::{ladder, standing};

/// The two lines every order of these tests has: ¥80.50 and ¥40 of cash.
const LINES: [i64; 2] = [8_050, 4_000];

fn envelope(t: &Tenant, event: Uuid, type_name: &str, payload: Vec<u8>) -> Vec<u8> {
    bus_events::envelope(t, "orders", &event.to_string(), type_name, payload)
}

/// The order's snapshot, `refunded[i]` fen refunded so far on line i.
fn snapshot(order: Uuid, member: &str, refunded: [i64; 2]) -> ev::OrderSnapshot {
    ev::OrderSnapshot {
        order_id: order.to_string(),
        member_id: member.into(),
        kind: ev::OrderKind::Goods as i32,
        lines: LINES
            .iter()
            .zip(refunded)
            .enumerate()
            .map(|(i, (cash, back))| ev::OrderEventLine {
                order_line_id: format!("line-{i}"),
                quantity: 1,
                cash_amount: money(*cash),
                refunded_amount: money(back),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// OrderRefunded of `refund` giving back `cash[i]` on line i.
fn refunded(
    t: &Tenant,
    event: Uuid,
    order: Uuid,
    member: &str,
    refund: Uuid,
    cash: [i64; 2],
) -> Vec<u8> {
    let r = ev::OrderRefunded {
        order: Some(snapshot(order, member, cash)),
        refund_id: refund.to_string(),
        reason: "AFTER_SALE".into(),
        lines: cash
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| ev::OrderRefundedLine {
                order_line_id: format!("line-{i}"),
                quantity: 1,
                cash_amount: money(*c),
                ..Default::default()
            })
            .collect(),
        amount: money(cash.iter().sum()),
        ..Default::default()
    };
    envelope(t, event, "OrderRefunded", r.encode_to_vec())
}

fn settled(t: &Tenant, event: Uuid, order: Uuid, member: &str, refunded: [i64; 2]) -> Vec<u8> {
    let s = ev::OrderSettled {
        order: Some(snapshot(order, member, refunded)),
        fully_refunded: refunded == LINES,
        ..Default::default()
    };
    envelope(t, event, "OrderSettled", s.encode_to_vec())
}

fn cancelled(t: &Tenant, event: Uuid, order: Uuid, member: &str, was_paid: bool) -> Vec<u8> {
    let c = ev::OrderCancelled {
        order: Some(snapshot(order, member, [0, 0])),
        cancelled_by: ev::OrderCancelledBy::Timeout as i32,
        reason: "PAYMENT_TIMEOUT".into(),
        was_paid,
        ..Default::default()
    };
    envelope(t, event, "OrderCancelled", c.encode_to_vec())
}

fn new() -> Uuid {
    siyu_core::id::new()
}

async fn growth(h: &H, token: &str) -> i64 {
    standing(h, token, "").await.growth_value
}

async fn reversals(h: &H) -> i64 {
    h.scalar(
        "SELECT COUNT(*) FROM mem_entries WHERE idempotency_key LIKE 'reverse:earn:%'",
        vec![],
    )
    .await
}

fn reverse(order: Uuid, refund: Uuid, points: i64, amount: i64) -> pb::ReverseEarnedPointsRequest {
    pb::ReverseEarnedPointsRequest {
        order_id: order.to_string(),
        refund_id: refund.to_string(),
        points,
        refunded_amount: (amount > 0).then(|| cny(amount)).flatten(),
    }
}

#[tokio::test]
async fn a_refund_delivered_twice_reverses_once_and_partial_refunds_end_at_the_whole() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    ladder(&h, &t).await;
    rule(&h, &t).await;
    let (member, token) = t.member(&h).await;
    let order = new();
    publish(
        &bus,
        &order_paid(&t, new(), order, &member, ev::OrderKind::Goods),
    )
    .await;
    handled(&h, 1).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 241);
    assert_eq!(growth(&h, &token).await, 120);
    // ¥40 of ¥120.50 back, the same event delivered twice: floor(241 × 4000 / 12050) = 80
    // points and floor(120 × 4000 / 12050) = 39 growth.
    let first = refunded(&t, new(), order, &member, new(), [0, 4_000]);
    publish(&bus, &first).await;
    publish(&bus, &first).await;
    handled(&h, 2).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 161);
    assert_eq!(growth(&h, &token).await, 81);
    // The rest back: exactly what is left of both, whatever the floors took before.
    publish(
        &bus,
        &refunded(&t, new(), order, &member, new(), [8_050, 0]),
    )
    .await;
    handled(&h, 3).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 0);
    assert_eq!(growth(&h, &token).await, 0);
    // A decrease never moves the member down: SILVER stays until re-evaluation.
    assert_eq!(
        standing(&h, &token, "").await.tier.unwrap().tier_code,
        "SILVER"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(reversals(&h).await, 2);
    let journal = h
        .ledger()
        .list_journal_entries(with(
            pb::ListJournalEntriesRequest {
                member_id: member.clone(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let reversed: Vec<i64> = journal
        .entries
        .iter()
        .filter(|e| e.r#type == pb::JournalEntryType::EarnReversal as i32)
        .map(|e| e.points_delta)
        .collect();
    assert_eq!(reversed.iter().sum::<i64>(), -241, "{reversed:?}");
    crate::harness::assert_invariants(&h).await;
}

#[tokio::test]
async fn a_refund_delivered_before_its_payment_is_applied_right_after_it() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    ladder(&h, &t).await;
    rule(&h, &t).await;
    let (member, token) = t.member(&h).await;
    let order = new();
    publish(
        &bus,
        &refunded(&t, new(), order, &member, new(), [0, 4_000]),
    )
    .await;
    handled(&h, 1).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 0);
    assert_eq!(reversals(&h).await, 0, "nothing earned yet, nothing taken");
    publish(
        &bus,
        &order_paid(&t, new(), order, &member, ev::OrderKind::Goods),
    )
    .await;
    handled(&h, 2).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 161);
    assert_eq!(growth(&h, &token).await, 81);
    assert_eq!(reversals(&h).await, 1);
    crate::harness::assert_invariants(&h).await;
}

#[tokio::test]
async fn spent_points_are_a_shortfall_never_a_negative_balance() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    rule(&h, &t).await;
    let (member, _) = t.member(&h).await;
    let app = siyu_membership::app::App::new(h.db.db.clone(), std::sync::Arc::new(h.clock.clone()));
    let handle = |body: Vec<u8>| {
        let app = app.clone();
        async move {
            siyu_membership::events::consume::handle(&app, &body, &siyu_core::id::new_string())
                .await
                .unwrap();
        }
    };
    let order = new();
    handle(order_paid(&t, new(), order, &member, ev::OrderKind::Goods)).await;
    h.ledger()
        .redeem_points(with(
            pb::RedeemPointsRequest {
                member_id: member.clone(),
                points: 200,
                idempotency_key: id(),
                purpose: 1,
                ..Default::default()
            },
            &t.service,
        ))
        .await
        .unwrap();
    let refund = new();
    handle(refunded(&t, new(), order, &member, refund, LINES)).await;
    let b = t.balances(&h, &member).await;
    assert_eq!((b.points_available, b.points_held), (0, 0));
    // The RPC under the same refund answers what the event did: 41 taken, 200 short.
    let again = h
        .ledger()
        .reverse_earned_points(with(reverse(order, refund, 0, 12_050), &t.service))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((again.reversed_points, again.shortfall_points), (41, 200));
    assert_eq!(again.entry.unwrap().points_delta, -41);
    // Nothing is left to take back, even by an explicit amount under another refund.
    let more = h
        .ledger()
        .reverse_earned_points(with(reverse(order, new(), 10, 0), &t.service))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((more.reversed_points, more.shortfall_points), (0, 0));
    let report = h
        .ledger()
        .get_points_liability_report(with(
            pb::GetPointsLiabilityReportRequest::default(),
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((report.shortfall_points, report.reversed_points), (200, 41));
    crate::harness::assert_invariants(&h).await;
}

#[tokio::test]
async fn many_handlers_and_the_rpc_of_one_refund_reverse_it_once() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    rule(&h, &t).await;
    let (member, _) = t.member(&h).await;
    let app = siyu_membership::app::App::new(h.db.db.clone(), std::sync::Arc::new(h.clock.clone()));
    let order = new();
    siyu_membership::events::consume::handle(
        &app,
        &order_paid(&t, new(), order, &member, ev::OrderKind::Goods),
        "m",
    )
    .await
    .unwrap();
    let refund = new();
    // 16 deliveries of one event, 8 distinct events of the refund, 4 RPC calls: all at once.
    let same = refunded(&t, new(), order, &member, refund, [0, 4_000]);
    let mut bodies: Vec<Vec<u8>> = (0..16).map(|_| same.clone()).collect();
    bodies.extend((0..8).map(|_| refunded(&t, new(), order, &member, refund, [0, 4_000])));
    let events = bodies.iter().map(|b| {
        let app = app.clone();
        async move {
            siyu_membership::events::consume::handle(&app, b, &siyu_core::id::new_string())
                .await
                .unwrap();
        }
    });
    let calls = (0..4).map(|_| {
        let mut l = h.ledger();
        let svc = t.service.clone();
        async move {
            l.reverse_earned_points(with(reverse(order, refund, 0, 4_000), &svc))
                .await
                .unwrap()
                .into_inner()
        }
    });
    let (_, answers) = tokio::join!(join_all(events), join_all(calls));
    for a in answers {
        assert_eq!((a.reversed_points, a.shortfall_points), (80, 0));
    }
    assert_eq!(t.balances(&h, &member).await.points_available, 161);
    assert_eq!(reversals(&h).await, 1);
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM mem_growth_changes WHERE idempotency_key LIKE 'growth:refund:%'",
            vec![]
        )
        .await,
        1
    );
    crate::harness::assert_invariants(&h).await;
}

#[tokio::test]
async fn settlement_credits_completion_rules_net_of_refunds_in_any_order() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    h.ledger()
        .create_earning_rule(with(
            pb::CreateEarningRuleRequest {
                rule: Some(pb::EarningRule {
                    name: "完成后积分".into(),
                    trigger: pb::EarningTrigger::OrderPaid as i32,
                    enabled: true,
                    points_per_yuan: 2,
                    credit_on_completion: true,
                    ..Default::default()
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap();
    let (member, token) = t.member(&h).await;
    // In order: paid (growth only), ¥40 refunded, settled with that refund in its lines.
    let order = new();
    publish(
        &bus,
        &order_paid(&t, new(), order, &member, ev::OrderKind::Goods),
    )
    .await;
    handled(&h, 1).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 0);
    assert_eq!(growth(&h, &token).await, 120);
    publish(
        &bus,
        &refunded(&t, new(), order, &member, new(), [0, 4_000]),
    )
    .await;
    handled(&h, 2).await;
    assert_eq!(growth(&h, &token).await, 81);
    let settle = settled(&t, new(), order, &member, [0, 4_000]);
    publish(&bus, &settle).await;
    publish(&bus, &settle).await;
    handled(&h, 3).await;
    // 2 points per yuan of the ¥80.50 not refunded.
    assert_eq!(t.balances(&h, &member).await.points_available, 161);
    // Out of order: settled, then its refund, then the payment — the same effect.
    let second = new();
    publish(&bus, &settled(&t, new(), second, &member, [0, 4_000])).await;
    handled(&h, 4).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 322);
    publish(
        &bus,
        &refunded(&t, new(), second, &member, new(), [0, 4_000]),
    )
    .await;
    handled(&h, 5).await;
    publish(
        &bus,
        &order_paid(&t, new(), second, &member, ev::OrderKind::Goods),
    )
    .await;
    handled(&h, 6).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 322);
    assert_eq!(growth(&h, &token).await, 162);
    assert_eq!(
        reversals(&h).await,
        0,
        "settled points are never taken back"
    );
    // A fully refunded order settles nothing.
    let third = new();
    publish(
        &bus,
        &order_paid(&t, new(), third, &member, ev::OrderKind::Goods),
    )
    .await;
    publish(&bus, &refunded(&t, new(), third, &member, new(), LINES)).await;
    publish(&bus, &settled(&t, new(), third, &member, LINES)).await;
    handled(&h, 9).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 322);
    assert_eq!(growth(&h, &token).await, 162);
    // Staff may still take settled points back by an explicit amount.
    let fix = h
        .ledger()
        .reverse_earned_points(with(reverse(order, new(), 10, 0), &t.admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((fix.reversed_points, fix.shortfall_points), (10, 0));
    assert_eq!(t.balances(&h, &member).await.points_available, 312);
    crate::harness::assert_invariants(&h).await;
}

#[tokio::test]
async fn cancelling_an_unpaid_order_releases_its_holds_once() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    t.earn(&h, &member, 500).await;
    let order = new();
    h.ledger()
        .hold_points(with(
            pb::HoldPointsRequest {
                member_id: member.clone(),
                order_id: order.to_string(),
                points: 200,
                ..Default::default()
            },
            &t.service,
        ))
        .await
        .unwrap();
    assert_eq!(t.balances(&h, &member).await.points_held, 200);
    let body = cancelled(&t, new(), order, &member, false);
    publish(&bus, &body).await;
    publish(&bus, &body).await;
    publish(&bus, &cancelled(&t, new(), order, &member, false)).await;
    handled(&h, 2).await;
    let b = t.balances(&h, &member).await;
    assert_eq!((b.points_available, b.points_held), (500, 0));
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM mem_entries WHERE idempotency_key LIKE 'release:%'",
            vec![]
        )
        .await,
        1
    );
    // A paid order's cancellation leaves its captured hold to the refund that follows.
    let paid = new();
    let hold = pb::HoldPointsRequest {
        member_id: member.clone(),
        order_id: paid.to_string(),
        points: 100,
        ..Default::default()
    };
    h.ledger()
        .hold_points(with(hold, &t.service))
        .await
        .unwrap();
    h.ledger()
        .capture_points(with(
            pb::CapturePointsRequest {
                order_id: paid.to_string(),
            },
            &t.service,
        ))
        .await
        .unwrap();
    publish(&bus, &cancelled(&t, new(), paid, &member, true)).await;
    handled(&h, 3).await;
    let b = t.balances(&h, &member).await;
    assert_eq!((b.points_available, b.points_held), (400, 0));
    crate::harness::assert_invariants(&h).await;
}

#[tokio::test]
async fn reverse_earned_points_by_rpc_and_its_refusals() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    rule(&h, &t).await;
    let (member, consumer) = t.member(&h).await;
    let app = siyu_membership::app::App::new(h.db.db.clone(), std::sync::Arc::new(h.clock.clone()));
    let order = new();
    siyu_membership::events::consume::handle(
        &app,
        &order_paid(&t, new(), order, &member, ev::OrderKind::Goods),
        "m",
    )
    .await
    .unwrap();
    let mut l = h.ledger();
    // Staff take back an explicit 50; a repeat of the refund answers the first reversal.
    let refund = new();
    let first = l
        .reverse_earned_points(with(reverse(order, refund, 50, 0), &t.admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((first.reversed_points, first.shortfall_points), (50, 0));
    let entry = first.entry.unwrap();
    assert_eq!(entry.r#type, pb::JournalEntryType::EarnReversal as i32);
    assert_eq!(entry.refund_id, refund.to_string());
    let repeat = l
        .reverse_earned_points(with(reverse(order, refund, 70, 0), &t.service))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(repeat.entry.unwrap().entry_id, entry.entry_id);
    assert_eq!(repeat.reversed_points, 50);
    // Proportional to the base: half of ¥120.50 → 120 in all, 70 more after the 50.
    let half = l
        .reverse_earned_points(with(reverse(order, new(), 0, 6_025), &t.service))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(half.reversed_points, 70);
    assert_eq!(t.balances(&h, &member).await.points_available, 241 - 120);

    let usd = Some(siyu_proto::common::v1::Money {
        minor_units: 100,
        currency_code: "USD".into(),
    });
    let svc = t.service.clone();
    let cases: Vec<Case> = vec![
        (
            "malformed order id",
            ok(l.reverse_earned_points(with(
                pb::ReverseEarnedPointsRequest {
                    order_id: "order-1".into(),
                    ..reverse(order, new(), 1, 0)
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "order_id",
        ),
        (
            "missing refund id",
            ok(l.reverse_earned_points(with(
                pb::ReverseEarnedPointsRequest {
                    refund_id: String::new(),
                    ..reverse(order, new(), 1, 0)
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "refund_id",
        ),
        (
            "negative points",
            ok(
                l.reverse_earned_points(with(reverse(order, new(), -5, 0), &svc))
                    .await,
            ),
            BAD,
            INVALID,
            "points",
        ),
        (
            "neither points nor amount",
            ok(
                l.reverse_earned_points(with(reverse(order, new(), 0, 0), &svc))
                    .await,
            ),
            BAD,
            INVALID,
            "refunded_amount",
        ),
        (
            "amount in USD",
            ok(l.reverse_earned_points(with(
                pb::ReverseEarnedPointsRequest {
                    refunded_amount: usd,
                    ..reverse(order, new(), 0, 0)
                },
                &svc,
            ))
            .await),
            BAD,
            "CURRENCY_NOT_SUPPORTED",
            "refunded_amount.currency_code",
        ),
        (
            "negative amount",
            ok(l.reverse_earned_points(with(
                pb::ReverseEarnedPointsRequest {
                    refunded_amount: cny(-1),
                    ..reverse(order, new(), 0, 0)
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "refunded_amount.minor_units",
        ),
        (
            "an order that earned nothing",
            ok(
                l.reverse_earned_points(with(reverse(new(), new(), 10, 0), &svc))
                    .await,
            ),
            Code::NotFound,
            "EARN_NOT_FOUND",
            "",
        ),
    ];
    check(cases);
    // Another tenant's order is not found; consumers and guides may not call it.
    let other = Tenant::new(&h).await;
    let s = l
        .reverse_earned_points(with(reverse(order, new(), 10, 0), &other.service))
        .await
        .unwrap_err();
    assert_eq!(
        (s.code(), reason(&s).as_str()),
        (Code::NotFound, "EARN_NOT_FOUND")
    );
    let s = l
        .reverse_earned_points(with(reverse(order, new(), 10, 0), &consumer))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::PermissionDenied);
    assert_eq!(t.balances(&h, &member).await.points_available, 121);
    crate::harness::assert_invariants(&h).await;
}
