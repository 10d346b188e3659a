//! The ledger's "never"s under concurrency — each test can fail: one business key applied
//! once, balances never negative, holds settled once, a revival taking points once.

use futures::future::join_all;
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::harness::{H, Tenant, assert_invariants, cny, id, reason, with};
use crate::holds::{capture, hold, release};

const N: usize = 32;

#[tokio::test]
async fn thirty_two_earns_with_one_key_write_one_entry() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    let calls = (0..N).map(|_| {
        let mut c = h.ledger();
        let req = with(
            pb::EarnPointsRequest {
                member_id: member.clone(),
                idempotency_key: "campaign:618".into(),
                points: 88,
                ..Default::default()
            },
            &t.service,
        );
        async move { c.earn_points(req).await }
    });
    let done = join_all(calls).await;
    let entries: std::collections::HashSet<String> = done
        .into_iter()
        .map(|r| r.unwrap().into_inner().entry.unwrap().entry_id)
        .collect();
    assert_eq!(entries.len(), 1, "every caller got the first result");
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM mem_entries WHERE idempotency_key = 'campaign:618'",
            vec![]
        )
        .await,
        1
    );
    assert_eq!(t.balances(&h, &member).await.points_available, 88);
    assert_invariants(&h).await;
}

async fn redemptions_never_overdraw(h: &H) {
    let t = Tenant::new(h).await;
    let (member, token) = t.member(h).await;
    t.earn(h, &member, 1_000).await;
    let calls = (0..N).map(|i| {
        let mut c = h.ledger();
        let req = with(
            pb::RedeemPointsRequest {
                points: 70,
                idempotency_key: format!("mall:{i}"),
                purpose: pb::RedeemPurpose::PointsMall as i32,
                ..Default::default()
            },
            &token,
        );
        async move { c.redeem_points(req).await }
    });
    let done = join_all(calls).await;
    let mut taken = 0;
    for r in done {
        match r {
            Ok(r) => taken -= r.into_inner().entry.unwrap().points_delta,
            Err(s) => assert_eq!(
                (s.code(), reason(&s).as_str()),
                (Code::FailedPrecondition, "POINTS_INSUFFICIENT")
            ),
        }
    }
    assert_eq!(taken, 14 * 70, "as many as fit, no more");
    assert_eq!(t.balances(h, &member).await.points_available, 1_000 - taken);
    assert_invariants(h).await;
}

#[tokio::test]
async fn thirty_two_redemptions_beyond_the_balance_never_overdraw() {
    redemptions_never_overdraw(&H::pg().await).await;
}

#[tokio::test]
async fn thirty_two_redemptions_on_sqlite_never_overdraw() {
    redemptions_never_overdraw(&H::sqlite().await).await;
}

#[tokio::test]
async fn concurrent_holds_captures_and_releases_settle_once() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    t.earn(&h, &member, 500).await;
    let order = id();
    let holds = join_all((0..16).map(|_| {
        let mut c = h.ledger();
        let req = with(hold(&member, &order, 200, false), &t.service);
        async move {
            c.hold_points(req)
                .await
                .unwrap()
                .into_inner()
                .hold
                .unwrap()
                .hold_id
        }
    }))
    .await;
    assert!(
        holds.iter().all(|x| *x == holds[0]),
        "one hold for the order"
    );
    // Captures racing releases: whichever settles first wins, the rest change nothing.
    let settles = join_all((0..16).map(|i| {
        let mut c = h.ledger();
        let (order, token) = (order.clone(), t.service.clone());
        async move {
            if i % 2 == 0 {
                c.capture_points(with(capture(&order), &token))
                    .await
                    .map(|_| ())
            } else {
                c.release_points(with(release(&order), &token))
                    .await
                    .map(|_| ())
            }
        }
    }))
    .await;
    let settled = h
        .scalar(
            "SELECT COUNT(*) FROM mem_entries WHERE entry_type IN (4, 5)",
            vec![],
        )
        .await;
    assert_eq!(settled, 1, "one CAPTURE or RELEASE entry");
    assert!(settles.iter().any(Result::is_ok));
    let b = t.balances(&h, &member).await;
    assert_eq!(b.points_held, 0);
    assert!(b.points_available == 300 || b.points_available == 500);
    assert_invariants(&h).await;
}

#[tokio::test]
async fn a_revived_hold_takes_points_once() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    t.earn(&h, &member, 300).await;
    let order = id();
    h.ledger()
        .hold_points(with(hold(&member, &order, 100, false), &t.service))
        .await
        .unwrap();
    h.ledger()
        .release_points(with(release(&order), &t.service))
        .await
        .unwrap();
    let revived = join_all((0..16).map(|_| {
        let mut c = h.ledger();
        let req = with(hold(&member, &order, 100, true), &t.service);
        async move { c.hold_points(req).await.unwrap().into_inner().hold.unwrap() }
    }))
    .await;
    assert!(
        revived
            .iter()
            .all(|x| x.hold_id == revived[0].hold_id && x.attempt == 2)
    );
    let b = t.balances(&h, &member).await;
    assert_eq!((b.points_available, b.points_held), (200, 100));
    assert_invariants(&h).await;
}

#[tokio::test]
async fn concurrent_stored_value_holds_never_overdraw() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    t.enable_stored_value(&h).await;
    let (member, _) = t.member(&h).await;
    t.top_up(&h, &member, 10_000).await;
    let done = join_all((0..N).map(|_| {
        let mut c = h.ledger();
        let req = with(
            pb::HoldStoredValueRequest {
                member_id: member.clone(),
                order_id: id(),
                amount: cny(700),
                revive: false,
            },
            &t.service,
        );
        async move { c.hold_stored_value(req).await.is_ok() }
    }))
    .await;
    assert_eq!(done.iter().filter(|ok| **ok).count(), 14);
    let b = t.balances(&h, &member).await;
    assert_eq!(b.stored_value_held.unwrap().minor_units, 14 * 700);
    assert_invariants(&h).await;
}
