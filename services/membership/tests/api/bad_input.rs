//! Malformed or hostile input, one or more per implemented RPC: the exact code, reason and
//! field; and a caller the contract does not admit is refused before any handler runs.

use prost_types::{FieldMask, Timestamp};
use siyu_core::PrincipalKind;
use siyu_proto::common::v1::{Attribution, Money, PageRequest};
use siyu_proto::membership::v1 as pb;
use tonic::{Code, Status};

use crate::harness::{H, Tenant, cny, field, id, reason, with};

/// (what, result, code, reason, field).
type Case = (
    &'static str,
    Result<(), Status>,
    Code,
    &'static str,
    &'static str,
);

fn ok<T>(r: Result<tonic::Response<T>, Status>) -> Result<(), Status> {
    r.map(|_| ())
}

fn check(cases: Vec<Case>) {
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

const BAD: Code = Code::InvalidArgument;
const INVALID: &str = "INVALID_ARGUMENT";

fn mask(paths: &[&str]) -> Option<FieldMask> {
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
async fn ledger_rpcs_refuse_malformed_input() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    t.enable_stored_value(&h).await;
    let (member, consumer) = t.member(&h).await;
    t.earn(&h, &member, 100).await;
    let (mut l, svc, admin) = (h.ledger(), t.service.clone(), t.admin.clone());
    let usd = Some(Money {
        minor_units: 100,
        currency_code: "USD".into(),
    });
    let earn = |points: i64, key: &str| pb::EarnPointsRequest {
        member_id: member.clone(),
        idempotency_key: key.into(),
        points,
        ..Default::default()
    };
    let redeem = |points: i64| pb::RedeemPointsRequest {
        points,
        idempotency_key: id(),
        purpose: 1,
        ..Default::default()
    };
    let hold_sv = |amount: Option<Money>| pb::HoldStoredValueRequest {
        member_id: member.clone(),
        order_id: id(),
        amount,
        revive: false,
    };
    let bad_time = Some(Timestamp {
        seconds: 0,
        nanos: -1,
    });
    let cases: Vec<Case> = vec![
        (
            "policy: no mask",
            ok(
                l.update_ledger_policy(with(pb::UpdateLedgerPolicyRequest::default(), &admin))
                    .await,
            ),
            BAD,
            INVALID,
            "update_mask",
        ),
        (
            "policy: zero rate",
            ok(l.update_ledger_policy(with(
                pb::UpdateLedgerPolicyRequest {
                    policy: Some(pb::LedgerPolicy::default()),
                    update_mask: mask(&["points_per_yuan"]),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "policy.points_per_yuan",
        ),
        (
            "policy: unknown path",
            ok(l.update_ledger_policy(with(
                pb::UpdateLedgerPolicyRequest {
                    policy: None,
                    update_mask: mask(&["points"]),
                },
                &admin,
            ))
            .await),
            BAD,
            "UNKNOWN_FIELD_PATH",
            "update_mask",
        ),
        (
            "balances: bad id",
            ok(l.get_balances(with(
                pb::GetBalancesRequest {
                    member_id: "m".into(),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "member_id",
        ),
        (
            "balances: unknown",
            ok(
                l.get_balances(with(pb::GetBalancesRequest { member_id: id() }, &admin))
                    .await,
            ),
            Code::NotFound,
            "MEMBER_NOT_FOUND",
            "",
        ),
        (
            "balances: staff names none",
            ok(
                l.get_balances(with(pb::GetBalancesRequest::default(), &admin))
                    .await,
            ),
            BAD,
            INVALID,
            "member_id",
        ),
        (
            "journal: bad type",
            ok(l.list_journal_entries(with(
                pb::ListJournalEntriesRequest {
                    types: vec![99],
                    ..Default::default()
                },
                &consumer,
            ))
            .await),
            BAD,
            INVALID,
            "types[0]",
        ),
        (
            "journal: bad time",
            ok(l.list_journal_entries(with(
                pb::ListJournalEntriesRequest {
                    start_time: bad_time,
                    ..Default::default()
                },
                &consumer,
            ))
            .await),
            BAD,
            INVALID,
            "start_time",
        ),
        (
            "lots: window",
            ok(l.list_points_lots(with(
                pb::ListPointsLotsRequest {
                    expiring_within_days: -1,
                    ..Default::default()
                },
                &consumer,
            ))
            .await),
            BAD,
            INVALID,
            "expiring_within_days",
        ),
        (
            "earn: zero",
            ok(l.earn_points(with(earn(0, "k"), &svc)).await),
            BAD,
            INVALID,
            "points",
        ),
        (
            "earn: negative",
            ok(l.earn_points(with(earn(-5, "k"), &svc)).await),
            BAD,
            INVALID,
            "points",
        ),
        (
            "earn: absurd",
            ok(l.earn_points(with(earn(10_000_001, "k"), &svc)).await),
            BAD,
            INVALID,
            "points",
        ),
        (
            "earn: no key",
            ok(l.earn_points(with(earn(5, ""), &svc)).await),
            BAD,
            INVALID,
            "idempotency_key",
        ),
        (
            "earn: long key",
            ok(l.earn_points(with(earn(5, &"k".repeat(129)), &svc)).await),
            BAD,
            INVALID,
            "idempotency_key",
        ),
        (
            "earn: both",
            ok(l.earn_points(with(
                pb::EarnPointsRequest {
                    rule_id: id(),
                    ..earn(5, "k")
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "points",
        ),
        (
            "earn: unknown member",
            ok(l.earn_points(with(
                pb::EarnPointsRequest {
                    member_id: id(),
                    ..earn(5, "k")
                },
                &svc,
            ))
            .await),
            Code::NotFound,
            "MEMBER_NOT_FOUND",
            "",
        ),
        (
            "redeem: zero",
            ok(l.redeem_points(with(redeem(0), &consumer)).await),
            BAD,
            INVALID,
            "points",
        ),
        (
            "redeem: no purpose",
            ok(l.redeem_points(with(
                pb::RedeemPointsRequest {
                    purpose: 0,
                    ..redeem(1)
                },
                &consumer,
            ))
            .await),
            BAD,
            INVALID,
            "purpose",
        ),
        (
            "hold: zero",
            ok(l.hold_points(with(
                pb::HoldPointsRequest {
                    member_id: member.clone(),
                    order_id: id(),
                    points: 0,
                    revive: false,
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "points",
        ),
        (
            "hold: bad order",
            ok(l.hold_points(with(
                pb::HoldPointsRequest {
                    member_id: member.clone(),
                    order_id: "o-1".into(),
                    points: 1,
                    revive: false,
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "order_id",
        ),
        (
            "hold: unknown member",
            ok(l.hold_points(with(
                pb::HoldPointsRequest {
                    member_id: id(),
                    order_id: id(),
                    points: 1,
                    revive: false,
                },
                &svc,
            ))
            .await),
            Code::NotFound,
            "MEMBER_NOT_FOUND",
            "",
        ),
        (
            "capture: bad order",
            ok(l.capture_points(with(
                pb::CapturePointsRequest {
                    order_id: String::new(),
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "order_id",
        ),
        (
            "release: long reason",
            ok(l.release_points(with(
                pb::ReleasePointsRequest {
                    order_id: id(),
                    reason: "r".repeat(65),
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "reason",
        ),
        (
            "hold sv: USD",
            ok(l.hold_stored_value(with(hold_sv(usd.clone()), &svc)).await),
            BAD,
            "CURRENCY_NOT_SUPPORTED",
            "amount.currency_code",
        ),
        (
            "hold sv: zero",
            ok(l.hold_stored_value(with(hold_sv(cny(0)), &svc)).await),
            BAD,
            INVALID,
            "amount.minor_units",
        ),
        (
            "hold sv: negative",
            ok(l.hold_stored_value(with(hold_sv(cny(-1)), &svc)).await),
            BAD,
            INVALID,
            "amount.minor_units",
        ),
        (
            "capture sv: bad",
            ok(l.capture_stored_value(with(
                pb::CaptureStoredValueRequest {
                    order_id: "x".into(),
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "order_id",
        ),
        (
            "release sv: bad",
            ok(l.release_stored_value(with(
                pb::ReleaseStoredValueRequest {
                    order_id: "x".into(),
                    reason: String::new(),
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "order_id",
        ),
        (
            "order holds: bad",
            ok(l.get_order_holds(with(
                pb::GetOrderHoldsRequest {
                    order_id: "x".into(),
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "order_id",
        ),
        (
            "refund: zero",
            ok(l.refund_points(with(
                pb::RefundPointsRequest {
                    order_id: id(),
                    refund_id: id(),
                    points: 0,
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "points",
        ),
        (
            "refund: no refund id",
            ok(l.refund_points(with(
                pb::RefundPointsRequest {
                    order_id: id(),
                    refund_id: String::new(),
                    points: 1,
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "refund_id",
        ),
        (
            "refund sv: USD",
            ok(l.refund_stored_value(with(
                pb::RefundStoredValueRequest {
                    order_id: id(),
                    refund_id: id(),
                    amount: usd.clone(),
                },
                &svc,
            ))
            .await),
            BAD,
            "CURRENCY_NOT_SUPPORTED",
            "amount.currency_code",
        ),
        (
            "adjust: nothing",
            ok(l.adjust_balance(with(
                pb::AdjustBalanceRequest {
                    member_id: member.clone(),
                    reason: "补偿".into(),
                    idempotency_key: id(),
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "points",
        ),
        (
            "adjust: no reason",
            ok(l.adjust_balance(with(
                pb::AdjustBalanceRequest {
                    member_id: member.clone(),
                    points: 5,
                    idempotency_key: id(),
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "reason",
        ),
        (
            "adjust: both",
            ok(l.adjust_balance(with(
                pb::AdjustBalanceRequest {
                    member_id: member.clone(),
                    points: 5,
                    stored_value: cny(5),
                    reason: "补偿".into(),
                    idempotency_key: id(),
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "stored_value",
        ),
        (
            "adjust: zero fen",
            ok(l.adjust_balance(with(
                pb::AdjustBalanceRequest {
                    member_id: member.clone(),
                    stored_value: cny(0),
                    reason: "补偿".into(),
                    idempotency_key: id(),
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "stored_value.minor_units",
        ),
        (
            "rule: no trigger",
            ok(l.create_earning_rule(with(
                pb::CreateEarningRuleRequest {
                    rule: Some(pb::EarningRule {
                        name: "x".into(),
                        ..Default::default()
                    }),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "rule.trigger",
        ),
        (
            "rule: no points",
            ok(l.create_earning_rule(with(
                pb::CreateEarningRuleRequest {
                    rule: Some(pb::EarningRule {
                        name: "x".into(),
                        trigger: 5,
                        ..Default::default()
                    }),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "rule.fixed_points",
        ),
        (
            "rule: rate",
            ok(l.create_earning_rule(with(
                pb::CreateEarningRuleRequest {
                    rule: Some(pb::EarningRule {
                        name: "x".into(),
                        trigger: 1,
                        points_per_yuan: 101,
                        ..Default::default()
                    }),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "rule.points_per_yuan",
        ),
        (
            "rule: trigger immutable",
            ok(l.update_earning_rule(with(
                pb::UpdateEarningRuleRequest {
                    rule: Some(pb::EarningRule {
                        rule_id: id(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["trigger"]),
                },
                &admin,
            ))
            .await),
            BAD,
            "UNKNOWN_FIELD_PATH",
            "update_mask",
        ),
        (
            "rule: unknown",
            ok(l.update_earning_rule(with(
                pb::UpdateEarningRuleRequest {
                    rule: Some(pb::EarningRule {
                        rule_id: id(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["enabled"]),
                },
                &admin,
            ))
            .await),
            Code::NotFound,
            "EARNING_RULE_NOT_FOUND",
            "",
        ),
        (
            "rules: trigger",
            ok(l.list_earning_rules(with(
                pb::ListEarningRulesRequest {
                    trigger: 42,
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "trigger",
        ),
        (
            "plan: zero price",
            ok(l.create_top_up_plan(with(
                pb::CreateTopUpPlanRequest {
                    plan: Some(pb::TopUpPlan {
                        name: "x".into(),
                        pay_amount: cny(0),
                        bonus_amount: cny(0),
                        ..Default::default()
                    }),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "plan.pay_amount.minor_units",
        ),
        (
            "plan: USD",
            ok(l.create_top_up_plan(with(
                pb::CreateTopUpPlanRequest {
                    plan: Some(pb::TopUpPlan {
                        name: "x".into(),
                        pay_amount: usd.clone(),
                        bonus_amount: cny(0),
                        ..Default::default()
                    }),
                },
                &admin,
            ))
            .await),
            BAD,
            "CURRENCY_NOT_SUPPORTED",
            "plan.pay_amount.currency_code",
        ),
        (
            "plan: long name",
            ok(l.create_top_up_plan(with(
                pb::CreateTopUpPlanRequest {
                    plan: Some(pb::TopUpPlan {
                        name: "x".repeat(51),
                        pay_amount: cny(1),
                        bonus_amount: cny(0),
                        ..Default::default()
                    }),
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "plan.name",
        ),
        (
            "plan: unknown",
            ok(l.update_top_up_plan(with(
                pb::UpdateTopUpPlanRequest {
                    plan: Some(pb::TopUpPlan {
                        plan_id: id(),
                        name: "x".into(),
                        ..Default::default()
                    }),
                    update_mask: mask(&["name"]),
                },
                &admin,
            ))
            .await),
            Code::NotFound,
            "TOP_UP_PLAN_NOT_FOUND",
            "",
        ),
        (
            "top up: no paid_at",
            ok(l.top_up_stored_value(with(
                pb::TopUpStoredValueRequest {
                    member_id: member.clone(),
                    order_id: id(),
                    amount_paid: cny(100),
                    ..Default::default()
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "paid_at",
        ),
        (
            "top up: zero",
            ok(l.top_up_stored_value(with(
                pb::TopUpStoredValueRequest {
                    member_id: member.clone(),
                    order_id: id(),
                    amount_paid: cny(0),
                    ..Default::default()
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "amount_paid.minor_units",
        ),
        (
            "top up: unknown plan",
            ok(l.top_up_stored_value(with(
                pb::TopUpStoredValueRequest {
                    member_id: member.clone(),
                    order_id: id(),
                    plan_id: id(),
                    amount_paid: cny(100),
                    paid_at: Some(Timestamp::default()),
                },
                &svc,
            ))
            .await),
            Code::NotFound,
            "TOP_UP_PLAN_NOT_FOUND",
            "",
        ),
        (
            "reverse: negative",
            ok(l.reverse_top_up(with(
                pb::ReverseTopUpRequest {
                    order_id: id(),
                    refund_id: id(),
                    amount: cny(-1),
                },
                &svc,
            ))
            .await),
            BAD,
            INVALID,
            "amount.minor_units",
        ),
        (
            "report: period",
            ok(l.get_points_liability_report(with(
                pb::GetPointsLiabilityReportRequest {
                    start_time: Some(Timestamp {
                        seconds: 2_000_000_000,
                        nanos: 0,
                    }),
                    end_time: Some(Timestamp {
                        seconds: 1,
                        nanos: 0,
                    }),
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "end_time",
        ),
        (
            "sv report: store",
            ok(l.get_stored_value_liability_report(with(
                pb::GetStoredValueLiabilityReportRequest {
                    store_id: "s".into(),
                    ..Default::default()
                },
                &admin,
            ))
            .await),
            BAD,
            INVALID,
            "store_id",
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
    // Not built yet: the generated stubs answer UNIMPLEMENTED.
    let check_in = h
        .ledger()
        .check_in(with(pb::CheckInRequest::default(), &consumer))
        .await;
    assert_eq!(check_in.unwrap_err().code(), Code::Unimplemented);
}
