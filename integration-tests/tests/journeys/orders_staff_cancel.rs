//! Staff cancel a paid order through the gateway: everything goes back through one system
//! after-sale case — WeChat refunds the cash, the coupon and the points return, the stock is
//! restocked — and the order ends CANCELLED with the refund's id; eight cancellations at once
//! make one case and one refund; a shipped order is not cancelled here.

use serde_json::json;

use crate::catalog::product_with_stock;
use crate::member_fixtures::balances;
use crate::orders_checkout::{
    available, checkout, fen, input_at, member_with_coupon_and_points, quote, shop,
};
use crate::orders_payment::{until, wechat_pay};
use crate::support::{World, assert_problem, json_ok};

#[tokio::test]
async fn staff_cancel_a_paid_order_and_everything_is_refunded_once() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, warehouse) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    let cashier = wechat_pay(&world, &tenant, &staff).await;
    let (token, member, coupon) =
        member_with_coupon_and_points(&world, &tenant, &staff, "cancel-1").await;
    let want = input_at(
        &store,
        &sku,
        2,
        &json!({"couponIds": [coupon], "pointsToUse": "500"}),
    );
    let payable = fen(&quote(&world, &token, &want).await["amounts"]["payable"]);
    let placed = json_ok(checkout(&world, &token, "cancel-a", &want, payable).await).await;
    let prepay = placed["wechatPayParams"]["package"]
        .as_str()
        .unwrap()
        .strip_prefix("prepay_id=")
        .unwrap()
        .to_owned();
    cashier.pay(&prepay).await.unwrap();
    let order = placed["order"]["orderId"].as_str().unwrap().to_owned();
    let mine = format!("/api/v1/me/orders/{order}");
    until(&world, &mine, &token, |b| {
        b["order"]["status"] == "ORDER_STATUS_PAID"
    })
    .await;
    // Settled with membership and catalog before the cancellation.
    until(
        &world,
        &format!("/api/v1/me/coupons/{coupon}"),
        &token,
        |b| b["coupon"]["status"] == "COUPON_STATUS_USED",
    )
    .await;
    assert_eq!(available(&world, &staff, &sku, &warehouse).await, 5);

    // Eight cancellations at once: one case, one refund.
    let path = format!("/admin/v1/orders/{order}/cancel");
    let body = json!({"reason": "CANCEL_REASON_OUT_OF_STOCK", "note": "缺货"});
    let answers =
        futures::future::join_all((0..8).map(|_| world.post_json(&path, &staff, &body))).await;
    let mut refund_ids = Vec::new();
    for a in answers {
        let cancelled = json_ok(a).await;
        assert_eq!(
            cancelled["order"]["status"], "ORDER_STATUS_CANCELLED",
            "{cancelled}"
        );
        refund_ids.push(
            cancelled["order"]["cancellation"]["refundId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    refund_ids.dedup();
    assert_eq!(refund_ids.len(), 1, "{refund_ids:?}");
    let refund = until(
        &world,
        &format!("/api/v1/me/refunds/{}", refund_ids[0]),
        &token,
        |b| b["refund"]["status"] == "REFUND_STATUS_SUCCEEDED",
    )
    .await;
    assert_eq!(
        refund["refund"]["reason"], "REFUND_REASON_STAFF_CANCEL",
        "{refund}"
    );
    assert_eq!(fen(&refund["refund"]["cashAmount"]), payable, "{refund}");
    let cases = json_ok(
        world
            .get(
                &format!("/api/v1/me/after-sales?orderId={order}"),
                Some(&token),
            )
            .await,
    )
    .await;
    let cases = cases["afterSales"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(
        cases[0]["reason"], "AFTER_SALE_REASON_ORDER_CANCELLED_BY_STAFF",
        "{cases:?}"
    );

    // Everything back: coupon, points, stock; the order stays cancelled, fully refunded.
    until(
        &world,
        &format!("/api/v1/me/coupons/{coupon}"),
        &token,
        |b| b["coupon"]["status"] == "COUPON_STATUS_AVAILABLE",
    )
    .await;
    let points = balances(&world, &staff, &member).await;
    assert_eq!(points["pointsAvailable"], "1000", "{points}");
    assert_eq!(available(&world, &staff, &sku, &warehouse).await, 7);
    let after = until(&world, &mine, &token, |b| {
        b["order"]["afterSaleState"] == "ORDER_AFTER_SALE_STATE_FULLY_REFUNDED"
    })
    .await;
    assert_eq!(
        after["order"]["status"], "ORDER_STATUS_CANCELLED",
        "{after}"
    );
    assert_eq!(fen(&after["order"]["refundedAmount"]), payable, "{after}");

    // A shipped order is not cancelled here (after-sales handles it).
    let one = input_at(&store, &sku, 1, &json!({}));
    let payable = fen(&quote(&world, &token, &one).await["amounts"]["payable"]);
    let placed = json_ok(checkout(&world, &token, "cancel-b", &one, payable).await).await;
    let prepay = placed["wechatPayParams"]["package"]
        .as_str()
        .unwrap()
        .strip_prefix("prepay_id=")
        .unwrap()
        .to_owned();
    cashier.pay(&prepay).await.unwrap();
    let order = placed["order"]["orderId"].as_str().unwrap().to_owned();
    until(&world, &format!("/api/v1/me/orders/{order}"), &token, |b| {
        b["order"]["status"] == "ORDER_STATUS_PAID"
    })
    .await;
    let ship = json!({"carrierCode": "SF", "trackingNo": "SF1234567890"});
    json_ok(
        world
            .post_json(&format!("/admin/v1/orders/{order}/ship"), &staff, &ship)
            .await,
    )
    .await;
    assert_problem(
        world
            .post_json(&format!("/admin/v1/orders/{order}/cancel"), &staff, &body)
            .await,
        422,
        "ILLEGAL_TRANSITION",
    )
    .await;
    world.stop().await;
}
