//! Checkout holds of points: hold → capture | release exactly once, revival after a release,
//! mismatches, refunds back to the lots (a new lot for points whose lot expired meanwhile).

use siyu_core::Clock as _;
use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::Code;

use crate::harness::{H, Tenant, assert_invariants, id, meta, refused, with};

pub fn hold(member: &str, order: &str, points: i64, revive: bool) -> pb::HoldPointsRequest {
    pb::HoldPointsRequest {
        member_id: member.into(),
        order_id: order.into(),
        points,
        revive,
    }
}

pub fn capture(order: &str) -> pb::CapturePointsRequest {
    pb::CapturePointsRequest {
        order_id: order.into(),
    }
}

pub fn release(order: &str) -> pb::ReleasePointsRequest {
    pb::ReleasePointsRequest {
        order_id: order.into(),
        reason: "ORDER_CANCELLED".into(),
    }
}

#[tokio::test]
async fn a_captured_hold_is_captured_once_and_cannot_be_released() {
    captured_once(H::pg().await).await;
}

#[tokio::test]
async fn on_sqlite_a_captured_hold_is_captured_once() {
    captured_once(H::sqlite().await).await;
}

async fn captured_once(h: H) {
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    t.earn(&h, &member, 1_000).await;
    let order = id();
    let held = h
        .ledger()
        .hold_points(with(hold(&member, &order, 300, false), &t.service))
        .await
        .unwrap();
    let held = held.into_inner().hold.unwrap();
    assert_eq!(
        (held.status, held.attempt),
        (pb::HoldStatus::Held as i32, 1)
    );
    let b = t.balances(&h, &member).await;
    assert_eq!((b.points_available, b.points_held), (700, 300));
    // The same hold again is the same hold; other points are a mismatch.
    let again = h
        .ledger()
        .hold_points(with(hold(&member, &order, 300, false), &t.service))
        .await
        .unwrap();
    assert_eq!(again.into_inner().hold.unwrap().hold_id, held.hold_id);
    refused(
        h.ledger()
            .hold_points(with(hold(&member, &order, 301, false), &t.service))
            .await,
        Code::AlreadyExists,
        "HOLD_MISMATCH",
    );
    for _ in 0..2 {
        let captured = h
            .ledger()
            .capture_points(with(capture(&order), &t.service))
            .await
            .unwrap();
        assert_eq!(
            captured.into_inner().hold.unwrap().status,
            pb::HoldStatus::Captured as i32
        );
    }
    refused(
        h.ledger()
            .release_points(with(release(&order), &t.service))
            .await,
        Code::FailedPrecondition,
        "HOLD_ALREADY_CAPTURED",
    );
    refused(
        h.ledger()
            .hold_points(with(hold(&member, &order, 300, true), &t.service))
            .await,
        Code::FailedPrecondition,
        "HOLD_ALREADY_SETTLED",
    );
    let b = t.balances(&h, &member).await;
    assert_eq!((b.points_available, b.points_held), (700, 0));
    let captures = h
        .scalar(
            "SELECT COUNT(*) FROM mem_entries WHERE entry_type = 4",
            vec![],
        )
        .await;
    assert_eq!(captures, 1, "one CAPTURE entry");
    assert_invariants(&h).await;
}

#[tokio::test]
async fn a_released_hold_is_revived_only_with_revive() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    t.earn(&h, &member, 500).await;
    let order = id();
    h.ledger()
        .hold_points(with(hold(&member, &order, 200, false), &t.service))
        .await
        .unwrap();
    for _ in 0..2 {
        let released = h
            .ledger()
            .release_points(with(release(&order), &t.service))
            .await
            .unwrap();
        let released = released.into_inner().hold.unwrap();
        assert_eq!(
            (released.status, released.release_reason.as_str()),
            (3, "ORDER_CANCELLED")
        );
    }
    assert_eq!(t.balances(&h, &member).await.points_available, 500);
    refused(
        h.ledger()
            .capture_points(with(capture(&order), &t.service))
            .await,
        Code::FailedPrecondition,
        "HOLD_ALREADY_RELEASED",
    );
    refused(
        h.ledger()
            .hold_points(with(hold(&member, &order, 200, false), &t.service))
            .await,
        Code::FailedPrecondition,
        "HOLD_ALREADY_SETTLED",
    );
    let revived = h
        .ledger()
        .hold_points(with(hold(&member, &order, 200, true), &t.service))
        .await
        .unwrap();
    let revived = revived.into_inner().hold.unwrap();
    assert_eq!(
        (revived.attempt, revived.status),
        (2, pb::HoldStatus::Held as i32)
    );
    let key = format!("hold:points:{order}:2");
    let entries = h
        .scalar(
            "SELECT COUNT(*) FROM mem_entries WHERE idempotency_key = $1",
            vec![key.into()],
        )
        .await;
    assert_eq!(entries, 1);
    let holds = h
        .ledger()
        .get_order_holds(with(
            pb::GetOrderHoldsRequest {
                order_id: order.clone(),
            },
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .holds;
    assert_eq!(holds.len(), 1);
    assert_eq!(holds[0].hold_id, revived.hold_id);
    h.ledger()
        .capture_points(with(capture(&order), &t.service))
        .await
        .unwrap();
    assert_eq!(t.balances(&h, &member).await.points_available, 300);
    assert_invariants(&h).await;
}

#[tokio::test]
async fn a_missing_hold_releases_as_nothing_and_short_points_say_what_is_available() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    t.earn(&h, &member, 50).await;
    let nothing = h
        .ledger()
        .release_points(with(release(&id()), &t.service))
        .await
        .unwrap();
    assert!(nothing.into_inner().hold.is_none());
    let short = refused(
        h.ledger()
            .hold_points(with(hold(&member, &id(), 51, false), &t.service))
            .await,
        Code::FailedPrecondition,
        "POINTS_INSUFFICIENT",
    );
    assert_eq!(meta(&short, "available"), "50");
    refused(
        h.ledger()
            .capture_points(with(capture(&id()), &t.service))
            .await,
        Code::NotFound,
        "HOLD_NOT_FOUND",
    );
}

#[tokio::test]
async fn refunds_give_points_back_to_their_lots_up_to_what_was_captured() {
    refunds_to_lots(H::pg().await).await;
}

#[tokio::test]
async fn on_sqlite_refunds_give_points_back_to_their_lots() {
    refunds_to_lots(H::sqlite().await).await;
}

async fn refunds_to_lots(h: H) {
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    let soon = Some(timestamp(h.clock.now() + chrono::Duration::days(5)));
    let early = h
        .ledger()
        .earn_points(with(
            pb::EarnPointsRequest {
                member_id: member.clone(),
                idempotency_key: "early".into(),
                points: 100,
                expires_at: soon,
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .lot
        .unwrap();
    let late = t.earn(&h, &member, 100).await.lot.unwrap();
    let order = id();
    h.ledger()
        .hold_points(with(hold(&member, &order, 150, false), &t.service))
        .await
        .unwrap();
    let refund = |refund: &str, points: i64| pb::RefundPointsRequest {
        order_id: order.clone(),
        refund_id: refund.into(),
        points,
    };
    let (r1, r2) = (id(), id());
    refused(
        h.ledger()
            .refund_points(with(refund(&r1, 10), &t.service))
            .await,
        Code::FailedPrecondition,
        "HOLD_NOT_CAPTURED",
    );
    h.ledger()
        .capture_points(with(capture(&order), &t.service))
        .await
        .unwrap();
    // 40 back: the most recently consumed lot (the later one) first.
    let first = h
        .ledger()
        .refund_points(with(refund(&r1, 40), &t.service))
        .await
        .unwrap()
        .into_inner();
    let lot_legs: Vec<_> = first
        .entry
        .unwrap()
        .postings
        .into_iter()
        .filter(|p| !p.lot_id.is_empty())
        .collect();
    assert_eq!(
        (lot_legs[0].lot_id.as_str(), lot_legs[0].amount),
        (late.lot_id.as_str(), 40)
    );
    assert_eq!(first.hold.unwrap().refunded_points, 40);
    // A retry of the refund gives nothing more; another amount under its key is refused.
    h.ledger()
        .refund_points(with(refund(&r1, 40), &t.service))
        .await
        .unwrap();
    refused(
        h.ledger()
            .refund_points(with(refund(&r1, 41), &t.service))
            .await,
        Code::AlreadyExists,
        "LEDGER_KEY_CONFLICT",
    );
    // The early lot expires; its 100 come back as a new lot valid the grace period.
    h.advance_days(6);
    refused(
        h.ledger()
            .refund_points(with(refund(&r2, 111), &t.service))
            .await,
        Code::FailedPrecondition,
        "REFUND_EXCEEDS_CAPTURED",
    );
    let second = h
        .ledger()
        .refund_points(with(refund(&r2, 110), &t.service))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.hold.unwrap().refunded_points, 150);
    let lots = h
        .ledger()
        .list_points_lots(with(
            pb::ListPointsLotsRequest {
                member_id: member.clone(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        lots.total_remaining_points, 200,
        "all 150 used points are back"
    );
    let grace = lots
        .lots
        .iter()
        .find(|l| l.lot_id != late.lot_id && l.lot_id != early.lot_id)
        .unwrap();
    assert_eq!(grace.remaining_points, 100);
    let expected = h.clock.now() + chrono::Duration::days(30);
    assert_eq!(grace.expires_at.unwrap(), timestamp(expected));
    assert_invariants(&h).await;
}

#[tokio::test]
async fn a_release_after_the_lot_expired_expires_the_points() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    let soon = Some(timestamp(h.clock.now() + chrono::Duration::days(1)));
    h.ledger()
        .earn_points(with(
            pb::EarnPointsRequest {
                member_id: member.clone(),
                idempotency_key: "k".into(),
                points: 100,
                expires_at: soon,
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap();
    let order = id();
    h.ledger()
        .hold_points(with(hold(&member, &order, 60, false), &t.service))
        .await
        .unwrap();
    h.advance_days(2);
    h.ledger()
        .release_points(with(release(&order), &t.service))
        .await
        .unwrap();
    let b = t.balances(&h, &member).await;
    assert_eq!((b.points_available, b.points_held), (0, 0));
    assert_invariants(&h).await;
}
