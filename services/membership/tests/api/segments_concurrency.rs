//! Tags and segments under concurrency, tenants apart, and grants to a segment: tagging and
//! untagging racing keep the tag table and the members' lists equal; evaluations racing the
//! tagging each freeze one consistent snapshot; one key evaluates or grants once.

use futures::future::join_all;
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::coupons::{amount_off, coupons, published};
use crate::harness::{H, Tenant, id, keyed, refused, with};
use crate::segments::{
    attr, evaluate, export_all, has_tags, new_segment, new_tag, segments, tag, tags,
};

fn ok<T>(r: Result<tonic::Response<T>, tonic::Status>) -> Result<(), tonic::Status> {
    r.map(|_| ())
}

/// The tag pairs and the members' JSON lists say the same.
async fn mirror_agrees(h: &H, tag_id: &str) -> i64 {
    let pairs = h
        .scalar(
            "SELECT COUNT(*) FROM mem_member_tags WHERE tag_id = $1",
            vec![uuid::Uuid::parse_str(tag_id).unwrap().into()],
        )
        .await;
    let listed = h
        .scalar(
            "SELECT COUNT(*) FROM mem_members WHERE tag_ids LIKE $1",
            vec![format!("%{tag_id}%").into()],
        )
        .await;
    assert_eq!(pairs, listed, "tag table and member lists disagree");
    pairs
}

async fn racing_tags_and_evaluations(h: &H, rounds: usize) {
    let t = Tenant::new(h).await;
    let mut members = Vec::new();
    for _ in 0..12 {
        members.push(t.member(h).await.0);
    }
    let vip = new_tag(h, &t.admin, "VIP").await;
    let seg = new_segment(h, &t.admin, has_tags(&[&vip.tag_id], false)).await;
    // Tag and untag overlapping halves while the segment is evaluated, all at once.
    let mut calls = Vec::new();
    for i in 0..rounds {
        let (h, t, members, tag_id, seg) =
            (h, &t, &members, vip.tag_id.clone(), seg.segment_id.clone());
        calls.push(async move {
            let part: Vec<String> = members[(i % 3) * 3..(i % 3) * 3 + 6].to_vec();
            let (added, removed) = if i % 2 == 0 {
                (tag(h, &t.admin, &part, &[&tag_id]).await, 0)
            } else {
                let r = tags(h)
                    .untag_members(with(
                        pb::UntagMembersRequest {
                            member_ids: part,
                            tag_ids: vec![tag_id],
                        },
                        &t.service,
                    ))
                    .await
                    .unwrap()
                    .into_inner();
                (0, r.removed_count)
            };
            let snap = evaluate(h, &t.admin, &seg).await;
            (added, removed, snap)
        });
    }
    let results = join_all(calls).await;
    let net: i32 = results.iter().map(|(a, r, _)| a - r).sum();
    let pairs = mirror_agrees(h, &vip.tag_id).await;
    assert_eq!(i64::from(net), pairs, "added − removed = pairs present");
    for (_, _, snap) in &results {
        let exported = export_all(h, &t.admin, &snap.snapshot_id, 5).await;
        assert_eq!(
            exported.len(),
            snap.member_count as usize,
            "one statement, one count"
        );
        assert!(exported.iter().all(|m| members.contains(m)));
    }
}

#[tokio::test]
async fn racing_tags_and_evaluations_stay_consistent_on_postgres() {
    racing_tags_and_evaluations(&H::pg().await, 24).await;
}

#[tokio::test]
async fn racing_tags_and_evaluations_stay_consistent_on_sqlite() {
    racing_tags_and_evaluations(&H::sqlite().await, 12).await;
}

async fn one_key_one_snapshot_and_one_grant(h: &H, n: usize) {
    let t = Tenant::new(h).await;
    let mut members = Vec::new();
    for _ in 0..6 {
        members.push(t.member(h).await.0);
    }
    let seg = new_segment(
        h,
        &t.admin,
        attr("growth_value", pb::SegmentOperator::Gte, &["0"]),
    )
    .await;
    let evaluations = (0..n).map(|_| {
        let mut c = segments(h);
        let r = keyed(
            pb::EvaluateSegmentRequest {
                segment_id: seg.segment_id.clone(),
            },
            &t.admin,
            "evaluate-once",
        );
        async move {
            c.evaluate_segment(r)
                .await
                .map(|r| r.into_inner().snapshot.unwrap())
        }
    });
    let snaps = join_all(evaluations).await;
    let first = snaps[0].as_ref().unwrap().snapshot_id.clone();
    for s in &snaps {
        assert_eq!(s.as_ref().unwrap().snapshot_id, first);
    }
    let stored = h
        .scalar("SELECT COUNT(*) FROM mem_segment_snapshots", vec![])
        .await;
    assert_eq!(stored, 1);

    // A quota of 4 for 6 members, one coupon each: 4 issued, 2 skipped, once for one key.
    let template = published(h, &t, amount_off(4, 1)).await;
    let grants = (0..n).map(|_| {
        let mut c = coupons(h);
        let r = with(
            pb::GrantCouponsToSegmentRequest {
                template_id: template.clone(),
                quantity_per_member: 1,
                segment_id: seg.segment_id.clone(),
                grant_key: "campaign-618".into(),
                reason: "618 大促".into(),
                ..Default::default()
            },
            &t.admin,
        );
        async move {
            c.grant_coupons_to_segment(r)
                .await
                .map(|r| r.into_inner().grant.unwrap())
        }
    });
    let done = join_all(grants).await;
    let first = done[0].as_ref().unwrap().clone();
    for g in &done {
        assert_eq!(g.as_ref().unwrap().grant_id, first.grant_id);
    }
    // The grant runs as a job: here, to its end in one go.
    let app = siyu_membership::app::App::new(h.db.db.clone(), std::sync::Arc::new(h.clock.clone()));
    let grant_id = uuid::Uuid::parse_str(&first.grant_id).unwrap();
    app.run_segment_grant(t.id, grant_id, 1_000).await.unwrap();
    let issued = h.scalar("SELECT COUNT(*) FROM mem_coupons", vec![]).await;
    assert_eq!(issued, 4);
    let polled = coupons(h)
        .get_coupon_grant(with(
            pb::GetCouponGrantRequest {
                grant_id: first.grant_id.clone(),
            },
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .grant
        .unwrap();
    assert_eq!(
        (
            polled.target_count,
            polled.issued_count,
            polled.skipped_count
        ),
        (6, 4, 2)
    );
    // The key names this grant: another segment under it is a conflict.
    let other = new_segment(
        h,
        &t.admin,
        attr("growth_value", pb::SegmentOperator::Gt, &["5"]),
    )
    .await;
    refused(
        coupons(h)
            .grant_coupons_to_segment(with(
                pb::GrantCouponsToSegmentRequest {
                    template_id: template,
                    quantity_per_member: 1,
                    segment_id: other.segment_id,
                    grant_key: "campaign-618".into(),
                    reason: "618 大促".into(),
                    ..Default::default()
                },
                &t.admin,
            ))
            .await,
        Code::AlreadyExists,
        "GRANT_KEY_CONFLICT",
    );
}

#[tokio::test]
async fn one_key_evaluates_once_and_grants_once_on_postgres() {
    one_key_one_snapshot_and_one_grant(&H::pg().await, 16).await;
}

#[tokio::test]
async fn one_key_evaluates_once_and_grants_once_on_sqlite() {
    one_key_one_snapshot_and_one_grant(&H::sqlite().await, 8).await;
}

#[tokio::test]
async fn another_tenants_tags_segments_and_snapshots_are_not_found() {
    let h = H::pg().await;
    let a = Tenant::new(&h).await;
    let b = Tenant::new(&h).await;
    let (a_member, _) = a.member(&h).await;
    let (b_member, _) = b.member(&h).await;
    let a_tag = new_tag(&h, &a.admin, "VIP").await;
    tag(
        &h,
        &a.admin,
        std::slice::from_ref(&a_member),
        &[&a_tag.tag_id],
    )
    .await;
    let a_seg = new_segment(&h, &a.admin, has_tags(&[&a_tag.tag_id], false)).await;
    let a_snap = evaluate(&h, &a.admin, &a_seg.segment_id).await;
    let nf = |r: Result<(), tonic::Status>, why: &str| {
        refused(r, Code::NotFound, why);
    };
    nf(
        ok(tags(&h)
            .update_tag(with(
                pb::UpdateTagRequest {
                    tag: Some(pb::Tag {
                        tag_id: a_tag.tag_id.clone(),
                        name: "x".into(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["name".into()],
                    }),
                },
                &b.admin,
            ))
            .await),
        "TAG_NOT_FOUND",
    );
    nf(
        ok(tags(&h)
            .delete_tag(with(
                pb::DeleteTagRequest {
                    tag_id: a_tag.tag_id.clone(),
                },
                &b.admin,
            ))
            .await),
        "TAG_NOT_FOUND",
    );
    for (member, tag_id, why) in [
        (&b_member, &a_tag.tag_id, "TAG_NOT_FOUND"),
        (
            &a_member,
            &new_tag(&h, &b.admin, "B").await.tag_id,
            "MEMBER_NOT_FOUND",
        ),
    ] {
        nf(
            ok(tags(&h)
                .tag_members(with(
                    pb::TagMembersRequest {
                        member_ids: vec![member.clone()],
                        tag_ids: vec![tag_id.clone()],
                    },
                    &b.admin,
                ))
                .await),
            why,
        );
        nf(
            ok(tags(&h)
                .untag_members(with(
                    pb::UntagMembersRequest {
                        member_ids: vec![member.clone()],
                        tag_ids: vec![tag_id.clone()],
                    },
                    &b.partner,
                ))
                .await),
            why,
        );
    }
    let listed = tags(&h)
        .list_tags(with(pb::ListTagsRequest::default(), &b.admin))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.tags.iter().all(|t| t.tag_id != a_tag.tag_id));
    let seg_id = || a_seg.segment_id.clone();
    nf(
        ok(segments(&h)
            .get_segment(with(
                pb::GetSegmentRequest {
                    segment_id: seg_id(),
                },
                &b.admin,
            ))
            .await),
        "SEGMENT_NOT_FOUND",
    );
    nf(
        ok(segments(&h)
            .update_segment(with(
                pb::UpdateSegmentRequest {
                    segment: Some(pb::Segment {
                        segment_id: seg_id(),
                        name: "x".into(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["name".into()],
                    }),
                },
                &b.admin,
            ))
            .await),
        "SEGMENT_NOT_FOUND",
    );
    nf(
        ok(segments(&h)
            .archive_segment(with(
                pb::ArchiveSegmentRequest {
                    segment_id: seg_id(),
                },
                &b.admin,
            ))
            .await),
        "SEGMENT_NOT_FOUND",
    );
    nf(
        ok(segments(&h)
            .evaluate_segment(with(
                pb::EvaluateSegmentRequest {
                    segment_id: seg_id(),
                },
                &b.service,
            ))
            .await),
        "SEGMENT_NOT_FOUND",
    );
    nf(
        ok(segments(&h)
            .check_segment_membership(with(
                pb::CheckSegmentMembershipRequest {
                    segment_id: seg_id(),
                    member_id: b_member.clone(),
                },
                &b.service,
            ))
            .await),
        "SEGMENT_NOT_FOUND",
    );
    let b_seg = new_segment(
        &h,
        &b.admin,
        attr("growth_value", pb::SegmentOperator::Gte, &["0"]),
    )
    .await;
    nf(
        ok(segments(&h)
            .check_segment_membership(with(
                pb::CheckSegmentMembershipRequest {
                    segment_id: b_seg.segment_id.clone(),
                    member_id: a_member.clone(),
                },
                &b.service,
            ))
            .await),
        "MEMBER_NOT_FOUND",
    );
    nf(
        ok(segments(&h)
            .export_segment_members(with(
                pb::ExportSegmentMembersRequest {
                    snapshot_id: a_snap.snapshot_id.clone(),
                    page: None,
                },
                &b.service,
            ))
            .await),
        "SNAPSHOT_NOT_FOUND",
    );
    nf(
        ok(coupons(&h)
            .grant_coupons_to_segment(with(
                pb::GrantCouponsToSegmentRequest {
                    template_id: id(),
                    quantity_per_member: 1,
                    segment_id: seg_id(),
                    grant_key: id(),
                    reason: "x".into(),
                    ..Default::default()
                },
                &b.admin,
            ))
            .await),
        "SEGMENT_NOT_FOUND",
    );
    // B's expressions cannot name A's tags; B's lists and previews show none of A.
    let s = refused(
        segments(&h)
            .preview_segment(with(
                pb::PreviewSegmentRequest {
                    expression: Some(has_tags(&[&a_tag.tag_id], false)),
                    scope_store_id: String::new(),
                },
                &b.admin,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_SEGMENT_EXPRESSION",
    );
    assert_eq!(crate::harness::field(&s), "expression.tag.tag_ids[0]");
    let all = segments(&h)
        .preview_segment(with(
            pb::PreviewSegmentRequest {
                expression: Some(attr("growth_value", pb::SegmentOperator::Gte, &["0"])),
                scope_store_id: String::new(),
            },
            &b.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.sample_member_ids, vec![b_member]);
    let listed = segments(&h)
        .list_segments(with(pb::ListSegmentsRequest::default(), &b.admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.segments.len(), 1);
}
