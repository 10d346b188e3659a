//! MemberService: enrolment (idempotent per user, attribution, card numbers, referral, guide,
//! MemberEnrolled), the reads, the dynamic member code, the staff list and updates.

use futures::future::join_all;
use sea_orm::Value;
use siyu_proto::common::v1::Attribution;
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::harness::{H, Tenant, field, id, keyed, refused, with};

fn enrol_as(user: &str) -> pb::EnrollMemberRequest {
    pb::EnrollMemberRequest {
        user_id: user.into(),
        ..Default::default()
    }
}

async fn events(h: &H, kind: &str) -> i64 {
    h.scalar(
        "SELECT COUNT(*) FROM siyu_outbox WHERE event_type = $1",
        vec![Value::from(kind)],
    )
    .await
}

#[tokio::test]
async fn a_consumer_enrols_once_and_gets_a_luhn_card_number() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (user, token) = t.consumer(&h);
    let req = pb::EnrollMemberRequest {
        birthday: "1990-05-01".into(),
        card_holder_name: "张三".into(),
        ..Default::default()
    };
    let first = h
        .members()
        .enroll_member(with(req.clone(), &token))
        .await
        .unwrap()
        .into_inner();
    assert!(first.created);
    let m = first.member.unwrap();
    assert_eq!(m.user_id, user);
    assert_eq!(m.card_number.len(), 12);
    assert_eq!(m.status, pb::MemberStatus::Active as i32);
    let again = h
        .members()
        .enroll_member(with(req, &token))
        .await
        .unwrap()
        .into_inner();
    assert!(!again.created);
    assert_eq!(again.member.unwrap().member_id, m.member_id);
    assert_eq!(
        events(&h, "membership.member_enrolled").await,
        1,
        "one MemberEnrolled"
    );
    let mine = h
        .members()
        .get_member_by_user(with(pb::GetMemberByUserRequest::default(), &token))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    assert_eq!(mine.member_id, m.member_id);
    assert_eq!(mine.birthday, "1990-05-01");
}

#[tokio::test]
async fn staff_enrol_in_store_with_attribution_card_and_referrer() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (referrer_user, referrer_token) = t.consumer(&h);
    h.members()
        .enroll_member(with(pb::EnrollMemberRequest::default(), &referrer_token))
        .await
        .unwrap();
    let (store, guide) = (id(), id());
    let staff = t.staff(&h, "store_manager", &format!("{}/{store}", t.root));
    let user = id();
    let req = pb::EnrollMemberRequest {
        user_id: user.clone(),
        card_number: "6200000012345".into(),
        attribution: Some(Attribution {
            channel: 5,
            store_id: store.clone(),
            guide_id: guide.clone(),
            referrer_user_id: referrer_user,
            campaign_id: "spring".into(),
            scene_code: "QR-1".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let done = h
        .members()
        .enroll_member(with(req, &staff))
        .await
        .unwrap()
        .into_inner();
    assert!(done.created && done.invite_code_applied);
    let m = done.member.unwrap();
    assert_eq!(m.card_number, "6200000012345");
    assert_eq!(m.home_store_id, store);
    assert_eq!(m.guide.as_ref().unwrap().guide_id, guide);
    assert_eq!(
        m.guide.unwrap().source,
        pb::GuideBindingSource::Enrolment as i32
    );
    assert!(!m.inviter_member_id.is_empty());
    assert_eq!(m.enrolment_attribution.unwrap().campaign_id, "spring");

    let taken = pb::EnrollMemberRequest {
        user_id: id(),
        card_number: "6200000012345".into(),
        ..Default::default()
    };
    refused(
        h.members().enroll_member(with(taken, &t.admin)).await,
        Code::AlreadyExists,
        "CARD_NUMBER_TAKEN",
    );
    let by_card = h
        .members()
        .get_member_by_card_number(with(
            pb::GetMemberByCardNumberRequest {
                card_number: "6200000012345".into(),
            },
            &t.partner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_card.member.unwrap().user_id, user);
}

#[tokio::test]
async fn sixteen_concurrent_enrolments_of_one_user_make_one_member() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let user = id();
    let calls = (0..16).map(|_| {
        let mut c = h.members();
        let req = with(enrol_as(&user), &t.service);
        async move { c.enroll_member(req).await.unwrap().into_inner() }
    });
    let done = join_all(calls).await;
    assert_eq!(done.iter().filter(|d| d.created).count(), 1);
    let ids: std::collections::HashSet<_> = done
        .iter()
        .map(|d| d.member.clone().unwrap().member_id)
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM mem_members", vec![]).await,
        1
    );
    assert_eq!(events(&h, "membership.member_enrolled").await, 1);
}

#[tokio::test]
async fn a_closed_member_cannot_enrol_again() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let user = id();
    h.members()
        .enroll_member(with(enrol_as(&user), &t.service))
        .await
        .unwrap();
    h.scalar("UPDATE mem_members SET status = 3 RETURNING 1", vec![])
        .await;
    refused(
        h.members()
            .enroll_member(with(enrol_as(&user), &t.service))
            .await,
        Code::FailedPrecondition,
        "MEMBER_CLOSED",
    );
}

#[tokio::test]
async fn the_enrolment_rule_credits_register_points() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    h.ledger()
        .create_earning_rule(with(
            pb::CreateEarningRuleRequest {
                rule: Some(pb::EarningRule {
                    name: "注册积分".into(),
                    trigger: pb::EarningTrigger::Enrolment as i32,
                    enabled: true,
                    fixed_points: 200,
                    ..Default::default()
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap();
    let (member, _) = t.member(&h).await;
    assert_eq!(t.balances(&h, &member).await.points_available, 200);
}

#[tokio::test]
async fn a_dynamic_member_code_resolves_for_a_minute() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, token) = t.member(&h).await;
    let code = h
        .members()
        .issue_member_code(with(pb::IssueMemberCodeRequest::default(), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code.code.len(), 18);
    let scan = |c: &str| {
        with(
            pb::GetMemberByCardNumberRequest {
                card_number: c.into(),
            },
            &t.admin,
        )
    };
    let found = h
        .members()
        .get_member_by_card_number(scan(&code.code))
        .await
        .unwrap();
    assert_eq!(found.into_inner().member.unwrap().member_id, member);
    h.clock.advance(chrono::Duration::seconds(61));
    refused(
        h.members()
            .get_member_by_card_number(scan(&code.code))
            .await,
        Code::FailedPrecondition,
        "MEMBER_CODE_EXPIRED",
    );
    refused(
        h.members()
            .get_member_by_card_number(scan("123456789012345678"))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
}

#[tokio::test]
async fn updates_follow_who_may_change_what() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, token) = t.member(&h).await;
    let update = |m: pb::Member, paths: &[&str], reason: &str| pb::UpdateMemberRequest {
        member: Some(m),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
        reason: reason.into(),
    };
    let birthday = |b: &str| pb::Member {
        birthday: b.into(),
        ..Default::default()
    };
    // A consumer sets an empty birthday once; changing it is for staff, with a reason.
    let done = h
        .members()
        .update_member(with(
            update(birthday("1991-01-02"), &["birthday"], ""),
            &token,
        ))
        .await
        .unwrap();
    assert_eq!(done.into_inner().member.unwrap().birthday, "1991-01-02");
    refused(
        h.members()
            .update_member(with(
                update(birthday("1992-01-02"), &["birthday"], ""),
                &token,
            ))
            .await,
        Code::PermissionDenied,
        "FIELD_NOT_EDITABLE",
    );
    let staff_change = pb::Member {
        member_id: member.clone(),
        ..birthday("1992-01-02")
    };
    let no_reason = refused(
        h.members()
            .update_member(with(
                update(staff_change.clone(), &["birthday"], ""),
                &t.admin,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(field(&no_reason), "reason");
    h.members()
        .update_member(keyed(
            update(staff_change, &["birthday"], "证件核对"),
            &t.admin,
            "u-1",
        ))
        .await
        .unwrap();
    // Staff freeze; a frozen member cannot show a member code.
    let frozen = pb::Member {
        member_id: member.clone(),
        status: pb::MemberStatus::Frozen as i32,
        remark: "风控".into(),
        ..Default::default()
    };
    let m = h
        .members()
        .update_member(with(
            update(frozen, &["status", "remark"], "风控复核"),
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    assert_eq!(
        (m.status, m.remark.as_str()),
        (pb::MemberStatus::Frozen as i32, "风控")
    );
    refused(
        h.members()
            .issue_member_code(with(pb::IssueMemberCodeRequest::default(), &token))
            .await,
        Code::FailedPrecondition,
        "MEMBER_FROZEN",
    );
    // The consumer never sees the staff remark; partners may not write it.
    let own = h
        .members()
        .get_member_by_user(with(pb::GetMemberByUserRequest::default(), &token))
        .await;
    assert_eq!(own.unwrap().into_inner().member.unwrap().remark, "");
    let remark = pb::Member {
        member_id: member.clone(),
        remark: "x".into(),
        ..Default::default()
    };
    refused(
        h.members()
            .update_member(with(update(remark, &["remark"], ""), &t.partner))
            .await,
        Code::PermissionDenied,
        "FIELD_NOT_EDITABLE",
    );
    // One attribute key at a time; an empty value deletes it.
    let attr = |v: &str| pb::Member {
        member_id: member.clone(),
        attributes: [("skin_type".to_owned(), v.to_owned())].into(),
        ..Default::default()
    };
    let m = h
        .members()
        .update_member(with(
            update(attr("dry"), &["attributes.skin_type"], ""),
            &t.partner,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    assert_eq!(m.attributes["skin_type"], "dry");
    let m = h
        .members()
        .update_member(with(
            update(attr(""), &["attributes.skin_type"], ""),
            &t.partner,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    assert!(m.attributes.is_empty());
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM mem_member_audit", vec![])
            .await,
        5,
        "every change is in the audit trail"
    );
}
