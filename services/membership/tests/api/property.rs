//! Random sequences of earn / redeem / hold / capture / release / refund, paid orders and
//! reversals of their earned points, and passes of the expiry job, with time moving across lot
//! expiries: after every step every entry balances, every member balance is the sum
//! of its postings and never negative, the tenants' accounts mirror the members', refunds stay
//! within what was captured; every redemption and hold takes the oldest-expiring lots first,
//! and is refused exactly when the unexpired lots cannot cover it; an expiry pass leaves no due
//! lot open; an order's reversals never take back more than it earned, and all of it once its
//! whole base is refunded.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use siyu_core::Clock as _;
use siyu_membership::app::App;
use siyu_proto::common::v1::PageRequest;
use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::Code;

use crate::harness::{H, Tenant, assert_invariants, id, reason, with};
use crate::holds::{capture, hold, release};

#[derive(Debug, Clone)]
enum Op {
    Earn(i64, Option<i64>),
    Redeem(i64),
    Hold(usize, i64),
    Capture(usize),
    Release(usize),
    Refund(usize, i64),
    Advance(i64),
    Sell(usize),
    Reverse(usize, i64),
    ExpiryPass,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1i64..300, proptest::option::of(1i64..40)).prop_map(|(p, d)| Op::Earn(p, d)),
        2 => (1i64..250).prop_map(Op::Redeem),
        2 => (0usize..4, 1i64..250).prop_map(|(o, p)| Op::Hold(o, p)),
        1 => (0usize..4).prop_map(Op::Capture),
        1 => (0usize..4).prop_map(Op::Release),
        1 => (0usize..4, 1i64..150).prop_map(|(o, p)| Op::Refund(o, p)),
        1 => (1i64..20).prop_map(Op::Advance),
        1 => (0usize..3).prop_map(Op::Sell),
        1 => (0usize..3, 1i64..8_000).prop_map(|(o, fen)| Op::Reverse(o, fen)),
        1 => Just(Op::ExpiryPass),
    ]
}

/// The member's unexpired lots with points, in consumption order: (lot id, remaining).
async fn open_lots(h: &H, t: &Tenant, member: &str) -> Vec<(String, i64)> {
    let lots = h
        .ledger()
        .list_points_lots(with(
            pb::ListPointsLotsRequest {
                member_id: member.into(),
                page: Some(PageRequest {
                    page_size: 100,
                    page_token: String::new(),
                }),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    lots.lots
        .into_iter()
        .map(|l| (l.lot_id, l.remaining_points))
        .collect()
}

/// The lots the newest entry of `kind` took, as (lot id, points).
async fn taken_by_last(
    h: &H,
    t: &Tenant,
    member: &str,
    kind: pb::JournalEntryType,
) -> Vec<(String, i64)> {
    let entries = h
        .ledger()
        .list_journal_entries(with(
            pb::ListJournalEntriesRequest {
                member_id: member.into(),
                types: vec![kind as i32],
                page: Some(PageRequest {
                    page_size: 1,
                    page_token: String::new(),
                }),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    entries.entries[0]
        .postings
        .iter()
        .filter(|p| !p.lot_id.is_empty() && p.amount < 0)
        .map(|p| (p.lot_id.clone(), -p.amount))
        .collect()
}

/// What taking `points` oldest-first from `lots` gives.
fn oldest_first(lots: &[(String, i64)], points: i64) -> Vec<(String, i64)> {
    let mut left = points;
    let mut out = Vec::new();
    for (lot, remaining) in lots {
        if left == 0 {
            break;
        }
        let n = left.min(*remaining);
        out.push((lot.clone(), n));
        left -= n;
    }
    out
}

/// A refusal must be one the contract names for the step.
fn expect_refusal(s: &tonic::Status, allowed: &[&str]) {
    assert!(
        s.code() != Code::Internal && allowed.contains(&reason(s).as_str()),
        "unexpected refusal {s:?}"
    );
}

async fn run(h: &H, ops: Vec<Op>) {
    let t = Tenant::new(h).await;
    let (member, _) = t.member(h).await;
    let orders: Vec<String> = (0..4).map(|_| id()).collect();
    let sales: Vec<uuid::Uuid> = (0..3).map(|_| siyu_core::id::new()).collect();
    let app = App::new(h.db.db.clone(), std::sync::Arc::new(h.clock.clone()));
    crate::order_events::rule(h, &t).await;
    let svc = &t.service;
    for op in ops {
        match op {
            Op::Earn(points, days) => {
                let expires_at = days.map(|d| timestamp(h.clock.now() + chrono::Duration::days(d)));
                let req = pb::EarnPointsRequest {
                    member_id: member.clone(),
                    idempotency_key: id(),
                    points,
                    expires_at,
                    ..Default::default()
                };
                h.ledger().earn_points(with(req, svc)).await.unwrap();
            }
            Op::Redeem(points) | Op::Hold(_, points) => {
                let lots = open_lots(h, &t, &member).await;
                let available: i64 = lots.iter().map(|l| l.1).sum();
                let (result, kind, fresh) = match op {
                    Op::Hold(o, _) => {
                        // Only an order without a hold takes points; a repeat is judged on its hold.
                        let req = pb::GetOrderHoldsRequest {
                            order_id: orders[o].clone(),
                        };
                        let before = h.ledger().get_order_holds(with(req, svc)).await.unwrap();
                        let fresh = before.into_inner().holds.is_empty();
                        let req = with(hold(&member, &orders[o], points, false), svc);
                        let r = h.ledger().hold_points(req).await.map(|_| ());
                        (r, pb::JournalEntryType::Hold, fresh)
                    }
                    _ => {
                        let req = pb::RedeemPointsRequest {
                            member_id: member.clone(),
                            points,
                            idempotency_key: id(),
                            purpose: pb::RedeemPurpose::InStore as i32,
                            ..Default::default()
                        };
                        let r = h.ledger().redeem_points(with(req, svc)).await.map(|_| ());
                        (r, pb::JournalEntryType::Redeem, true)
                    }
                };
                match result {
                    Ok(()) if !fresh => {}
                    Ok(()) => {
                        assert!(points <= available, "took {points} of {available}");
                        let taken = taken_by_last(h, &t, &member, kind).await;
                        assert_eq!(taken, oldest_first(&lots, points), "oldest lots first");
                    }
                    Err(s) if fresh && reason(&s) == "POINTS_INSUFFICIENT" => {
                        assert!(points > available, "refused {points} of {available}");
                    }
                    Err(s) if !fresh => {
                        expect_refusal(&s, &["HOLD_MISMATCH", "HOLD_ALREADY_SETTLED"])
                    }
                    Err(s) => panic!("unexpected refusal {s:?}"),
                }
            }
            Op::Capture(o) => {
                if let Err(s) = h
                    .ledger()
                    .capture_points(with(capture(&orders[o]), svc))
                    .await
                {
                    expect_refusal(&s, &["HOLD_NOT_FOUND", "HOLD_ALREADY_RELEASED"]);
                }
            }
            Op::Release(o) => {
                if let Err(s) = h
                    .ledger()
                    .release_points(with(release(&orders[o]), svc))
                    .await
                {
                    expect_refusal(&s, &["HOLD_ALREADY_CAPTURED"]);
                }
            }
            Op::Refund(o, points) => {
                let req = pb::RefundPointsRequest {
                    order_id: orders[o].clone(),
                    refund_id: id(),
                    points,
                };
                if let Err(s) = h.ledger().refund_points(with(req, svc)).await {
                    expect_refusal(
                        &s,
                        &[
                            "HOLD_NOT_FOUND",
                            "HOLD_NOT_CAPTURED",
                            "REFUND_EXCEEDS_CAPTURED",
                        ],
                    );
                }
            }
            Op::Advance(days) => h.advance_days(days),
            Op::Sell(o) => {
                // ¥120.50 of cash at 2 points per yuan: 241 points, once per order.
                let body = crate::order_events::order_paid(
                    &t,
                    siyu_core::id::new(),
                    sales[o],
                    &member,
                    siyu_proto::events::v1::OrderKind::Goods,
                );
                siyu_membership::events::consume::handle(&app, &body, &id())
                    .await
                    .unwrap();
            }
            Op::Reverse(o, fen) => {
                let req = pb::ReverseEarnedPointsRequest {
                    order_id: sales[o].to_string(),
                    refund_id: id(),
                    points: 0,
                    refunded_amount: crate::harness::cny(fen),
                };
                match h.ledger().reverse_earned_points(with(req, svc)).await {
                    Ok(r) => {
                        let r = r.into_inner();
                        assert!(r.reversed_points >= 0 && r.shortfall_points >= 0);
                    }
                    Err(s) => expect_refusal(&s, &["EARN_NOT_FOUND"]),
                }
                assert_eq!(
                    h.scalar(
                        "SELECT COUNT(*) FROM mem_order_earnings WHERE points_reversed + \
                         points_shortfall > points OR (refunded_points_base >= points_base \
                         AND points_entry_id IS NOT NULL \
                         AND points_reversed + points_shortfall <> points)",
                        vec![],
                    )
                    .await,
                    0,
                    "reversals within what was earned, all of it once the base is refunded"
                );
            }
            Op::ExpiryPass => {
                app.expire_due_points().await.unwrap();
                let now = h.clock.now().timestamp_millis();
                assert_eq!(
                    h.scalar(
                        &format!(
                            "SELECT COUNT(*) FROM mem_lots WHERE remaining_points > 0 \
                             AND expires_at_ms <= {now}"
                        ),
                        vec![],
                    )
                    .await,
                    0,
                    "no due lot left open"
                );
            }
        }
        assert_invariants(h).await;
    }
}

#[test]
fn random_operation_sequences_keep_the_ledger_invariants() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let h = rt.block_on(H::sqlite());
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 1..30), |ops| {
            rt.block_on(run(&h, ops));
            Ok(())
        })
        .unwrap();
}
