//! Stored value (储值): plans, top-ups with bonus and its per-member limit, holds split between
//! principal and bonus, capture and proportional refunds, top-up reversals refused once spent,
//! and the liability report.

use prost_types::FieldMask;
use siyu_core::Clock as _;
use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp;
use tonic::Code;

use crate::harness::{H, Tenant, assert_invariants, cny, id, meta, refused, with};

async fn plan(h: &H, t: &Tenant, pay: i64, bonus: i64, limit: i32) -> pb::TopUpPlan {
    h.ledger()
        .create_top_up_plan(with(
            pb::CreateTopUpPlanRequest {
                plan: Some(pb::TopUpPlan {
                    name: format!("充{}送{}", pay / 100, bonus / 100),
                    pay_amount: cny(pay),
                    bonus_amount: cny(bonus),
                    per_member_limit: limit,
                    on_sale: true,
                    ..Default::default()
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .plan
        .unwrap()
}

fn top_up(h: &H, member: &str, order: &str, plan: &str, fen: i64) -> pb::TopUpStoredValueRequest {
    pb::TopUpStoredValueRequest {
        member_id: member.into(),
        order_id: order.into(),
        plan_id: plan.into(),
        amount_paid: cny(fen),
        paid_at: Some(timestamp(h.clock.now())),
    }
}

#[tokio::test]
async fn stored_value_is_off_until_the_tenant_turns_it_on() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    let create = pb::CreateTopUpPlanRequest {
        plan: Some(pb::TopUpPlan {
            name: "x".into(),
            pay_amount: cny(100),
            bonus_amount: cny(0),
            on_sale: true,
            ..Default::default()
        }),
    };
    refused(
        h.ledger().create_top_up_plan(with(create, &t.admin)).await,
        Code::FailedPrecondition,
        "STORED_VALUE_DISABLED",
    );
    refused(
        h.ledger()
            .top_up_stored_value(with(top_up(&h, &member, &id(), "", 100), &t.service))
            .await,
        Code::FailedPrecondition,
        "STORED_VALUE_DISABLED",
    );
}

#[tokio::test]
async fn a_plan_adds_its_bonus_within_the_member_limit() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    t.enable_stored_value(&h).await;
    let (member, consumer) = t.member(&h).await;
    let p = plan(&h, &t, 50_000, 5_000, 1).await;
    refused(
        h.ledger()
            .top_up_stored_value(with(
                top_up(&h, &member, &id(), &p.plan_id, 40_000),
                &t.service,
            ))
            .await,
        Code::FailedPrecondition,
        "TOP_UP_AMOUNT_MISMATCH",
    );
    let order = id();
    let mut l = h.ledger();
    let first = l.top_up_stored_value(with(
        top_up(&h, &member, &order, &p.plan_id, 50_000),
        &t.service,
    ));
    let first = first.await.unwrap().into_inner();
    assert_eq!(first.bonus_credited.unwrap().minor_units, 5_000);
    // The same order again is the same top-up.
    let again = l.top_up_stored_value(with(
        top_up(&h, &member, &order, &p.plan_id, 50_000),
        &t.service,
    ));
    assert_eq!(
        again.await.unwrap().into_inner().entry.unwrap().entry_id,
        first.entry.unwrap().entry_id
    );
    // The limit of one bonus per member: the second top-up is principal only.
    let second = l.top_up_stored_value(with(
        top_up(&h, &member, &id(), &p.plan_id, 50_000),
        &t.service,
    ));
    assert_eq!(
        second
            .await
            .unwrap()
            .into_inner()
            .bonus_credited
            .unwrap()
            .minor_units,
        0
    );
    let b = t.balances(&h, &member).await;
    assert_eq!(
        (
            b.stored_value_principal.unwrap().minor_units,
            b.stored_value_bonus.unwrap().minor_units
        ),
        (100_000, 5_000)
    );
    // Off sale, consumers no longer see it; staff still do.
    let off = pb::UpdateTopUpPlanRequest {
        plan: Some(pb::TopUpPlan {
            plan_id: p.plan_id.clone(),
            on_sale: false,
            ..Default::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["on_sale".into()],
        }),
    };
    h.ledger()
        .update_top_up_plan(with(off, &t.admin))
        .await
        .unwrap();
    let listed = |token: &str, all: bool| {
        let mut c = h.ledger();
        let req = with(
            pb::ListTopUpPlansRequest {
                include_off_sale: all,
            },
            token,
        );
        async move {
            c.list_top_up_plans(req)
                .await
                .unwrap()
                .into_inner()
                .plans
                .len()
        }
    };
    assert_eq!(listed(&consumer, true).await, 0);
    assert_eq!(listed(&t.admin, true).await, 1);
    assert_invariants(&h).await;
}

#[tokio::test]
async fn holds_split_principal_and_bonus_and_refunds_restore_both() {
    split_and_restore(H::pg().await).await;
}

#[tokio::test]
async fn on_sqlite_holds_split_principal_and_bonus() {
    split_and_restore(H::sqlite().await).await;
}

async fn split_and_restore(h: H) {
    let t = Tenant::new(&h).await;
    t.enable_stored_value(&h).await;
    let (member, _) = t.member(&h).await;
    let p = plan(&h, &t, 30_000, 10_000, 0).await;
    h.ledger()
        .top_up_stored_value(with(
            top_up(&h, &member, &id(), &p.plan_id, 30_000),
            &t.service,
        ))
        .await
        .unwrap();
    let order = id();
    let hold = pb::HoldStoredValueRequest {
        member_id: member.clone(),
        order_id: order.clone(),
        amount: cny(10_001),
        revive: false,
    };
    let held = h
        .ledger()
        .hold_stored_value(with(hold, &t.service))
        .await
        .unwrap()
        .into_inner()
        .hold
        .unwrap();
    // 10,001 of 30,000 + 10,000: bonus floor(10,001 / 4) = 2,500, principal 7,501.
    assert_eq!(
        (
            held.principal_part.unwrap().minor_units,
            held.bonus_part.unwrap().minor_units
        ),
        (7_501, 2_500)
    );
    h.ledger()
        .capture_stored_value(with(
            pb::CaptureStoredValueRequest {
                order_id: order.clone(),
            },
            &t.service,
        ))
        .await
        .unwrap();
    let refund = |amount: i64| pb::RefundStoredValueRequest {
        order_id: order.clone(),
        refund_id: id(),
        amount: cny(amount),
    };
    h.ledger()
        .refund_stored_value(with(refund(5_000), &t.service))
        .await
        .unwrap();
    let last = h
        .ledger()
        .refund_stored_value(with(refund(5_001), &t.service))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        last.hold.unwrap().refunded_amount.unwrap().minor_units,
        10_001
    );
    refused(
        h.ledger()
            .refund_stored_value(with(refund(1), &t.service))
            .await,
        Code::FailedPrecondition,
        "REFUND_EXCEEDS_CAPTURED",
    );
    // Refunded in the hold's proportion: the balances are whole again.
    let b = t.balances(&h, &member).await;
    assert_eq!(
        (
            b.stored_value_principal.unwrap().minor_units,
            b.stored_value_bonus.unwrap().minor_units
        ),
        (30_000, 10_000)
    );
    let short = refused(
        h.ledger()
            .hold_stored_value(with(
                pb::HoldStoredValueRequest {
                    member_id: member.clone(),
                    order_id: id(),
                    amount: cny(40_001),
                    revive: false,
                },
                &t.service,
            ))
            .await,
        Code::FailedPrecondition,
        "STORED_VALUE_INSUFFICIENT",
    );
    assert_eq!(meta(&short, "available"), "40000");
    assert_invariants(&h).await;
}

#[tokio::test]
async fn a_top_up_is_reversed_only_while_unspent() {
    reversed_while_unspent(H::pg().await).await;
}

#[tokio::test]
async fn on_sqlite_a_top_up_is_reversed_only_while_unspent() {
    reversed_while_unspent(H::sqlite().await).await;
}

async fn reversed_while_unspent(h: H) {
    let t = Tenant::new(&h).await;
    t.enable_stored_value(&h).await;
    let (member, _) = t.member(&h).await;
    let p = plan(&h, &t, 50_000, 5_000, 0).await;
    let (spent_order, kept_order) = (id(), id());
    h.ledger()
        .top_up_stored_value(with(
            top_up(&h, &member, &spent_order, &p.plan_id, 50_000),
            &t.service,
        ))
        .await
        .unwrap();
    // Pay 40,000 with stored value: principal 36,364, bonus 3,636 go.
    let order = id();
    h.ledger()
        .hold_stored_value(with(
            pb::HoldStoredValueRequest {
                member_id: member.clone(),
                order_id: order.clone(),
                amount: cny(40_000),
                revive: false,
            },
            &t.service,
        ))
        .await
        .unwrap();
    h.ledger()
        .capture_stored_value(with(
            pb::CaptureStoredValueRequest { order_id: order },
            &t.service,
        ))
        .await
        .unwrap();
    let reverse = |order: &str, amount: i64| pb::ReverseTopUpRequest {
        order_id: order.into(),
        refund_id: id(),
        amount: cny(amount),
    };
    let spent = refused(
        h.ledger()
            .reverse_top_up(with(reverse(&spent_order, 50_000), &t.service))
            .await,
        Code::FailedPrecondition,
        "TOP_UP_ALREADY_SPENT",
    );
    let reversible: i64 = meta(&spent, "reversible_amount").parse().unwrap();
    assert_eq!(
        reversible, 13_636,
        "principal left, with its bonus share within the bonus left"
    );
    let partial = h
        .ledger()
        .reverse_top_up(with(reverse(&spent_order, reversible), &t.service))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(partial.bonus_reversed.unwrap().minor_units, 1_363);
    // A fresh top-up reverses whole, bonus included.
    h.ledger()
        .top_up_stored_value(with(
            top_up(&h, &member, &kept_order, &p.plan_id, 50_000),
            &t.service,
        ))
        .await
        .unwrap();
    let whole = h
        .ledger()
        .reverse_top_up(with(reverse(&kept_order, 50_000), &t.admin))
        .await
        .unwrap();
    assert_eq!(
        whole.into_inner().bonus_reversed.unwrap().minor_units,
        5_000
    );
    refused(
        h.ledger()
            .reverse_top_up(with(reverse(&id(), 1), &t.service))
            .await,
        Code::NotFound,
        "TOP_UP_NOT_FOUND",
    );
    let report = h
        .ledger()
        .get_stored_value_liability_report(with(
            pb::GetStoredValueLiabilityReportRequest::default(),
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let fen = |m: Option<siyu_proto::common::v1::Money>| m.unwrap().minor_units;
    assert_eq!(fen(report.topped_up_principal), 100_000);
    assert_eq!(fen(report.reversed_principal), 50_000 + 13_636);
    assert_eq!(
        fen(report.spent_principal) + fen(report.spent_bonus),
        40_000
    );
    assert_eq!(report.members_with_balance, 1);
    let b = t.balances(&h, &member).await;
    assert_eq!(
        fen(report.outstanding_principal),
        b.stored_value_principal.unwrap().minor_units
    );
    assert_invariants(&h).await;
}
