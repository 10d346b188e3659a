//! Malformed or hostile input, one or more per implemented MemberService RPC (LedgerService's
//! are in `bad_input_ledger`): the exact code, reason and field; and a caller the contract does
//! not admit is refused before any handler runs.

use prost_types::FieldMask;
use siyu_core::PrincipalKind;
use siyu_proto::common::v1::{Attribution, PageRequest};
use siyu_proto::membership::v1 as pb;
use tonic::{Code, Status};

use crate::harness::{H, Tenant, field, id, reason, with};

/// (what, result, code, reason, field).
pub type Case = (
    &'static str,
    Result<(), Status>,
    Code,
    &'static str,
    &'static str,
);

pub fn ok<T>(r: Result<tonic::Response<T>, Status>) -> Result<(), Status> {
    r.map(|_| ())
}

pub fn check(cases: Vec<Case>) {
    for (what, result, code, why, at) in cases {
        let s = result.expect_err(what);
        assert_eq!(
            (s.code(), reason(&s).as_str()),
            (code, why),
            "{what}: {s:?}"
        );
        assert_eq!(field(&s), at, "{what}: field");
    }
}

pub const BAD: Code = Code::InvalidArgument;
pub const INVALID: &str = "INVALID_ARGUMENT";

pub fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

#[tokio::test]
async fn member_rpcs_refuse_malformed_input() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, consumer) = t.member(&h).await;
    let (mut m, svc, admin) = (h.members(), t.service.clone(), t.admin.clone());
    let enrol = |f: fn(&mut pb::EnrollMemberRequest)| {
        let mut r = pb::EnrollMemberRequest {
            user_id: id(),
            ..Default::default()
        };
        f(&mut r);
        r
    };
    let long = "名".repeat(51);
    let cases: Vec<Case> = vec![
        (
            "enrol: no user",
            ok(
                m.enroll_member(with(pb::EnrollMemberRequest::default(), &svc))
                    .await,
            ),
            BAD,
            INVALID,
            "user_id",
        ),
        (
            "enrol: bad user",
            ok(
                m.enroll_member(with(enrol(|r| r.user_id = "x".into()), &svc))
                    .await,
            ),
            BAD,
            INVALID,
            "user_id",
        ),
        (
            "enrol: future birthday",
            ok(
                m.enroll_member(with(enrol(|r| r.birthday = "2099-01-01".into()), &svc))
                    .await,
            ),
            BAD,
            "INVALID_BIRTHDAY",
            "birthday",
        ),
        (
            "enrol: 30 February",
            ok(
                m.enroll_member(with(enrol(|r| r.birthday = "2000-02-30".into()), &svc))
                    .await,
            ),
            BAD,
            "INVALID_BIRTHDAY",
            "birthday",
        ),
        (
            "enrol: card letters",
            ok(
                m.enroll_member(with(enrol(|r| r.card_number = "12AB5678".into()), &svc))
                    .await,
            ),
            BAD,
            "INVALID_CARD_NUMBER",
            "card_number",
        ),
        (
            "enrol: card too short",
            ok(
                m.enroll_member(with(enrol(|r| r.card_number = "1234567".into()), &svc))
                    .await,
            ),
            BAD,
            "INVALID_CARD_NUMBER",
            "card_number",
        ),
        (
            "enrol: long name",
            ok(m.enroll_member(with(
                pb::EnrollMemberRequest {
                    card_holder_name: long.clone(),
                    ..enrol(|_| {})
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "card_holder_name",
        ),
        (
            "enrol: bad store",
            ok(m.enroll_member(with(
                pb::EnrollMemberRequest {
                    attribution: Some(Attribution {
                        store_id: "s1".into(),
                        ..Default::default()
                    }),
                    ..enrol(|_| {})
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "attribution.store_id",
        ),
        (
            "enrol: attribute key",
            ok(m.enroll_member(with(
                pb::EnrollMemberRequest {
                    attributes: [("Skin".to_owned(), "dry".to_owned())].into(),
                    ..enrol(|_| {})
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "attributes[Skin]",
        ),
        (
            "enrol: consumer card",
            ok(m.enroll_member(with(
                pb::EnrollMemberRequest {
                    card_number: "12345678".into(),
                    ..Default::default()
                },
                &t.consumer(&h).1,
            ))
            .await),
            BAD,
            "INVALID_CARD_NUMBER",
            "card_number",
        ),
        (
            "get: bad id",
            ok(m.get_member(with(
                pb::GetMemberRequest {
                    member_id: "1".into(),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "member_id",
        ),
        (
            "get: unknown",
            ok(
                m.get_member(with(pb::GetMemberRequest { member_id: id() }, &admin))
                    .await,
            ),
            Code::NotFound,
            "MEMBER_NOT_FOUND",
            "",
        ),
        (
            "get: another consumer's",
            ok(m.get_member(with(
                pb::GetMemberRequest {
                    member_id: member.clone(),
                },
                &t.member(&h).await.1,
            ))
            .await),
            Code::NotFound,
            "MEMBER_NOT_FOUND",
            "",
        ),
        (
            "by user: none",
            ok(
                m.get_member_by_user(with(pb::GetMemberByUserRequest::default(), &svc))
                    .await,
            ),
            BAD,
            INVALID,
            "user_id",
        ),
        (
            "by user: unknown",
            ok(
                m.get_member_by_user(with(pb::GetMemberByUserRequest { user_id: id() }, &svc))
                    .await,
            ),
            Code::NotFound,
            "MEMBER_NOT_FOUND",
            "",
        ),
        (
            "by card: letters",
            ok(m.get_member_by_card_number(with(
                pb::GetMemberByCardNumberRequest {
                    card_number: "abc".into(),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "card_number",
        ),
        (
            "code: bad id",
            ok(m.issue_member_code(with(
                pb::IssueMemberCodeRequest {
                    member_id: "x".into(),
                },
                &consumer,
            ))
            .await),
            BAD,
            INVALID,
            "member_id",
        ),
        (
            "list: page size",
            ok(m.list_members(with(
                pb::ListMembersRequest {
                    page: Some(PageRequest {
                        page_size: 1_000,
                        page_token: String::new(),
                    }),
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "page.page_size",
        ),
        (
            "list: token",
            ok(m.list_members(with(
                pb::ListMembersRequest {
                    page: Some(PageRequest {
                        page_size: 1,
                        page_token: "junk".into(),
                    }),
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "page.page_token",
        ),
        (
            "list: birthday window",
            ok(m.list_members(with(
                pb::ListMembersRequest {
                    birthday_within_days: 32,
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "birthday_within_days",
        ),
        (
            "update: no mask",
            ok(m.update_member(with(
                pb::UpdateMemberRequest {
                    member: Some(pb::Member {
                        member_id: member.clone(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "update_mask",
        ),
        (
            "update: unknown path",
            ok(m.update_member(with(
                pb::UpdateMemberRequest {
                    member: Some(pb::Member {
                        member_id: member.clone(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["growth_value"]),
                    reason: String::new(),
                },
                &admin,
            ))
            .await),
            BAD,
            "UNKNOWN_FIELD_PATH",
            "update_mask",
        ),
        (
            "update: close",
            ok(m.update_member(with(
                pb::UpdateMemberRequest {
                    member: Some(pb::Member {
                        member_id: member.clone(),
                        status: 3,
                        ..Default::default()
                    }),
                    update_mask: mask(&["status"]),
                    reason: "关闭".into(),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "member.status",
        ),
        (
            "update: long remark",
            ok(m.update_member(with(
                pb::UpdateMemberRequest {
                    member: Some(pb::Member {
                        member_id: member.clone(),
                        remark: "x".repeat(501),
                        ..Default::default()
                    }),
                    update_mask: mask(&["remark"]),
                    reason: String::new(),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "member.remark",
        ),
        (
            "update: consumer remark",
            ok(m.update_member(with(
                pb::UpdateMemberRequest {
                    member: Some(pb::Member {
                        remark: "x".into(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["remark"]),
                    reason: String::new(),
                },
                &consumer,
            ))
            .await),
            Code::PermissionDenied,
            "FIELD_NOT_EDITABLE",
            "",
        ),
    ];
    check(cases);
}

#[tokio::test]
async fn callers_outside_the_contract_are_refused_before_the_handler() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, consumer) = t.member(&h).await;
    let guide = t.staff(&h, "guide", &t.root.to_string());
    let reader = h.token_for(t.id, PrincipalKind::Partner, "p", &[], &["members.read"]);
    let earn = pb::EarnPointsRequest {
        member_id: member.clone(),
        idempotency_key: id(),
        points: 5,
        ..Default::default()
    };
    let denied = |r: Result<(), Status>, why: &str| {
        let s = r.expect_err("refused");
        assert_eq!(
            (s.code(), reason(&s).as_str()),
            (Code::PermissionDenied, why),
            "{s:?}"
        );
    };
    // Consumers do not earn for themselves; a guide does not adjust; a reader does not write.
    denied(
        ok(h.ledger().earn_points(with(earn.clone(), &consumer)).await),
        "PERMISSION_DENIED",
    );
    denied(
        ok(h.ledger().earn_points(with(earn, &reader)).await),
        "SCOPE_MISSING",
    );
    let adjust = pb::AdjustBalanceRequest {
        member_id: member.clone(),
        points: 5,
        reason: "补偿".into(),
        idempotency_key: id(),
        ..Default::default()
    };
    denied(
        ok(h.ledger().adjust_balance(with(adjust, &guide)).await),
        "PERMISSION_DENIED",
    );
    let hold = pb::HoldPointsRequest {
        member_id: member,
        order_id: id(),
        points: 1,
        revive: false,
    };
    denied(
        ok(h.ledger().hold_points(with(hold, &t.admin)).await),
        "PERMISSION_DENIED",
    );
    // The two RPCs without input fields: a partner without the scope, a call without a token.
    let scopeless = h.token_for(t.id, PrincipalKind::Partner, "p", &[], &[]);
    let policy = h
        .ledger()
        .get_ledger_policy(with(pb::GetLedgerPolicyRequest {}, &scopeless))
        .await;
    denied(ok(policy), "SCOPE_MISSING");
    let anonymous = h
        .ledger()
        .list_top_up_plans(tonic::Request::new(pb::ListTopUpPlansRequest::default()))
        .await;
    assert_eq!(anonymous.unwrap_err().code(), Code::Unauthenticated);
}
