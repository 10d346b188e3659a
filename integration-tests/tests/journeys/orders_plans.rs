//! Non-goods orders through the gateway: a stored-value top-up (储值充值) and a paid-membership
//! plan (付费会员) are quoted at the plan's price, checked out, paid in the WeChat Pay sandbox,
//! applied by membership (principal and bonus credited; the period activated with the buyer's
//! auto-renew choice) and completed by orders; and every way of asking for one wrongly is
//! refused with its reason.

use serde_json::{Value, json};

use crate::member_fixtures::{balances, cny, enrol};
use crate::orders_checkout::{checkout, fen, quote};
use crate::orders_payment::{until, wechat_pay};
use crate::support::{World, assert_problem, json_ok};

/// A plan source in the mini-program channel.
fn plan_input(source: &str, plan: &Value) -> Value {
    json!({ source: plan, "channel": "CHANNEL_MINI_PROGRAM" })
}

/// Pays `placed`'s prepay in the sandbox and waits for the order to complete.
async fn pay_and_complete(
    world: &World,
    cashier: &wechat_sandbox::SandboxControl,
    token: &str,
    placed: &Value,
) -> Value {
    assert_eq!(
        placed["nextAction"], "CHECKOUT_NEXT_ACTION_REQUEST_PAYMENT",
        "{placed}"
    );
    let prepay = placed["wechatPayParams"]["package"]
        .as_str()
        .unwrap()
        .strip_prefix("prepay_id=")
        .unwrap()
        .to_owned();
    cashier.pay(&prepay).await.unwrap();
    let order = placed["order"]["orderId"].as_str().unwrap();
    until(world, &format!("/api/v1/me/orders/{order}"), token, |b| {
        b["order"]["status"] == "ORDER_STATUS_COMPLETED"
    })
    .await["order"]
        .clone()
}

/// The member asks for the plan order's money back (its one line, refund only).
async fn ask_refund(world: &World, token: &str, order: &Value, extra: &Value) -> reqwest::Response {
    let mut ask = json!({
        "orderId": order["orderId"],
        "kind": "AFTER_SALE_KIND_REFUND_ONLY",
        "lines": [{"orderLineId": order["lines"][0]["lineId"], "quantity": 1}],
        "reason": "AFTER_SALE_REASON_CHANGED_MIND",
    });
    for (k, v) in extra.as_object().unwrap() {
        ask[k] = v.clone();
    }
    world.post_json("/api/v1/me/after-sales", token, &ask).await
}

/// Staff approve the case; answers the response.
async fn approve(world: &World, staff: &str, case: &str) -> reqwest::Response {
    let path = format!("/admin/v1/after-sales/{case}/approve");
    world
        .post_json(&path, staff, &json!({"note": "同意"}))
        .await
}

/// The refund's compensation steps as (kind, status).
fn steps(refund: &Value) -> Vec<(String, String)> {
    refund["compensation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn timeline(order: &Value) -> Vec<String> {
    order["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["kind"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_top_up_order_credits_principal_and_bonus_once_paid() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let cashier = wechat_pay(&world, &tenant, &staff).await;
    let on = json!({"policy": {"storedValueEnabled": true}, "updateMask": "storedValueEnabled"});
    json_ok(
        world
            .patch_json("/admin/v1/ledger-policy", &staff, &on)
            .await,
    )
    .await;
    let plan = json!({"plan": {
        "name": "充500送50", "payAmount": cny(50_000), "bonusAmount": cny(5_000), "onSale": true
    }});
    let created = json_ok(
        world
            .post_json("/admin/v1/top-up-plans", &staff, &plan)
            .await,
    )
    .await;
    let plan_id = created["plan"]["planId"].as_str().unwrap().to_owned();
    let me = enrol(&world, &tenant, "top-up-1").await;

    let want = plan_input("topUp", &json!({ "planId": plan_id }));
    let q = quote(&world, &me.token, &want).await;
    assert_eq!(fen(&q["amounts"]["payable"]), 50_000, "{q}");
    assert_eq!(q["lines"][0]["priced"]["planId"], plan_id.as_str(), "{q}");
    let placed = json_ok(checkout(&world, &me.token, "top-up-1", &want, 50_000).await).await;
    assert_eq!(
        placed["order"]["kind"], "ORDER_KIND_STORED_VALUE_TOP_UP",
        "{placed}"
    );
    assert_eq!(placed["order"]["fulfilment"], Value::Null, "{placed}");
    let order = pay_and_complete(&world, &cashier, &me.token, &placed).await;
    assert_eq!(fen(&order["paidAmount"]), 50_000, "{order}");
    assert_eq!(
        timeline(&order),
        [
            "TIMELINE_ENTRY_KIND_CREATED",
            "TIMELINE_ENTRY_KIND_PAID",
            "TIMELINE_ENTRY_KIND_COMPLETED"
        ],
        "{order}"
    );
    // Principal and bonus, once, however often the follow-up ran.
    let balance = balances(&world, &staff, &me.member_id).await;
    assert_eq!(
        balance["storedValueAvailable"]["minorUnits"], "55000",
        "{balance}"
    );
    // A retry of the checkout replays its first answer: the same order, nothing bought twice.
    let again = json_ok(checkout(&world, &me.token, "top-up-1", &want, 50_000).await).await;
    assert_eq!(again["order"]["orderId"], order["orderId"], "{again}");
    let balance = balances(&world, &staff, &me.member_id).await;
    assert_eq!(
        balance["storedValueAvailable"]["minorUnits"], "55000",
        "{balance}"
    );

    // Parcels are for goods; a refund of the top-up waits for staff, who take the stored value
    // back (principal and bonus) before WeChat returns the cash.
    assert_problem(
        ask_refund(
            &world,
            &me.token,
            &order,
            &json!({"kind": "AFTER_SALE_KIND_RETURN_AND_REFUND"}),
        )
        .await,
        422,
        "AFTER_SALE_KIND_NOT_ALLOWED",
    )
    .await;
    let opened = json_ok(ask_refund(&world, &me.token, &order, &json!({})).await).await;
    let case = &opened["afterSale"];
    assert_eq!(case["status"], "AFTER_SALE_STATUS_REQUESTED", "{opened}");
    let case_id = case["afterSaleId"].as_str().unwrap().to_owned();
    // Eight approvals at once: one refund, the stored value taken back once.
    let approvals = futures::future::join_all(
        (0..8).map(|_| async { json_ok(approve(&world, &staff, &case_id).await).await }),
    )
    .await;
    let refund_id = approvals[0]["afterSale"]["refundId"]
        .as_str()
        .unwrap()
        .to_owned();
    for a in &approvals {
        assert_eq!(a["afterSale"]["refundId"], refund_id.as_str(), "{a}");
    }
    let refund = until(
        &world,
        &format!("/api/v1/me/refunds/{refund_id}"),
        &me.token,
        |b| b["refund"]["status"] == "REFUND_STATUS_SUCCEEDED",
    )
    .await;
    assert_eq!(fen(&refund["refund"]["cashAmount"]), 50_000, "{refund}");
    assert!(
        steps(&refund["refund"]).contains(&(
            "COMPENSATION_KIND_REVERSE_TOP_UP".into(),
            "COMPENSATION_STATUS_DONE".into()
        )),
        "{refund}"
    );
    let balance = balances(&world, &staff, &me.member_id).await;
    assert_eq!(
        balance["storedValueAvailable"]["minorUnits"],
        Value::Null,
        "principal and bonus taken back: {balance}"
    );
}

#[tokio::test]
async fn a_paid_plan_order_activates_the_period_at_the_first_period_price() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let cashier = wechat_pay(&world, &tenant, &staff).await;
    let plan = json!({"plan": {
        "name": "黑金会员月卡", "period": "PAID_PLAN_PERIOD_MONTH", "price": cny(1_900),
        "firstPeriodPrice": cny(990), "onSale": true
    }});
    let created = json_ok(world.post_json("/admin/v1/paid-plans", &staff, &plan).await).await;
    let plan_id = created["plan"]["planId"].as_str().unwrap().to_owned();
    let me = enrol(&world, &tenant, "paid-plan-1").await;

    let want = plan_input(
        "paidMembership",
        &json!({ "planId": plan_id, "autoRenew": true }),
    );
    let q = quote(&world, &me.token, &want).await;
    assert_eq!(fen(&q["amounts"]["payable"]), 990, "first period: {q}");
    let placed = json_ok(checkout(&world, &me.token, "paid-plan-1", &want, 990).await).await;
    assert_eq!(placed["order"]["kind"], "ORDER_KIND_PAID_MEMBERSHIP");
    let order = pay_and_complete(&world, &cashier, &me.token, &placed).await;
    let mine = until(&world, "/api/v1/me/paid-membership", &me.token, |b| {
        b["membership"]["active"] == true
    })
    .await;
    let membership = &mine["membership"];
    assert_eq!(membership["autoRenew"], true, "{mine}");
    assert_eq!(membership["periodsBought"], 1, "{mine}");
    assert_eq!(
        membership["currentPeriod"]["orderId"], order["orderId"],
        "{mine}"
    );
    // The next period is at the full price: the member has had paid membership.
    let q = quote(&world, &me.token, &want).await;
    assert_eq!(fen(&q["amounts"]["payable"]), 1_900, "{q}");

    // Refunded part of the way into the month: the whole period is revoked before the cash.
    let opened = json_ok(
        ask_refund(
            &world,
            &me.token,
            &order,
            &json!({"requestedAmount": cny(500)}),
        )
        .await,
    )
    .await;
    let case_id = opened["afterSale"]["afterSaleId"]
        .as_str()
        .unwrap()
        .to_owned();
    let approved = json_ok(approve(&world, &staff, &case_id).await).await;
    let refund_id = approved["afterSale"]["refundId"]
        .as_str()
        .unwrap()
        .to_owned();
    let refund = until(
        &world,
        &format!("/api/v1/me/refunds/{refund_id}"),
        &me.token,
        |b| b["refund"]["status"] == "REFUND_STATUS_SUCCEEDED",
    )
    .await;
    assert_eq!(fen(&refund["refund"]["cashAmount"]), 500, "{refund}");
    assert!(
        steps(&refund["refund"]).contains(&(
            "COMPENSATION_KIND_REVOKE_PAID_MEMBERSHIP".into(),
            "COMPENSATION_STATUS_DONE".into()
        )),
        "{refund}"
    );
    let mine = json_ok(
        world
            .get("/api/v1/me/paid-membership", Some(&me.token))
            .await,
    )
    .await;
    assert_eq!(mine["membership"]["active"], Value::Null, "revoked: {mine}");
}

#[tokio::test]
async fn a_spent_top_up_is_not_refunded() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let cashier = wechat_pay(&world, &tenant, &staff).await;
    let on = json!({"policy": {"storedValueEnabled": true}, "updateMask": "storedValueEnabled"});
    json_ok(
        world
            .patch_json("/admin/v1/ledger-policy", &staff, &on)
            .await,
    )
    .await;
    let plan = json!({"plan": {
        "name": "充100", "payAmount": cny(10_000), "bonusAmount": cny(0), "onSale": true
    }});
    let created = json_ok(
        world
            .post_json("/admin/v1/top-up-plans", &staff, &plan)
            .await,
    )
    .await;
    let plan_id = created["plan"]["planId"].as_str().unwrap().to_owned();
    let me = enrol(&world, &tenant, "top-up-spent").await;
    let want = plan_input("topUp", &json!({ "planId": plan_id }));
    let placed = json_ok(checkout(&world, &me.token, "spent-1", &want, 10_000).await).await;
    let order = pay_and_complete(&world, &cashier, &me.token, &placed).await;
    // Asked while the principal is held; then ¥60 of it is spent before staff decide.
    let opened = json_ok(ask_refund(&world, &me.token, &order, &json!({})).await).await;
    let case_id = opened["afterSale"]["afterSaleId"]
        .as_str()
        .unwrap()
        .to_owned();
    let spend = json!({"storedValue": cny(-6_000), "principal": true,
                       "reason": "门店消费", "idempotencyKey": "spend-1"});
    let path = format!("/admin/v1/members/{}/adjustments", me.member_id);
    let spent = world.post_json(&path, &staff, &spend).await;
    assert!(
        spent.status().is_success(),
        "{}",
        spent.text().await.unwrap()
    );
    let body = assert_problem(
        approve(&world, &staff, &case_id).await,
        422,
        "TOP_UP_ALREADY_SPENT",
    )
    .await;
    let path = format!("/admin/v1/after-sales/{case_id}");
    let case = json_ok(world.get(&path, Some(&staff)).await).await;
    assert_eq!(
        case["afterSale"]["status"], "AFTER_SALE_STATUS_REQUESTED",
        "nothing moved: {case} after {body}"
    );
    // A new ask above what is left is refused at once.
    json_ok(
        world
            .post_json(
                &format!("/api/v1/me/after-sales/{case_id}/cancel"),
                &me.token,
                &json!({}),
            )
            .await,
    )
    .await;
    assert_problem(
        ask_refund(&world, &me.token, &order, &json!({})).await,
        422,
        "TOP_UP_ALREADY_SPENT",
    )
    .await;
}

#[tokio::test]
async fn plan_orders_refuse_bad_input_with_their_reason() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let me = enrol(&world, &tenant, "plan-input-1").await;
    let visitor = world.consumer_login(&tenant, "plan-visitor").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let paid = json!({"plan": {
        "name": "月卡", "period": "PAID_PLAN_PERIOD_MONTH", "price": cny(1_900), "onSale": true
    }});
    let created = json_ok(world.post_json("/admin/v1/paid-plans", &staff, &paid).await).await;
    let paid_plan = created["plan"]["planId"].as_str().unwrap().to_owned();
    let off = json!({"plan": {
        "name": "停售卡", "period": "PAID_PLAN_PERIOD_MONTH", "price": cny(1_900), "onSale": false
    }});
    let created = json_ok(world.post_json("/admin/v1/paid-plans", &staff, &off).await).await;
    let off_plan = created["plan"]["planId"].as_str().unwrap().to_owned();
    let unknown = siyu_core::id::new_string();
    let top_up = |plan: &str| plan_input("topUp", &json!({ "planId": plan }));
    let paid_input = |plan: &str| plan_input("paidMembership", &json!({ "planId": plan }));
    let with = |mut input: Value, field: &str, v: Value| {
        input[field] = v;
        input
    };

    // (input, token, status, reason, field)
    let cases: Vec<(Value, &str, u16, &str, &str)> = vec![
        (
            top_up(""),
            &me.token,
            400,
            "INVALID_ARGUMENT",
            "input.top_up.plan_id",
        ),
        (
            top_up("plan-1"),
            &me.token,
            400,
            "INVALID_ARGUMENT",
            "input.top_up.plan_id",
        ),
        (
            paid_input("not-an-id"),
            &me.token,
            400,
            "INVALID_ARGUMENT",
            "input.paid_membership.plan_id",
        ),
        (
            with(
                paid_input(&paid_plan),
                "fulfilment",
                json!({"mode": "FULFILMENT_MODE_DELIVERY"}),
            ),
            &me.token,
            400,
            "INVALID_ARGUMENT",
            "input.fulfilment",
        ),
        (
            with(paid_input(&paid_plan), "couponIds", json!([unknown])),
            &me.token,
            400,
            "INVALID_ARGUMENT",
            "input.coupon_ids",
        ),
        (
            with(paid_input(&paid_plan), "pointsToUse", json!("100")),
            &me.token,
            400,
            "INVALID_ARGUMENT",
            "input.points_to_use",
        ),
        (
            with(top_up(&unknown), "storedValueToUse", cny(100)),
            &me.token,
            400,
            "INVALID_ARGUMENT",
            "input.stored_value_to_use",
        ),
        (paid_input(&paid_plan), &visitor, 422, "MEMBER_REQUIRED", ""),
        (
            top_up(&unknown),
            &me.token,
            422,
            "STORED_VALUE_DISABLED",
            "",
        ),
        (
            paid_input(&unknown),
            &me.token,
            404,
            "PAID_PLAN_NOT_FOUND",
            "",
        ),
        (
            paid_input(&off_plan),
            &me.token,
            422,
            "PLAN_NOT_ON_SALE",
            "",
        ),
    ];
    for (n, (input, token, status, reason, field)) in cases.iter().enumerate() {
        let q = world
            .post_json("/api/v1/checkout/quote", token, &json!({ "input": input }))
            .await;
        let body = assert_problem(q, *status, reason).await;
        if !field.is_empty() {
            assert_eq!(body["errors"][0]["field"], *field, "quote case {n}: {body}");
        }
        let c = checkout(&world, token, &format!("bad-{n}"), input, 1_900).await;
        let body = assert_problem(c, *status, reason).await;
        if !field.is_empty() {
            assert_eq!(
                body["errors"][0]["field"], *field,
                "checkout case {n}: {body}"
            );
        }
    }

    // With stored value on: an unknown top-up plan, one off sale, one whose window is over.
    let on = json!({"policy": {"storedValueEnabled": true}, "updateMask": "storedValueEnabled"});
    json_ok(
        world
            .patch_json("/admin/v1/ledger-policy", &staff, &on)
            .await,
    )
    .await;
    let mut plans = Vec::new();
    for plan in [
        json!({"name": "停售", "payAmount": cny(10_000), "bonusAmount": cny(0),
               "onSale": false}),
        json!({"name": "已结束", "payAmount": cny(10_000), "bonusAmount": cny(0), "onSale": true,
               "startsAt": "2020-01-01T00:00:00Z", "endsAt": "2020-02-01T00:00:00Z"}),
    ] {
        let created = json_ok(
            world
                .post_json("/admin/v1/top-up-plans", &staff, &json!({ "plan": plan }))
                .await,
        )
        .await;
        plans.push(created["plan"]["planId"].as_str().unwrap().to_owned());
    }
    for (plan, status, reason) in [
        (unknown.as_str(), 404, "TOP_UP_PLAN_NOT_FOUND"),
        (plans[0].as_str(), 422, "PLAN_NOT_ON_SALE"),
        (plans[1].as_str(), 422, "PLAN_NOT_ON_SALE"),
    ] {
        let q = world
            .post_json(
                "/api/v1/checkout/quote",
                &me.token,
                &json!({ "input": top_up(plan) }),
            )
            .await;
        assert_problem(q, status, reason).await;
    }
}
