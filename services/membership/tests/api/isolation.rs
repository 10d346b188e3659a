//! Tenancy: a principal of tenant B gets NOT_FOUND for anything of tenant A — members, orders'
//! holds, top-ups, rules and plans — through every implemented RPC that names one, and B's
//! lists and reports never show A's data.

use prost_types::FieldMask;
use siyu_core::Clock as _;
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::harness::{H, Tenant, cny, id, refused, with};
use crate::holds::{capture, hold, release};

#[tokio::test]
async fn every_rpc_naming_a_resource_of_another_tenant_answers_not_found() {
    let h = H::pg().await;
    let (a, b) = (Tenant::new(&h).await, Tenant::new(&h).await);
    for t in [&a, &b] {
        t.enable_stored_value(&h).await;
    }
    // Tenant A: a member with points, stored value, holds, a top-up, a rule and a plan.
    // A card number of its own: generated ones count per tenant and coincide across tenants.
    let ma = h
        .members()
        .enroll_member(with(
            pb::EnrollMemberRequest {
                user_id: id(),
                card_number: "9100000000001".into(),
                ..Default::default()
            },
            &a.partner,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap()
        .member_id;
    a.earn(&h, &ma, 1_000).await;
    let top_up_order = id();
    let member_a = h
        .members()
        .get_member(with(
            pb::GetMemberRequest {
                member_id: ma.clone(),
            },
            &a.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap();
    h.ledger()
        .top_up_stored_value(with(
            pb::TopUpStoredValueRequest {
                member_id: ma.clone(),
                order_id: top_up_order.clone(),
                amount_paid: cny(5_000),
                paid_at: Some(siyu_proto::time::timestamp(h.clock.now())),
                ..Default::default()
            },
            &a.service,
        ))
        .await
        .unwrap();
    let (points_order, sv_order) = (id(), id());
    h.ledger()
        .hold_points(with(hold(&ma, &points_order, 100, false), &a.service))
        .await
        .unwrap();
    h.ledger()
        .hold_stored_value(with(
            pb::HoldStoredValueRequest {
                member_id: ma.clone(),
                order_id: sv_order.clone(),
                amount: cny(1_000),
                revive: false,
            },
            &a.service,
        ))
        .await
        .unwrap();
    let rule = h
        .ledger()
        .create_earning_rule(with(
            pb::CreateEarningRuleRequest {
                rule: Some(pb::EarningRule {
                    name: "评价".into(),
                    trigger: pb::EarningTrigger::Review as i32,
                    enabled: true,
                    fixed_points: 5,
                    ..Default::default()
                }),
            },
            &a.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .rule
        .unwrap();
    let plan = h
        .ledger()
        .create_top_up_plan(with(
            pb::CreateTopUpPlanRequest {
                plan: Some(pb::TopUpPlan {
                    name: "充100".into(),
                    pay_amount: cny(10_000),
                    bonus_amount: cny(0),
                    on_sale: true,
                    ..Default::default()
                }),
            },
            &a.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .plan
        .unwrap();

    // Tenant B's callers.
    let (mb, consumer_b) = b.member(&h).await;
    let (m, l) = (h.members(), h.ledger());
    let (nf, member_nf) = (Code::NotFound, "MEMBER_NOT_FOUND");
    let mut m1 = m.clone();
    refused(
        m1.get_member(with(
            pb::GetMemberRequest {
                member_id: ma.clone(),
            },
            &b.admin,
        ))
        .await,
        nf,
        member_nf,
    );
    refused(
        m1.get_member_by_user(with(
            pb::GetMemberByUserRequest {
                user_id: member_a.user_id.clone(),
            },
            &b.service,
        ))
        .await,
        nf,
        member_nf,
    );
    refused(
        m1.get_member_by_card_number(with(
            pb::GetMemberByCardNumberRequest {
                card_number: member_a.card_number.clone(),
            },
            &b.partner,
        ))
        .await,
        nf,
        member_nf,
    );
    refused(
        m1.issue_member_code(with(
            pb::IssueMemberCodeRequest {
                member_id: ma.clone(),
            },
            &consumer_b,
        ))
        .await,
        nf,
        member_nf,
    );
    let update = pb::UpdateMemberRequest {
        member: Some(pb::Member {
            member_id: ma.clone(),
            remark: "x".into(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["remark".into()],
        }),
        reason: String::new(),
    };
    refused(
        m1.update_member(with(update, &b.admin)).await,
        nf,
        member_nf,
    );
    let listed = m1
        .list_members(with(pb::ListMembersRequest::default(), &b.admin))
        .await
        .unwrap();
    assert_eq!(
        listed.into_inner().total_count,
        1,
        "B lists its own member only"
    );
    // A's card number is free in B.
    m1.enroll_member(with(
        pb::EnrollMemberRequest {
            user_id: id(),
            card_number: member_a.card_number.clone(),
            ..Default::default()
        },
        &b.admin,
    ))
    .await
    .unwrap();

    let mut l1 = l.clone();
    let own = |member: &str| member.to_owned();
    refused(
        l1.get_balances(with(
            pb::GetBalancesRequest {
                member_id: own(&ma),
            },
            &b.admin,
        ))
        .await,
        nf,
        member_nf,
    );
    refused(
        l1.list_journal_entries(with(
            pb::ListJournalEntriesRequest {
                member_id: own(&ma),
                ..Default::default()
            },
            &b.partner,
        ))
        .await,
        nf,
        member_nf,
    );
    refused(
        l1.list_points_lots(with(
            pb::ListPointsLotsRequest {
                member_id: own(&ma),
                ..Default::default()
            },
            &b.service,
        ))
        .await,
        nf,
        member_nf,
    );
    let earn = |member: &str, rule_id: &str, points: i64| pb::EarnPointsRequest {
        member_id: member.into(),
        idempotency_key: id(),
        rule_id: rule_id.into(),
        points,
        ..Default::default()
    };
    refused(
        l1.earn_points(with(earn(&ma, "", 10), &b.service)).await,
        nf,
        member_nf,
    );
    refused(
        l1.earn_points(with(earn(&mb, &rule.rule_id, 0), &b.service))
            .await,
        nf,
        "EARNING_RULE_NOT_FOUND",
    );
    let redeem = pb::RedeemPointsRequest {
        member_id: own(&ma),
        points: 1,
        idempotency_key: id(),
        purpose: 2,
        ..Default::default()
    };
    refused(
        l1.redeem_points(with(redeem, &b.service)).await,
        nf,
        member_nf,
    );
    refused(
        l1.hold_points(with(hold(&ma, &id(), 1, false), &b.service))
            .await,
        nf,
        member_nf,
    );
    refused(
        l1.capture_points(with(capture(&points_order), &b.service))
            .await,
        nf,
        "HOLD_NOT_FOUND",
    );
    let nothing = l1
        .release_points(with(release(&points_order), &b.service))
        .await
        .unwrap();
    assert!(nothing.into_inner().hold.is_none());
    let sv_hold = pb::HoldStoredValueRequest {
        member_id: own(&ma),
        order_id: id(),
        amount: cny(1),
        revive: false,
    };
    refused(
        l1.hold_stored_value(with(sv_hold, &b.service)).await,
        nf,
        member_nf,
    );
    refused(
        l1.capture_stored_value(with(
            pb::CaptureStoredValueRequest {
                order_id: sv_order.clone(),
            },
            &b.service,
        ))
        .await,
        nf,
        "HOLD_NOT_FOUND",
    );
    let nothing = l1
        .release_stored_value(with(
            pb::ReleaseStoredValueRequest {
                order_id: sv_order.clone(),
                reason: "x".into(),
            },
            &b.service,
        ))
        .await
        .unwrap();
    assert!(nothing.into_inner().hold.is_none());
    let holds = l1.get_order_holds(with(
        pb::GetOrderHoldsRequest {
            order_id: points_order.clone(),
        },
        &b.service,
    ));
    assert!(holds.await.unwrap().into_inner().holds.is_empty());
    let refund = pb::RefundPointsRequest {
        order_id: points_order.clone(),
        refund_id: id(),
        points: 1,
    };
    refused(
        l1.refund_points(with(refund, &b.service)).await,
        nf,
        "HOLD_NOT_FOUND",
    );
    let refund = pb::RefundStoredValueRequest {
        order_id: sv_order.clone(),
        refund_id: id(),
        amount: cny(1),
    };
    refused(
        l1.refund_stored_value(with(refund, &b.service)).await,
        nf,
        "HOLD_NOT_FOUND",
    );
    let adjust = pb::AdjustBalanceRequest {
        member_id: own(&ma),
        points: 1,
        reason: "越权".into(),
        idempotency_key: id(),
        ..Default::default()
    };
    refused(
        l1.adjust_balance(with(adjust, &b.admin)).await,
        nf,
        member_nf,
    );
    let top_up = |member: &str, plan: &str, fen: i64| pb::TopUpStoredValueRequest {
        member_id: member.into(),
        order_id: id(),
        plan_id: plan.into(),
        amount_paid: cny(fen),
        paid_at: Some(siyu_proto::time::timestamp(h.clock.now())),
    };
    refused(
        l1.top_up_stored_value(with(top_up(&ma, "", 100), &b.service))
            .await,
        nf,
        member_nf,
    );
    refused(
        l1.top_up_stored_value(with(top_up(&mb, &plan.plan_id, 10_000), &b.service))
            .await,
        nf,
        "TOP_UP_PLAN_NOT_FOUND",
    );
    let reverse = pb::ReverseTopUpRequest {
        order_id: top_up_order.clone(),
        refund_id: id(),
        amount: cny(1),
    };
    refused(
        l1.reverse_top_up(with(reverse, &b.service)).await,
        nf,
        "TOP_UP_NOT_FOUND",
    );
    let rename = pb::UpdateEarningRuleRequest {
        rule: Some(pb::EarningRule {
            rule_id: rule.rule_id.clone(),
            name: "偷改".into(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["name".into()],
        }),
    };
    refused(
        l1.update_earning_rule(with(rename, &b.admin)).await,
        nf,
        "EARNING_RULE_NOT_FOUND",
    );
    let rename = pb::UpdateTopUpPlanRequest {
        plan: Some(pb::TopUpPlan {
            plan_id: plan.plan_id.clone(),
            name: "偷改".into(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["name".into()],
        }),
    };
    refused(
        l1.update_top_up_plan(with(rename, &b.admin)).await,
        nf,
        "TOP_UP_PLAN_NOT_FOUND",
    );
    let rules = l1
        .list_earning_rules(with(pb::ListEarningRulesRequest::default(), &b.admin))
        .await
        .unwrap();
    assert!(rules.into_inner().rules.is_empty());
    let plans = l1
        .list_top_up_plans(with(pb::ListTopUpPlansRequest::default(), &b.admin))
        .await
        .unwrap();
    assert!(plans.into_inner().plans.is_empty());
    let points = l1
        .get_points_liability_report(with(
            pb::GetPointsLiabilityReportRequest::default(),
            &b.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(points.outstanding_points, 0);
    let sv = l1
        .get_stored_value_liability_report(with(
            pb::GetStoredValueLiabilityReportRequest::default(),
            &b.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            sv.members_with_balance,
            sv.outstanding_principal.unwrap().minor_units
        ),
        (0, 0)
    );

    // Nothing of A moved.
    let ba = a.balances(&h, &ma).await;
    assert_eq!((ba.points_available, ba.points_held), (900, 100));
    assert_eq!(ba.stored_value_held.unwrap().minor_units, 1_000);
}
