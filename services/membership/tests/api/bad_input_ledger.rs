//! Malformed or hostile input to every implemented LedgerService RPC: the exact code, reason
//! and field of each refusal.

use prost_types::Timestamp;
use siyu_proto::common::v1::Money;
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::bad_input::{BAD, Case, INVALID, check, mask, ok};
use crate::harness::{H, Tenant, cny, id, with};

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
