//! A refund through the gateway with WeChat Pay in the sandbox: a member pays for two units,
//! asks for one back before shipment, the case is approved at once, WeChat refunds the cash
//! part and calls back through the gateway's notify route, and the refund SUCCEEDED — the
//! order's refunded amount, the line's refunded unit, the points used on that unit back to the
//! member and the points earned on it taken back by membership on OrderRefunded.

use serde_json::{Value, json};

use crate::catalog::product_with_stock;
use crate::member_fixtures::balances;
use crate::orders_checkout::{checkout, fen, input_at, member_with_coupon_and_points, quote, shop};
use crate::orders_payment::{until, wechat_pay};
use crate::support::{World, json_ok};

fn points(v: &Value) -> i64 {
    v.as_str().map_or(0, |s| s.parse().unwrap())
}

#[tokio::test]
async fn one_of_two_units_is_refunded_through_wechat_pay() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, _) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    let cashier = wechat_pay(&world, &tenant, &staff).await;
    let rule = json!({"rule": {"name": "消费送积分", "trigger": "EARNING_TRIGGER_ORDER_PAID",
                               "enabled": true, "pointsPerYuan": 1}});
    json_ok(
        world
            .post_json("/admin/v1/earning-rules", &staff, &rule)
            .await,
    )
    .await;
    let (token, member, coupon) =
        member_with_coupon_and_points(&world, &tenant, &staff, "refund-1").await;

    // Two units, paid with a coupon, 500 points and WeChat Pay.
    let want = input_at(
        &store,
        &sku,
        2,
        &json!({"couponIds": [coupon], "pointsToUse": "500"}),
    );
    let payable = fen(&quote(&world, &token, &want).await["amounts"]["payable"]);
    let placed = json_ok(checkout(&world, &token, "refund-pay-1", &want, payable).await).await;
    let prepay = placed["wechatPayParams"]["package"]
        .as_str()
        .unwrap()
        .strip_prefix("prepay_id=")
        .unwrap()
        .to_owned();
    let order_id = placed["order"]["orderId"].as_str().unwrap().to_owned();
    cashier.pay(&prepay).await.unwrap();
    let path = format!("/api/v1/me/orders/{order_id}");
    let paid = until(&world, &path, &token, |b| {
        b["order"]["status"] == "ORDER_STATUS_PAID"
    })
    .await;
    // Settled with membership (points captured, earned on the cash paid) before the refund.
    let earned = payable / 100;
    let mut before = Value::Null;
    for _ in 0..100 {
        before = balances(&world, &staff, &member).await;
        if before["pointsHeld"].as_str().unwrap_or("0") == "0"
            && points(&before["pointsAvailable"]) == 1000 - 500 + earned
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        points(&before["pointsAvailable"]),
        1000 - 500 + earned,
        "{before}"
    );
    let line = &paid["order"]["lines"][0];
    let line_id = line["lineId"].as_str().unwrap().to_owned();
    let line_cash = fen(&line["priced"]["cashAmount"]);

    // One unit back before shipment: a refund-only case, approved at once.
    let ask = json!({
        "orderId": order_id,
        "kind": "AFTER_SALE_KIND_REFUND_ONLY",
        "lines": [{"orderLineId": line_id, "quantity": 1}],
        "reason": "AFTER_SALE_REASON_CHANGED_MIND",
    });
    let opened = json_ok(
        world
            .post_json("/api/v1/me/after-sales", &token, &ask)
            .await,
    )
    .await;
    let case = &opened["afterSale"];
    assert_eq!(case["status"], "AFTER_SALE_STATUS_REFUNDING", "{opened}");
    let refund_id = case["refundId"].as_str().unwrap().to_owned();

    // WeChat refunds and calls back; the refund succeeds with every step.
    let refund = until(
        &world,
        &format!("/api/v1/me/refunds/{refund_id}"),
        &token,
        |b| b["refund"]["status"] == "REFUND_STATUS_SUCCEEDED",
    )
    .await;
    let r = &refund["refund"];
    assert_eq!(r["pspStatus"], "PSP_REFUND_STATUS_SUCCESS", "{refund}");
    assert!(
        !r["pspRefundId"].as_str().unwrap_or("").is_empty(),
        "{refund}"
    );
    let cash = fen(&r["cashAmount"]);
    // One of two units: half the line's cash (the remainder goes with the last unit).
    assert_eq!(cash, line_cash / 2, "{refund}");
    let restored = points(&r["points"]);
    assert_eq!(restored, 250, "{refund}");
    let done: Vec<(&str, &str)> = r["compensation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["kind"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert!(
        done.contains(&(
            "COMPENSATION_KIND_RESTORE_POINTS",
            "COMPENSATION_STATUS_DONE"
        )),
        "{refund}"
    );
    assert!(
        done.contains(&(
            "COMPENSATION_KIND_RESTORE_COUPONS",
            "COMPENSATION_STATUS_SKIPPED"
        )),
        "{refund}"
    );

    let order = until(&world, &path, &token, |b| {
        fen(&b["order"]["refundedAmount"]) == cash
    })
    .await;
    let o = &order["order"];
    assert_eq!(o["status"], "ORDER_STATUS_PAID", "{order}");
    assert_eq!(
        o["afterSaleState"], "ORDER_AFTER_SALE_STATE_PARTIALLY_REFUNDED",
        "{order}"
    );
    assert_eq!(o["lines"][0]["refundedQuantity"], 1, "{order}");
    let case = json_ok(
        world
            .get(
                &format!(
                    "/api/v1/me/after-sales/{}",
                    case["afterSaleId"].as_str().unwrap()
                ),
                Some(&token),
            )
            .await,
    )
    .await;
    assert_eq!(
        case["afterSale"]["status"], "AFTER_SALE_STATUS_REFUNDED",
        "{case}"
    );

    // Points: the 250 used on the unit come back; membership takes back what the refunded
    // cash earned (OrderRefunded), never below zero and once.
    let mut after = Value::Null;
    let expect = points(&before["pointsAvailable"]) + restored;
    for _ in 0..100 {
        after = balances(&world, &staff, &member).await;
        let now = points(&after["pointsAvailable"]);
        if now < expect && now > expect - earned {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let reversed = expect - points(&after["pointsAvailable"]);
    assert!(reversed > 0 && reversed < earned, "{after}");
    assert_eq!(reversed, earned * cash / payable, "{after}");
    world.stop().await;
}
