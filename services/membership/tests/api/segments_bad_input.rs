//! Malformed and hostile requests to every TagService and SegmentService RPC and to
//! GrantCouponsToSegment: the exact code, reason and field; callers outside the contract.

use siyu_core::PrincipalKind;
use siyu_proto::common::v1::PageRequest;
use siyu_proto::membership::v1 as pb;
use tonic::{Code, Status};

use crate::coupons::{amount_off, coupons};
use crate::harness::{H, Tenant, field, id, refused, with};
use crate::segments::{all_of, attr, has_tags, negate, new_segment, new_tag, segments, tags};

use pb::SegmentOperator as Op;

fn ok<T>(r: Result<tonic::Response<T>, Status>) -> Result<(), Status> {
    r.map(|_| ())
}

/// Asserts INVALID_ARGUMENT with `why` on `at`, and returns the violation's description.
#[track_caller]
fn invalid(r: Result<(), Status>, why: &str, at: &str) -> String {
    let s = refused(r, Code::InvalidArgument, why);
    assert_eq!(field(&s), at, "{s:?}");
    use tonic_types::StatusExt;
    s.get_details_bad_request()
        .and_then(|b| b.field_violations.first().map(|v| v.description.clone()))
        .unwrap_or_default()
}

fn segment(expr: Option<pb::SegmentExpression>) -> pb::CreateSegmentRequest {
    pb::CreateSegmentRequest {
        segment: Some(pb::Segment {
            name: "人群".into(),
            expression: expr,
            ..Default::default()
        }),
    }
}

fn page(size: i32) -> Option<PageRequest> {
    Some(PageRequest {
        page_size: size,
        page_token: String::new(),
    })
}

#[tokio::test]
async fn tag_rpcs_refuse_malformed_input() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    let tag = new_tag(&h, &t.admin, "VIP").await;
    let new = |name: &str, group: &str| pb::CreateTagRequest {
        tag: Some(pb::Tag {
            name: name.into(),
            group: group.into(),
            ..Default::default()
        }),
    };
    let c = || tags(&h);
    invalid(
        ok(c().create_tag(with(new(" ", ""), &t.admin)).await),
        "INVALID_ARGUMENT",
        "tag.name",
    );
    let long = "标".repeat(31);
    invalid(
        ok(c().create_tag(with(new(&long, ""), &t.admin)).await),
        "INVALID_ARGUMENT",
        "tag.name",
    );
    invalid(
        ok(c().create_tag(with(new("x", &long), &t.admin)).await),
        "INVALID_ARGUMENT",
        "tag.group",
    );
    invalid(
        ok(c()
            .create_tag(with(pb::CreateTagRequest { tag: None }, &t.admin))
            .await),
        "INVALID_ARGUMENT",
        "tag",
    );
    let update = |tag_id: &str, paths: &[&str]| pb::UpdateTagRequest {
        tag: Some(pb::Tag {
            tag_id: tag_id.into(),
            name: "新名".into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    };
    invalid(
        ok(c()
            .update_tag(with(update("nope", &["name"]), &t.admin))
            .await),
        "INVALID_ARGUMENT",
        "tag.tag_id",
    );
    invalid(
        ok(c()
            .update_tag(with(update(&tag.tag_id, &["kind"]), &t.admin))
            .await),
        "UNKNOWN_FIELD_PATH",
        "update_mask",
    );
    refused(
        ok(c()
            .update_tag(with(update(&id(), &["name"]), &t.admin))
            .await),
        Code::NotFound,
        "TAG_NOT_FOUND",
    );
    invalid(
        ok(c()
            .delete_tag(with(pb::DeleteTagRequest { tag_id: "1".into() }, &t.admin))
            .await),
        "INVALID_ARGUMENT",
        "tag_id",
    );
    invalid(
        ok(c()
            .list_tags(with(
                pb::ListTagsRequest {
                    kind: 9,
                    ..Default::default()
                },
                &t.admin,
            ))
            .await),
        "INVALID_ARGUMENT",
        "kind",
    );
    invalid(
        ok(c()
            .list_tags(with(
                pb::ListTagsRequest {
                    page: page(1000),
                    ..Default::default()
                },
                &t.admin,
            ))
            .await),
        "INVALID_ARGUMENT",
        "page.page_size",
    );
    let pairs = |members: Vec<String>, tag_ids: Vec<String>| pb::TagMembersRequest {
        member_ids: members,
        tag_ids,
    };
    let vip = || vec![tag.tag_id.clone()];
    for (req, at) in [
        (pairs(vec![], vip()), "member_ids"),
        (
            pairs((0..1001).map(|_| id()).collect(), vip()),
            "member_ids",
        ),
        (
            pairs(vec![member.clone(), member.clone()], vip()),
            "member_ids",
        ),
        (pairs(vec!["x".into()], vip()), "member_ids[0]"),
        (pairs(vec![member.clone()], vec![]), "tag_ids"),
        (
            pairs(vec![member.clone()], (0..21).map(|_| id()).collect()),
            "tag_ids",
        ),
    ] {
        invalid(
            ok(c().tag_members(with(req, &t.admin)).await),
            "INVALID_ARGUMENT",
            at,
        );
    }
    refused(
        ok(c()
            .tag_members(with(pairs(vec![member.clone()], vec![id()]), &t.admin))
            .await),
        Code::NotFound,
        "TAG_NOT_FOUND",
    );
    refused(
        ok(c()
            .tag_members(with(pairs(vec![id()], vip()), &t.admin))
            .await),
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    invalid(
        ok(c()
            .untag_members(with(
                pb::UntagMembersRequest {
                    member_ids: vec![member.clone()],
                    tag_ids: vec!["bad".into()],
                },
                &t.admin,
            ))
            .await),
        "INVALID_ARGUMENT",
        "tag_ids[0]",
    );
}

#[tokio::test]
async fn segment_expressions_refuse_what_is_malformed_too_deep_or_too_large() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let create = |expr: Option<pb::SegmentExpression>| {
        let mut c = segments(&h);
        let r = with(segment(expr), &t.admin);
        async move { ok(c.create_segment(r).await) }
    };
    const WHY: &str = "INVALID_SEGMENT_EXPRESSION";
    invalid(create(None).await, WHY, "segment.expression");
    invalid(
        create(Some(pb::SegmentExpression { node: None })).await,
        WHY,
        "segment.expression",
    );
    // Six levels: five negations around a condition.
    let mut deep = attr("growth_value", Op::Gt, &["1"]);
    for _ in 0..5 {
        deep = negate(deep);
    }
    let why = invalid(
        create(Some(deep)).await,
        WHY,
        "segment.expression.negate.negate.negate.negate.negate",
    );
    assert_eq!(why, "nested deeper than 5 levels");
    // A hostile nesting far beyond the limit is refused the same way.
    let mut hostile = attr("growth_value", Op::Gt, &["1"]);
    for _ in 0..60 {
        hostile = negate(hostile);
    }
    invalid(
        create(Some(hostile)).await,
        WHY,
        "segment.expression.negate.negate.negate.negate.negate",
    );
    let wide = all_of(
        (0..3)
            .map(|_| all_of(vec![attr("growth_value", Op::Gt, &["1"]); 20]))
            .collect(),
    );
    let why = invalid(
        create(Some(wide)).await,
        WHY,
        "segment.expression.all_of.expressions[2].all_of.expressions[10]",
    );
    assert_eq!(why, "more than 50 conditions");
    invalid(
        create(Some(all_of(vec![]))).await,
        WHY,
        "segment.expression.all_of.expressions",
    );
    for (e, at, why) in [
        (
            attr("nope", Op::Eq, &["1"]),
            "segment.expression.attribute",
            "unknown attribute nope",
        ),
        (
            attr("order_count_365d", Op::Gt, &["1"]),
            "segment.expression.attribute",
            "attribute order_count_365d is not available yet",
        ),
        (
            attr("birthday", Op::Gt, &["1990-01-01"]),
            "segment.expression.attribute.operator",
            "Gt is not valid for birthday",
        ),
        (
            attr("growth_value", Op::Unspecified, &["1"]),
            "segment.expression.attribute.operator",
            "required",
        ),
        (
            attr("growth_value", Op::Between, &["1"]),
            "segment.expression.attribute.values",
            "Between takes exactly 2 values",
        ),
        (
            attr("points_available", Op::Gte, &["many"]),
            "segment.expression.attribute.values[0]",
            "must be a decimal integer",
        ),
        (
            attr("enrolled_at", Op::Gt, &["yesterday"]),
            "segment.expression.attribute.values[0]",
            "must be an RFC 3339 time or a date YYYY-MM-DD",
        ),
        (
            attr("home_store_id", Op::Eq, &["store-1"]),
            "segment.expression.attribute.values[0]",
            "must be a UUID",
        ),
        (
            has_tags(&["not-a-uuid"], false),
            "segment.expression.tag.tag_ids[0]",
            "must be a UUID",
        ),
        (
            has_tags(&[], true),
            "segment.expression.tag.tag_ids",
            "1 to 20 tags",
        ),
        (
            has_tags(&[&id()], false),
            "segment.expression.tag.tag_ids[0]",
            "no such tag",
        ),
    ] {
        assert_eq!(invalid(create(Some(e)).await, WHY, at), why);
    }
    let long = "名".repeat(51);
    invalid(
        ok(segments(&h)
            .create_segment(with(
                pb::CreateSegmentRequest {
                    segment: Some(pb::Segment {
                        name: long,
                        expression: Some(attr("growth_value", Op::Gt, &["1"])),
                        ..Default::default()
                    }),
                },
                &t.admin,
            ))
            .await),
        "INVALID_ARGUMENT",
        "segment.name",
    );
}

#[tokio::test]
async fn segment_rpcs_refuse_malformed_input() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let seg = new_segment(&h, &t.admin, attr("growth_value", Op::Gte, &["0"])).await;
    let c = || segments(&h);
    invalid(
        ok(c()
            .update_segment(with(
                pb::UpdateSegmentRequest {
                    segment: Some(pb::Segment {
                        segment_id: seg.segment_id.clone(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["scope_store_id".into()],
                    }),
                },
                &t.admin,
            ))
            .await),
        "UNKNOWN_FIELD_PATH",
        "update_mask",
    );
    invalid(
        ok(c()
            .update_segment(with(
                pb::UpdateSegmentRequest {
                    segment: Some(pb::Segment {
                        segment_id: seg.segment_id.clone(),
                        expression: Some(attr("tier_code", Op::Gt, &["GOLD"])),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["expression".into()],
                    }),
                },
                &t.admin,
            ))
            .await),
        "INVALID_SEGMENT_EXPRESSION",
        "segment.expression.attribute.operator",
    );
    invalid(
        ok(c()
            .get_segment(with(
                pb::GetSegmentRequest {
                    segment_id: "x".into(),
                },
                &t.admin,
            ))
            .await),
        "INVALID_ARGUMENT",
        "segment_id",
    );
    refused(
        ok(c()
            .get_segment(with(pb::GetSegmentRequest { segment_id: id() }, &t.admin))
            .await),
        Code::NotFound,
        "SEGMENT_NOT_FOUND",
    );
    invalid(
        ok(c()
            .list_segments(with(
                pb::ListSegmentsRequest {
                    query: "q".repeat(51),
                    ..Default::default()
                },
                &t.admin,
            ))
            .await),
        "INVALID_ARGUMENT",
        "query",
    );
    invalid(
        ok(c()
            .archive_segment(with(
                pb::ArchiveSegmentRequest {
                    segment_id: String::new(),
                },
                &t.admin,
            ))
            .await),
        "INVALID_ARGUMENT",
        "segment_id",
    );
    invalid(
        ok(c()
            .preview_segment(with(
                pb::PreviewSegmentRequest {
                    expression: None,
                    scope_store_id: String::new(),
                },
                &t.admin,
            ))
            .await),
        "INVALID_SEGMENT_EXPRESSION",
        "expression",
    );
    invalid(
        ok(c()
            .preview_segment(with(
                pb::PreviewSegmentRequest {
                    expression: Some(attr("growth_value", Op::Gte, &["0"])),
                    scope_store_id: "store".into(),
                },
                &t.admin,
            ))
            .await),
        "INVALID_ARGUMENT",
        "scope_store_id",
    );
    refused(
        ok(c()
            .evaluate_segment(with(
                pb::EvaluateSegmentRequest { segment_id: id() },
                &t.service,
            ))
            .await),
        Code::NotFound,
        "SEGMENT_NOT_FOUND",
    );
    let snap = crate::segments::evaluate(&h, &t.admin, &seg.segment_id).await;
    invalid(
        ok(c()
            .export_segment_members(with(
                pb::ExportSegmentMembersRequest {
                    snapshot_id: snap.snapshot_id.clone(),
                    page: page(5001),
                },
                &t.admin,
            ))
            .await),
        "INVALID_ARGUMENT",
        "page.page_size",
    );
    refused(
        ok(c()
            .export_segment_members(with(
                pb::ExportSegmentMembersRequest {
                    snapshot_id: id(),
                    page: None,
                },
                &t.admin,
            ))
            .await),
        Code::NotFound,
        "SNAPSHOT_NOT_FOUND",
    );
    invalid(
        ok(c()
            .check_segment_membership(with(
                pb::CheckSegmentMembershipRequest {
                    segment_id: seg.segment_id.clone(),
                    member_id: "m".into(),
                },
                &t.service,
            ))
            .await),
        "INVALID_ARGUMENT",
        "member_id",
    );
    // Snapshots live seven days.
    h.advance_days(8);
    refused(
        ok(c()
            .export_segment_members(with(
                pb::ExportSegmentMembersRequest {
                    snapshot_id: snap.snapshot_id,
                    page: None,
                },
                &t.service,
            ))
            .await),
        Code::FailedPrecondition,
        "SNAPSHOT_EXPIRED",
    );
}

#[tokio::test]
async fn grants_to_a_segment_refuse_malformed_input() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let seg = new_segment(&h, &t.admin, attr("growth_value", Op::Gte, &["0"])).await;
    let draft = coupons(&h)
        .create_coupon_template(with(
            pb::CreateCouponTemplateRequest {
                template: Some(amount_off(10, 1)),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .template
        .unwrap()
        .template_id;
    let req = |template: &str, quantity: i32, segment: &str, key: &str| {
        pb::GrantCouponsToSegmentRequest {
            template_id: template.into(),
            quantity_per_member: quantity,
            segment_id: segment.into(),
            grant_key: key.into(),
            reason: "活动".into(),
            ..Default::default()
        }
    };
    let c = || coupons(&h);
    let s = seg.segment_id.as_str();
    for (r, at) in [
        (req("", 1, s, "k"), "template_id"),
        (
            pb::GrantCouponsToSegmentRequest {
                pack_id: id(),
                ..req(&draft, 1, s, "k")
            },
            "template_id",
        ),
        (req(&draft, 0, s, "k"), "quantity_per_member"),
        (req(&draft, 21, s, "k"), "quantity_per_member"),
        (req(&draft, 1, "seg", "k"), "segment_id"),
        (req(&draft, 1, s, " "), "grant_key"),
        (
            pb::GrantCouponsToSegmentRequest {
                reason: String::new(),
                ..req(&draft, 1, s, "k")
            },
            "reason",
        ),
    ] {
        invalid(
            ok(c().grant_coupons_to_segment(with(r, &t.admin)).await),
            "INVALID_ARGUMENT",
            at,
        );
    }
    refused(
        ok(c()
            .grant_coupons_to_segment(with(req(&draft, 1, &id(), "k1"), &t.admin))
            .await),
        Code::NotFound,
        "SEGMENT_NOT_FOUND",
    );
    refused(
        ok(c()
            .grant_coupons_to_segment(with(req(&draft, 1, s, "k2"), &t.admin))
            .await),
        Code::FailedPrecondition,
        "TEMPLATE_NOT_PUBLISHED",
    );
}

#[tokio::test]
async fn tag_and_segment_callers_outside_the_contract_are_refused() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (_, consumer) = t.member(&h).await;
    let reader = h.token_for(t.id, PrincipalKind::Partner, "p", &[], &["members.read"]);
    let guide = t.staff(&h, "guide", &t.root.to_string());
    let denied = |r: Result<(), Status>| {
        assert_eq!(r.expect_err("refused").code(), Code::PermissionDenied);
    };
    denied(ok(tags(&h)
        .create_tag(with(pb::CreateTagRequest::default(), &consumer))
        .await));
    denied(ok(tags(&h)
        .delete_tag(with(pb::DeleteTagRequest::default(), &guide))
        .await));
    denied(ok(tags(&h)
        .tag_members(with(pb::TagMembersRequest::default(), &reader))
        .await));
    denied(ok(segments(&h)
        .create_segment(with(segment(None), &guide))
        .await));
    denied(ok(segments(&h)
        .export_segment_members(with(pb::ExportSegmentMembersRequest::default(), &guide))
        .await));
    denied(ok(segments(&h)
        .preview_segment(with(pb::PreviewSegmentRequest::default(), &t.partner))
        .await));
    denied(ok(coupons(&h)
        .grant_coupons_to_segment(with(pb::GrantCouponsToSegmentRequest::default(), &guide))
        .await));
    // A store manager's segment is limited to their store; another store is out of scope.
    let store = siyu_core::id::new();
    let manager = t.staff(&h, "store_manager", &format!("{}/{store}", t.root));
    let mine = new_segment(&h, &manager, attr("growth_value", Op::Gte, &["0"])).await;
    assert_eq!(mine.scope_store_id, store.to_string());
    let other = pb::CreateSegmentRequest {
        segment: Some(pb::Segment {
            name: "别店".into(),
            scope_store_id: id(),
            expression: Some(attr("growth_value", Op::Gte, &["0"])),
            ..Default::default()
        }),
    };
    refused(
        ok(segments(&h).create_segment(with(other, &manager)).await),
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
}
