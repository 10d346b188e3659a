//! TransferPoints: moved points keep their lots' expiry, one key applies once, transfers in
//! both directions at once neither deadlock nor lose a point, and every refusal is exact.

use futures::future::join_all;
use siyu_core::Clock as _;
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::harness::{H, Tenant, assert_invariants, field, id, refused, with};

async fn allow(h: &H, t: &Tenant) {
    h.ledger()
        .update_ledger_policy(with(
            pb::UpdateLedgerPolicyRequest {
                policy: Some(pb::LedgerPolicy {
                    points_transfer_enabled: true,
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["points_transfer_enabled".into()],
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap();
}

fn to_card(card: &str, points: i64, key: &str) -> pb::TransferPointsRequest {
    pb::TransferPointsRequest {
        to_card_number: card.into(),
        points,
        idempotency_key: key.into(),
        note: "给家人".into(),
        ..Default::default()
    }
}

async fn card(h: &H, t: &Tenant, member: &str) -> String {
    h.members()
        .get_member(with(
            pb::GetMemberRequest {
                member_id: member.into(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap()
        .card_number
}

#[tokio::test]
async fn moved_points_keep_their_expiry_and_a_key_applies_once() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    allow(&h, &t).await;
    let (sender, token) = t.member(&h).await;
    let (recipient, _) = t.member(&h).await;
    let soon = siyu_proto::time::timestamp(h.clock.now() + chrono::Duration::days(10));
    h.ledger()
        .earn_points(with(
            pb::EarnPointsRequest {
                member_id: sender.clone(),
                idempotency_key: "soon".into(),
                points: 100,
                expires_at: Some(soon),
                ..Default::default()
            },
            &t.service,
        ))
        .await
        .unwrap();
    t.earn(&h, &sender, 50).await;
    let to = card(&h, &t, &recipient).await;
    let done = h
        .ledger()
        .transfer_points(with(to_card(&to, 120, "gift:1"), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.from_balances.unwrap().points_available, 30);
    assert_eq!(t.balances(&h, &recipient).await.points_available, 120);
    let again = h
        .ledger()
        .transfer_points(with(to_card(&to, 120, "gift:1"), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.entry.unwrap().entry_id, done.entry.unwrap().entry_id);
    assert_eq!(t.balances(&h, &recipient).await.points_available, 120);
    let lots = h
        .ledger()
        .list_points_lots(with(
            pb::ListPointsLotsRequest {
                member_id: recipient.clone(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .lots;
    let got: Vec<(i64, bool)> = lots
        .iter()
        .map(|l| (l.remaining_points, l.expires_at == Some(soon)))
        .collect();
    assert_eq!(
        got,
        [(100, true), (20, false)],
        "the oldest-expiring first, expiry kept"
    );
    refused(
        h.ledger()
            .transfer_points(with(to_card(&to, 7, "gift:1"), &token))
            .await,
        Code::AlreadyExists,
        "LEDGER_KEY_CONFLICT",
    );
    assert_invariants(&h).await;
}

#[tokio::test]
async fn transfers_refuse_exactly() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let other = Tenant::new(&h).await;
    let (sender, token) = t.member(&h).await;
    let (recipient, _) = t.member(&h).await;
    let (stranger, _) = other.member(&h).await;
    t.earn(&h, &sender, 50).await;
    let to = card(&h, &t, &recipient).await;
    refused(
        h.ledger()
            .transfer_points(with(to_card(&to, 10, "k1"), &token))
            .await,
        Code::FailedPrecondition,
        "POINTS_TRANSFER_DISABLED",
    );
    allow(&h, &t).await;
    let by_id = |to: &str, points: i64, key: &str| pb::TransferPointsRequest {
        to_member_id: to.into(),
        points,
        idempotency_key: key.into(),
        ..Default::default()
    };
    let cases: Vec<(pb::TransferPointsRequest, Code, &str, &str)> = vec![
        (
            by_id(&recipient, 0, "k"),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "points",
        ),
        (
            by_id(&recipient, -5, "k"),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "points",
        ),
        (
            by_id(&recipient, 5, ""),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "idempotency_key",
        ),
        (
            by_id("nope", 5, "k"),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "to_member_id",
        ),
        (
            by_id("", 5, "k"),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "to_member_id",
        ),
        (
            pb::TransferPointsRequest {
                to_card_number: to.clone(),
                ..by_id(&recipient, 5, "k")
            },
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "to_member_id",
        ),
        (
            to_card("12ab", 5, "k"),
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "to_card_number",
        ),
        (
            pb::TransferPointsRequest {
                note: "长".repeat(101),
                ..by_id(&recipient, 5, "k")
            },
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
            "note",
        ),
        (
            by_id(&sender, 5, "k"),
            Code::InvalidArgument,
            "TRANSFER_TO_SELF",
            "to_member_id",
        ),
        (
            by_id(&recipient, 51, "k"),
            Code::FailedPrecondition,
            "POINTS_INSUFFICIENT",
            "",
        ),
        (by_id(&id(), 5, "k"), Code::NotFound, "MEMBER_NOT_FOUND", ""),
        // Another tenant's member is no recipient here.
        (
            by_id(&stranger, 5, "k"),
            Code::NotFound,
            "MEMBER_NOT_FOUND",
            "",
        ),
    ];
    for (req, code, why, at) in cases {
        let s = refused(
            h.ledger().transfer_points(with(req, &token)).await,
            code,
            why,
        );
        assert_eq!(field(&s), at, "{why}");
    }
    // A consumer sends only their own points.
    refused(
        h.ledger()
            .transfer_points(with(
                pb::TransferPointsRequest {
                    from_member_id: recipient.clone(),
                    ..by_id(&sender, 5, "k")
                },
                &token,
            ))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    assert_eq!(t.balances(&h, &sender).await.points_available, 50);
    assert_invariants(&h).await;
}

#[tokio::test]
async fn transfers_both_ways_at_once_neither_deadlock_nor_lose_points() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    allow(&h, &t).await;
    let (a, _) = t.member(&h).await;
    let (b, _) = t.member(&h).await;
    t.earn(&h, &a, 100).await;
    t.earn(&h, &b, 100).await;
    let calls = (0..32).map(|i| {
        let (from, to) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let mut c = h.ledger();
        let req = with(
            pb::TransferPointsRequest {
                from_member_id: from.clone(),
                to_member_id: to.clone(),
                points: 10,
                idempotency_key: format!("swap:{i}"),
                ..Default::default()
            },
            &t.admin,
        );
        async move { c.transfer_points(req).await }
    });
    for r in join_all(calls).await {
        r.unwrap();
    }
    let (pa, pb_) = (
        t.balances(&h, &a).await.points_available,
        t.balances(&h, &b).await.points_available,
    );
    assert_eq!((pa, pb_), (100, 100), "16 each way");
    // 32 callers with one key: one transfer.
    let same = (0..32).map(|_| {
        let mut c = h.ledger();
        let req = with(
            pb::TransferPointsRequest {
                from_member_id: a.clone(),
                to_member_id: b.clone(),
                points: 30,
                idempotency_key: "once".into(),
                ..Default::default()
            },
            &t.admin,
        );
        async move { c.transfer_points(req).await }
    });
    for r in join_all(same).await {
        r.unwrap();
    }
    assert_eq!(t.balances(&h, &a).await.points_available, 70);
    assert_eq!(t.balances(&h, &b).await.points_available, 130);
    assert_invariants(&h).await;
}
