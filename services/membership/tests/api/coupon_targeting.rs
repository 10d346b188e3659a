//! Targeting by segment: a template restricted to a segment (定向券) admits only the members
//! the segment matches at the claim (COUPON_NOT_CLAIMABLE, why `segment`), one restricted to
//! tiers only their holders (why `tier`); ListMembers' `segment_id` lists the segment's live
//! members with keyset paging unchanged (Postgres and SQLite), SEGMENT_NOT_FOUND only for a
//! segment the tenant does not have.

use futures::future::join_all;
use siyu_proto::common::v1::PageRequest;
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::coupons::{amount_off, claim, published};
use crate::harness::{H, Tenant, field, id, meta, refused, with};
use crate::segments::{attr, new_segment};
use crate::tiers::{adjust, ladder};

/// A segment of members with at least 100 points available.
async fn hundred_points(h: &H, t: &Tenant) -> String {
    new_segment(
        h,
        &t.admin,
        attr("points_available", pb::SegmentOperator::Gte, &["100"]),
    )
    .await
    .segment_id
}

#[tokio::test]
async fn a_segment_template_admits_only_the_segments_members_at_the_claim() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let seg = hundred_points(&h, &t).await;
    let targeted = published(
        &h,
        &t,
        pb::CouponTemplate {
            claim_segment_id: seg.clone(),
            ..amount_off(0, 1)
        },
    )
    .await;
    let (inside, inside_token) = t.member(&h).await;
    t.earn(&h, &inside, 150).await;
    let (_, outside_token) = t.member(&h).await;
    // 16 claims at once by a member outside: all refused, none issued.
    let outs = (0..16).map(|_| claim(&h, &outside_token, &targeted));
    for r in join_all(outs).await {
        let s = refused(r, Code::FailedPrecondition, "COUPON_NOT_CLAIMABLE");
        assert_eq!(meta(&s, "why"), "segment");
    }
    // 16 at once by a member inside with a limit of 1: one coupon.
    let ins = (0..16).map(|_| claim(&h, &inside_token, &targeted));
    let ok = join_all(ins)
        .await
        .into_iter()
        .filter(Result::is_ok)
        .count();
    assert_eq!(ok, 1);
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM mem_coupons", vec![]).await,
        1
    );
    // Membership is read at the claim: points spent, the member is out.
    let (later, later_token) = t.member(&h).await;
    t.earn(&h, &later, 100).await;
    h.ledger()
        .redeem_points(with(
            pb::RedeemPointsRequest {
                member_id: later.clone(),
                points: 50,
                idempotency_key: id(),
                purpose: pb::RedeemPurpose::PointsMall as i32,
                ..Default::default()
            },
            &t.service,
        ))
        .await
        .unwrap();
    let s = refused(
        claim(&h, &later_token, &targeted).await,
        Code::FailedPrecondition,
        "COUPON_NOT_CLAIMABLE",
    );
    assert_eq!(meta(&s, "why"), "segment");
    // A template naming a segment the tenant does not have admits nobody.
    let nowhere = published(
        &h,
        &t,
        pb::CouponTemplate {
            claim_segment_id: id(),
            ..amount_off(0, 1)
        },
    )
    .await;
    let s = refused(
        claim(&h, &inside_token, &nowhere).await,
        Code::FailedPrecondition,
        "COUPON_NOT_CLAIMABLE",
    );
    assert_eq!(meta(&s, "why"), "segment");
}

#[tokio::test]
async fn a_tier_template_admits_only_holders_of_its_tiers() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    ladder(&h, &t).await;
    let silver_up = published(
        &h,
        &t,
        pb::CouponTemplate {
            claim_tier_codes: vec!["SILVER".into(), "GOLD".into()],
            ..amount_off(0, 1)
        },
    )
    .await;
    let (bronze, bronze_token) = t.member(&h).await;
    let (silver, silver_token) = t.member(&h).await;
    adjust(&h, &t, &silver, 150, "silver-up").await;
    let s = refused(
        claim(&h, &bronze_token, &silver_up).await,
        Code::FailedPrecondition,
        "COUPON_NOT_CLAIMABLE",
    );
    assert_eq!(meta(&s, "why"), "tier");
    claim(&h, &silver_token, &silver_up).await.unwrap();
    adjust(&h, &t, &bronze, 100, "bronze-up").await;
    claim(&h, &bronze_token, &silver_up).await.unwrap();
}

/// Every page of ListMembers with `req`'s filters, `size` a page; the member ids in order.
async fn all_pages(h: &H, token: &str, req: pb::ListMembersRequest, size: i32) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = String::new();
    loop {
        let page = h
            .members()
            .list_members(with(
                pb::ListMembersRequest {
                    page: Some(PageRequest {
                        page_size: size,
                        page_token: next.clone(),
                    }),
                    ..req.clone()
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner();
        out.extend(page.members.into_iter().map(|m| m.member_id));
        next = page.page.unwrap().next_page_token;
        if next.is_empty() {
            return out;
        }
    }
}

async fn list_by_segment(h: H) {
    let t = Tenant::new(&h).await;
    let seg = hundred_points(&h, &t).await;
    let mut inside = Vec::new();
    for i in 0..7 {
        let (m, _) = t.member(&h).await;
        t.earn(&h, &m, if i % 3 == 0 { 50 } else { 100 + i }).await;
        if i % 3 != 0 {
            inside.push(m);
        }
        h.clock.advance(chrono::Duration::seconds(1));
    }
    // Newest enrolment first, as without the filter.
    inside.reverse();
    let by_segment = pb::ListMembersRequest {
        segment_id: seg.clone(),
        ..Default::default()
    };
    assert_eq!(all_pages(&h, &t.admin, by_segment.clone(), 2).await, inside);
    // With another filter, and the total counted under the filter.
    let first = h
        .members()
        .list_members(with(
            pb::ListMembersRequest {
                order_by: 2,
                ..by_segment.clone()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.total_count, 4);
    // Live: a member spending points leaves at once, without any evaluation.
    h.ledger()
        .redeem_points(with(
            pb::RedeemPointsRequest {
                member_id: inside[0].clone(),
                points: 60,
                idempotency_key: id(),
                purpose: pb::RedeemPurpose::PointsMall as i32,
                ..Default::default()
            },
            &t.service,
        ))
        .await
        .unwrap();
    assert_eq!(all_pages(&h, &t.admin, by_segment, 3).await, inside[1..]);
    // Unknown, another tenant's, malformed.
    let other = Tenant::new(&h).await;
    let theirs = hundred_points(&h, &other).await;
    for s in [id(), theirs] {
        refused(
            h.members()
                .list_members(with(
                    pb::ListMembersRequest {
                        segment_id: s,
                        ..Default::default()
                    },
                    &t.admin,
                ))
                .await,
            Code::NotFound,
            "SEGMENT_NOT_FOUND",
        );
    }
    let s = refused(
        h.members()
            .list_members(with(
                pb::ListMembersRequest {
                    segment_id: "not-a-segment".into(),
                    ..Default::default()
                },
                &t.admin,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(field(&s), "segment_id");
}

#[tokio::test]
async fn list_members_by_segment_pages_its_live_members() {
    list_by_segment(H::pg().await).await;
}

#[tokio::test]
async fn on_sqlite_list_members_by_segment_pages_its_live_members() {
    list_by_segment(H::sqlite().await).await;
}
