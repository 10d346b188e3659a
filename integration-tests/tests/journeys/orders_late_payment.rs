//! A payment that arrives after its order was cancelled, through the gateway with every service:
//! the member's order (a coupon, points, two units of stock) is cancelled while WeChat still
//! takes the payer's money — the close that should have stopped it was lost — and everything
//! comes back; then the payment succeeds. Revived: stock, coupon and points are taken again and
//! the order is PAID. Refunded: the last units were sold meanwhile, so the revival is refused by
//! catalog and WeChat gives the money back; the order stays cancelled.

use serde_json::{Value, json};

use crate::catalog::product_with_stock;
use crate::member_fixtures::{balances, enrol};
use crate::orders_checkout::{
    available, checkout, fen, input_at, member_with_coupon_and_points, quote, shop,
};
use crate::orders_payment::{until, wechat_pay};
use crate::support::{World, json_ok};

/// The prepay id of a checkout's answer.
fn prepay_of(placed: &Value) -> String {
    placed["wechatPayParams"]["package"]
        .as_str()
        .unwrap()
        .strip_prefix("prepay_id=")
        .unwrap()
        .to_owned()
}

/// The member cancels `order` while its WeChat attempt stays open at WeChat: orders' record of
/// the attempt is closed by hand, as if the close had reached WeChat and its answer been lost.
async fn cancel_with_lost_close(world: &World, token: &str, order: &str) {
    let db = siyu_store::db::connect(
        &world.databases["orders"],
        &siyu_store::DbOptions::default(),
    )
    .await
    .unwrap();
    siyu_store::sql::execute(
        &db,
        "UPDATE pay_payments SET status = 5 WHERE order_id::text = $1",
        [order.into()],
    )
    .await
    .unwrap();
    let path = format!("/api/v1/me/orders/{order}/cancel");
    let cancelled = json_ok(world.post_json(&path, token, &json!({})).await).await;
    assert_eq!(
        cancelled["order"]["status"], "ORDER_STATUS_CANCELLED",
        "{cancelled}"
    );
}

fn timeline(order: &Value) -> Vec<&str> {
    order["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["kind"].as_str())
        .collect()
}

#[tokio::test]
async fn a_late_payment_revives_the_order_or_is_refunded() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, warehouse) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    let cashier = wechat_pay(&world, &tenant, &staff).await;
    let (token, member, coupon) =
        member_with_coupon_and_points(&world, &tenant, &staff, "late-1").await;

    // Revived.
    let want = input_at(
        &store,
        &sku,
        2,
        &json!({"couponIds": [coupon], "pointsToUse": "500"}),
    );
    let payable = fen(&quote(&world, &token, &want).await["amounts"]["payable"]);
    let placed = json_ok(checkout(&world, &token, "late-a", &want, payable).await).await;
    let order = placed["order"]["orderId"].as_str().unwrap().to_owned();
    cancel_with_lost_close(&world, &token, &order).await;
    assert_eq!(available(&world, &staff, &sku, &warehouse).await, 7);
    assert_eq!(
        balances(&world, &staff, &member).await["pointsAvailable"],
        "1000"
    );
    cashier.pay(&prepay_of(&placed)).await.unwrap();
    let path = format!("/api/v1/me/orders/{order}");
    let revived = until(&world, &path, &token, |b| {
        b["order"]["status"] == "ORDER_STATUS_PAID"
    })
    .await;
    assert_eq!(
        timeline(&revived["order"]),
        [
            "TIMELINE_ENTRY_KIND_CREATED",
            "TIMELINE_ENTRY_KIND_CANCELLED",
            "TIMELINE_ENTRY_KIND_REVIVED"
        ],
        "{revived}"
    );
    assert_eq!(fen(&revived["order"]["paidAmount"]), payable, "{revived}");
    // Taken again and settled as any payment: the coupon used, the points spent, stock sold.
    until(
        &world,
        &format!("/api/v1/me/coupons/{coupon}"),
        &token,
        |b| b["coupon"]["status"] == "COUPON_STATUS_USED",
    )
    .await;
    let mut points = Value::Null;
    for _ in 0..100 {
        points = balances(&world, &staff, &member).await;
        if points["pointsHeld"].as_str().unwrap_or("0") == "0"
            && points["pointsAvailable"] != "1000"
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(points["pointsAvailable"], "500", "{points}");
    assert_eq!(available(&world, &staff, &sku, &warehouse).await, 5);
    let payment = json_ok(
        world
            .get(
                &format!(
                    "/api/v1/me/payments/{}",
                    placed["paymentId"].as_str().unwrap()
                ),
                Some(&token),
            )
            .await,
    )
    .await;
    assert_eq!(
        payment["payment"]["latePayment"]["resolution"], "LATE_PAYMENT_RESOLUTION_REVIVED",
        "{payment}"
    );

    // Refunded: after the cancellation, another member buys every unit left.
    let late = enrol(&world, &tenant, "late-2").await;
    let one = input_at(&store, &sku, 1, &json!({}));
    let payable = fen(&quote(&world, &late.token, &one).await["amounts"]["payable"]);
    let placed = json_ok(checkout(&world, &late.token, "late-b", &one, payable).await).await;
    let order = placed["order"]["orderId"].as_str().unwrap().to_owned();
    cancel_with_lost_close(&world, &late.token, &order).await;
    let rival = enrol(&world, &tenant, "late-3").await;
    let all = input_at(&store, &sku, 5, &json!({}));
    let total = fen(&quote(&world, &rival.token, &all).await["amounts"]["payable"]);
    json_ok(checkout(&world, &rival.token, "late-c", &all, total).await).await;
    assert_eq!(available(&world, &staff, &sku, &warehouse).await, 0);
    cashier.pay(&prepay_of(&placed)).await.unwrap();
    let path = format!(
        "/api/v1/me/payments/{}",
        placed["paymentId"].as_str().unwrap()
    );
    let refunded = until(&world, &path, &late.token, |b| {
        b["payment"]["latePayment"]["resolution"] == "LATE_PAYMENT_RESOLUTION_REFUNDED"
    })
    .await;
    let record = &refunded["payment"]["latePayment"];
    assert_eq!(
        record["reviveFailureReason"], "INSUFFICIENT_STOCK",
        "{refunded}"
    );
    let refund_id = record["refundId"].as_str().unwrap();
    let refund = until(
        &world,
        &format!("/api/v1/me/refunds/{refund_id}"),
        &late.token,
        |b| b["refund"]["status"] == "REFUND_STATUS_SUCCEEDED",
    )
    .await;
    assert_eq!(fen(&refund["refund"]["cashAmount"]), payable, "{refund}");
    assert_eq!(
        refund["refund"]["reason"], "REFUND_REASON_LATE_PAYMENT",
        "{refund}"
    );
    let path = format!("/api/v1/me/orders/{order}");
    let cancelled = until(&world, &path, &late.token, |b| {
        timeline(&b["order"]).contains(&"TIMELINE_ENTRY_KIND_LATE_PAYMENT_REFUNDED")
    })
    .await;
    assert_eq!(
        cancelled["order"]["status"], "ORDER_STATUS_CANCELLED",
        "{cancelled}"
    );
    // Nothing of the rival's order was given to the late one.
    assert_eq!(available(&world, &staff, &sku, &warehouse).await, 0);
    world.stop().await;
}
