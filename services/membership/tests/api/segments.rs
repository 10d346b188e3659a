//! TagService and SegmentService through the contract: tags put on and taken off members (and
//! shown on them), system tags read-only, segments previewed, evaluated into snapshots,
//! exported and checked — the same members everywhere — on Postgres and SQLite.

use std::collections::BTreeSet;

use siyu_proto::membership::v1 as pb;
use siyu_proto::membership::v1::segment_expression::Node;
use siyu_proto::membership::v1::segment_service_client::SegmentServiceClient;
use siyu_proto::membership::v1::tag_service_client::TagServiceClient;
use tonic::Code;
use tonic::transport::Channel;

use crate::harness::{H, Tenant, id, keyed, refused, with};

pub fn tags(h: &H) -> TagServiceClient<Channel> {
    TagServiceClient::new(h.channel.clone())
}

pub fn segments(h: &H) -> SegmentServiceClient<Channel> {
    SegmentServiceClient::new(h.channel.clone())
}

pub async fn new_tag(h: &H, token: &str, name: &str) -> pb::Tag {
    tags(h)
        .create_tag(with(
            pb::CreateTagRequest {
                tag: Some(pb::Tag {
                    name: name.into(),
                    group: "兴趣".into(),
                    ..Default::default()
                }),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .tag
        .unwrap()
}

pub async fn tag(h: &H, token: &str, members: &[String], tag_ids: &[&str]) -> i32 {
    tags(h)
        .tag_members(with(
            pb::TagMembersRequest {
                member_ids: members.to_vec(),
                tag_ids: tag_ids.iter().map(|t| (*t).to_owned()).collect(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .added_count
}

pub fn has_tags(ids: &[&str], match_all: bool) -> pb::SegmentExpression {
    pb::SegmentExpression {
        node: Some(Node::Tag(pb::TagCondition {
            tag_ids: ids.iter().map(|t| (*t).to_owned()).collect(),
            match_all,
        })),
    }
}

pub fn attr(name: &str, op: pb::SegmentOperator, values: &[&str]) -> pb::SegmentExpression {
    pb::SegmentExpression {
        node: Some(Node::Attribute(pb::AttributeCondition {
            attribute: name.into(),
            operator: op as i32,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        })),
    }
}

pub fn all_of(list: Vec<pb::SegmentExpression>) -> pb::SegmentExpression {
    pb::SegmentExpression {
        node: Some(Node::AllOf(pb::SegmentExpressionList { expressions: list })),
    }
}

pub fn any_of(list: Vec<pb::SegmentExpression>) -> pb::SegmentExpression {
    pb::SegmentExpression {
        node: Some(Node::AnyOf(pb::SegmentExpressionList { expressions: list })),
    }
}

pub fn negate(e: pb::SegmentExpression) -> pb::SegmentExpression {
    pb::SegmentExpression {
        node: Some(Node::Negate(Box::new(e))),
    }
}

pub async fn new_segment(h: &H, token: &str, expr: pb::SegmentExpression) -> pb::Segment {
    segments(h)
        .create_segment(with(
            pb::CreateSegmentRequest {
                segment: Some(pb::Segment {
                    name: "高价值会员".into(),
                    expression: Some(expr),
                    ..Default::default()
                }),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .segment
        .unwrap()
}

pub async fn evaluate(h: &H, token: &str, segment: &str) -> pb::SegmentSnapshot {
    segments(h)
        .evaluate_segment(with(
            pb::EvaluateSegmentRequest {
                segment_id: segment.into(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .snapshot
        .unwrap()
}

/// Every member id of a snapshot, page by page of `size`.
pub async fn export_all(h: &H, token: &str, snapshot: &str, size: i32) -> Vec<String> {
    let mut out = Vec::new();
    let mut token_page = String::new();
    loop {
        let r = segments(h)
            .export_segment_members(with(
                pb::ExportSegmentMembersRequest {
                    snapshot_id: snapshot.into(),
                    page: Some(siyu_proto::common::v1::PageRequest {
                        page_size: size,
                        page_token: token_page.clone(),
                    }),
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner();
        out.extend(r.members.into_iter().map(|m| m.member_id));
        token_page = r.page.unwrap().next_page_token;
        if token_page.is_empty() {
            return out;
        }
    }
}

/// Enrols `n` members through the service, each with attributes, as staff.
async fn enrol(h: &H, t: &Tenant, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        let skin = if i % 3 == 0 { "dry" } else { "oily" };
        let m = h
            .members()
            .enroll_member(with(
                pb::EnrollMemberRequest {
                    user_id: id(),
                    attributes: [("skin".to_owned(), skin.to_owned())].into(),
                    birthday: if i % 2 == 0 {
                        "1990-06-16".into()
                    } else {
                        String::new()
                    },
                    ..Default::default()
                },
                &t.admin,
            ))
            .await
            .unwrap()
            .into_inner()
            .member
            .unwrap();
        out.push(m.member_id);
    }
    out
}

async fn preview(h: &H, t: &Tenant, expr: pb::SegmentExpression) -> pb::PreviewSegmentResponse {
    segments(h)
        .preview_segment(with(
            pb::PreviewSegmentRequest {
                expression: Some(expr),
                scope_store_id: String::new(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
}

async fn tags_and_segments_agree(h: &H) {
    let t = Tenant::new(h).await;
    let members = enrol(h, &t, 24).await;
    let vip = new_tag(h, &t.admin, "VIP").await;
    let churned = new_tag(h, &t.admin, "流失").await;
    // VIP: members 0..12; churned: every fourth; points: 100 to members 6..18.
    assert_eq!(tag(h, &t.admin, &members[..12], &[&vip.tag_id]).await, 12);
    assert_eq!(
        tag(h, &t.admin, &members[..12], &[&vip.tag_id]).await,
        0,
        "no-ops"
    );
    let every_fourth: Vec<String> = members.iter().step_by(4).cloned().collect();
    tag(h, &t.admin, &every_fourth, &[&churned.tag_id]).await;
    for m in &members[6..18] {
        t.earn(h, m, 100).await;
    }
    // The member shows its tags.
    let m0 = h
        .members()
        .get_member(with(
            pb::GetMemberRequest {
                member_id: members[0].clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    let shown: BTreeSet<String> = m0.tag_ids.into_iter().collect();
    assert_eq!(shown, [vip.tag_id.clone(), churned.tag_id.clone()].into());

    // VIP and (100+ points or dry skin) and not churned.
    let expr = all_of(vec![
        has_tags(&[&vip.tag_id], false),
        any_of(vec![
            attr("points_available", pb::SegmentOperator::Gte, &["100"]),
            attr("attributes.skin", pb::SegmentOperator::In, &["dry"]),
        ]),
        negate(has_tags(&[&churned.tag_id], false)),
    ]);
    let expected: BTreeSet<String> = (0..24)
        .filter(|i| *i < 12 && ((6..18).contains(i) || i % 3 == 0) && i % 4 != 0)
        .map(|i| members[i].clone())
        .collect();
    let p = preview(h, &t, expr.clone()).await;
    assert_eq!(p.member_count as usize, expected.len());
    assert!(p.sample_member_ids.iter().all(|m| expected.contains(m)));

    let seg = new_segment(h, &t.admin, expr).await;
    let snap = evaluate(h, &t.admin, &seg.segment_id).await;
    assert!(snap.ready);
    assert_eq!(snap.member_count as usize, expected.len());
    let exported = export_all(h, &t.admin, &snap.snapshot_id, 2).await;
    let mut sorted = exported.clone();
    sorted.sort();
    assert_eq!(exported, sorted, "ascending member id");
    assert_eq!(exported.into_iter().collect::<BTreeSet<_>>(), expected);
    for (i, m) in members.iter().enumerate() {
        let r = segments(h)
            .check_segment_membership(with(
                pb::CheckSegmentMembershipRequest {
                    segment_id: seg.segment_id.clone(),
                    member_id: m.clone(),
                },
                &t.service,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.member, expected.contains(m), "member {i}");
    }
    let got = segments(h)
        .get_segment(with(
            pb::GetSegmentRequest {
                segment_id: seg.segment_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .segment
        .unwrap();
    assert_eq!(got.last_count as usize, expected.len());
    assert!(got.last_evaluated_at.is_some());

    // Untagging changes the next snapshot, never the frozen one.
    let untagged = tags(h)
        .untag_members(with(
            pb::UntagMembersRequest {
                member_ids: members[..12].to_vec(),
                tag_ids: vec![vip.tag_id.clone()],
            },
            &t.partner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(untagged.removed_count, 12);
    assert_eq!(evaluate(h, &t.admin, &seg.segment_id).await.member_count, 0);
    assert_eq!(
        export_all(h, &t.admin, &snap.snapshot_id, 100).await.len(),
        expected.len()
    );

    // Birthdays within the next days (the test clock is 2025-06-15 in Shanghai), ListTags.
    let soon = preview(
        h,
        &t,
        attr("birthday", pb::SegmentOperator::WithinNextDays, &["3"]),
    )
    .await;
    assert_eq!(soon.member_count, 12);
    let listed = tags(h)
        .list_tags(with(pb::ListTagsRequest::default(), &t.admin))
        .await
        .unwrap()
        .into_inner()
        .tags;
    let churned_listed = listed.iter().find(|x| x.tag_id == churned.tag_id).unwrap();
    assert_eq!(churned_listed.member_count, 6);
    let system = listed
        .iter()
        .filter(|x| x.kind == pb::TagKind::System as i32)
        .count();
    assert_eq!(system, 18);

    // A tag a live segment names stays; archived segments free it, and are not exported.
    refused(
        tags(h)
            .delete_tag(with(
                pb::DeleteTagRequest {
                    tag_id: vip.tag_id.clone(),
                },
                &t.admin,
            ))
            .await,
        Code::FailedPrecondition,
        "TAG_IN_USE",
    );
    segments(h)
        .archive_segment(with(
            pb::ArchiveSegmentRequest {
                segment_id: seg.segment_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap();
    refused(
        segments(h)
            .export_segment_members(with(
                pb::ExportSegmentMembersRequest {
                    snapshot_id: snap.snapshot_id.clone(),
                    page: None,
                },
                &t.admin,
            ))
            .await,
        Code::NotFound,
        "SNAPSHOT_NOT_FOUND",
    );
    let deleted = tags(h)
        .delete_tag(with(
            pb::DeleteTagRequest {
                tag_id: churned.tag_id.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.removed_from_count, 6);
    let mirror = h
        .scalar(
            "SELECT COUNT(*) FROM mem_members WHERE tag_ids LIKE $1",
            vec![format!("%{}%", churned.tag_id).into()],
        )
        .await;
    assert_eq!(mirror, 0, "the tag left every member's list");
}

#[tokio::test]
async fn tags_and_segments_agree_on_postgres() {
    tags_and_segments_agree(&H::pg().await).await;
}

#[tokio::test]
async fn tags_and_segments_agree_on_sqlite() {
    tags_and_segments_agree(&H::sqlite().await).await;
}

#[tokio::test]
async fn system_tags_are_read_only_and_names_unique_per_group() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    let listed = tags(&h)
        .list_tags(with(
            pb::ListTagsRequest {
                kind: pb::TagKind::System as i32,
                group: String::new(),
                page: Some(siyu_proto::common::v1::PageRequest {
                    page_size: 5,
                    page_token: String::new(),
                }),
            },
            &t.partner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.tags.len(), 5);
    assert!(!listed.page.unwrap().next_page_token.is_empty());
    let system = listed.tags[0].clone();
    assert!(!system.code.is_empty());
    refused(
        tags(&h)
            .tag_members(with(
                pb::TagMembersRequest {
                    member_ids: vec![member.clone()],
                    tag_ids: vec![system.tag_id.clone()],
                },
                &t.admin,
            ))
            .await,
        Code::FailedPrecondition,
        "TAG_NOT_MANUAL",
    );
    refused(
        tags(&h)
            .delete_tag(with(
                pb::DeleteTagRequest {
                    tag_id: system.tag_id.clone(),
                },
                &t.admin,
            ))
            .await,
        Code::FailedPrecondition,
        "TAG_NOT_MANUAL",
    );
    let a = new_tag(&h, &t.admin, "敏感肌").await;
    refused(
        tags(&h)
            .create_tag(with(
                pb::CreateTagRequest {
                    tag: Some(pb::Tag {
                        name: "敏感肌".into(),
                        group: "兴趣".into(),
                        ..Default::default()
                    }),
                },
                &t.admin,
            ))
            .await,
        Code::AlreadyExists,
        "TAG_NAME_TAKEN",
    );
    let renamed = tags(&h)
        .update_tag(keyed(
            pb::UpdateTagRequest {
                tag: Some(pb::Tag {
                    tag_id: a.tag_id.clone(),
                    name: "干皮".into(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["name".into()],
                }),
            },
            &t.admin,
            "rename-1",
        ))
        .await
        .unwrap()
        .into_inner()
        .tag
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.group.as_str()),
        ("干皮", "兴趣")
    );
}

/// Every attribute of the contract that is evaluated, with each kind of operator it takes,
/// runs on the backend and counts what three fresh members (no tier, store, guide, inviter,
/// birthday, points or custom attributes; enrolled now) should match.
async fn every_attribute_runs(h: &H) {
    use pb::SegmentOperator as Op;
    let t = Tenant::new(h).await;
    for _ in 0..3 {
        t.member(h).await;
    }
    let store = id();
    let cases = [
        (attr("tier_code", Op::In, &["GOLD", "SILVER"]), 0),
        (negate(attr("tier_code", Op::Eq, &["GOLD"])), 3),
        (attr("tier_code", Op::NotExists, &[]), 3),
        (attr("growth_value", Op::Between, &["0", "10"]), 3),
        (attr("growth_value", Op::Ne, &["0"]), 0),
        (attr("enrolled_at", Op::WithinLastDays, &["1"]), 3),
        (attr("enrolled_at", Op::Gt, &["2030-01-01"]), 0),
        (attr("enrolled_at", Op::Lte, &["2030-01-01T00:00:00Z"]), 3),
        (attr("enrolment_channel", Op::NotIn, &["1", "2"]), 3),
        (attr("home_store_id", Op::Eq, &[&store]), 0),
        (attr("home_store_id", Op::Ne, &[&store]), 3),
        (attr("home_store_id", Op::NotExists, &[]), 3),
        (attr("guide_id", Op::Exists, &[]), 0),
        (attr("inviter_member_id", Op::In, &[&store]), 0),
        (attr("birthday", Op::NotExists, &[]), 3),
        (attr("birthday", Op::WithinNextDays, &["30"]), 0),
        (attr("points_available", Op::Eq, &["0"]), 3),
        (attr("stored_value_available", Op::Lt, &["1"]), 3),
        (attr("attributes.level", Op::Exists, &[]), 0),
        (attr("attributes.level", Op::NotIn, &["a"]), 3),
        (attr("attributes.level", Op::Gte, &["a"]), 0),
    ];
    for (i, (expr, want)) in cases.into_iter().enumerate() {
        assert_eq!(preview(h, &t, expr).await.member_count, want, "case {i}");
    }
}

#[tokio::test]
async fn every_attribute_runs_on_postgres() {
    every_attribute_runs(&H::pg().await).await;
}

#[tokio::test]
async fn every_attribute_runs_on_sqlite() {
    every_attribute_runs(&H::sqlite().await).await;
}

/// Tags given at enrolment are tags like any other: shown on the member and seen by segments;
/// an unknown tag refuses the enrolment.
#[tokio::test]
async fn tags_given_at_enrolment_are_seen_by_segments() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let vip = new_tag(&h, &t.admin, "VIP").await;
    let enrol = |tag_ids: Vec<String>| {
        let request = with(
            pb::EnrollMemberRequest {
                user_id: id(),
                tag_ids,
                ..Default::default()
            },
            &t.admin,
        );
        let mut client = h.members();
        async move { client.enroll_member(request).await }
    };
    let member = enrol(vec![vip.tag_id.clone(), vip.tag_id.clone()])
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    assert_eq!(member.tag_ids, vec![vip.tag_id.clone()]);
    let seen = preview(&h, &t, has_tags(&[&vip.tag_id], true)).await;
    assert_eq!(seen.member_count, 1);
    assert_eq!(seen.sample_member_ids, vec![member.member_id]);

    let unknown = enrol(vec![id()]).await;
    refused(unknown, Code::NotFound, "TAG_NOT_FOUND");
    let after = preview(&h, &t, has_tags(&[&vip.tag_id], true)).await;
    assert_eq!(after.member_count, 1, "a refused enrolment tags nobody");
}
