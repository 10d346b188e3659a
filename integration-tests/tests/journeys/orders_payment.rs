//! The purchase through the gateway with WeChat Pay in the sandbox: the tenant's merchant is
//! configured in identity, checkout answers signed `wx.requestPayment` parameters, the sandbox's
//! cashier pays, WeChat's signed and encrypted callback reaches orders through the gateway's raw
//! notify route, and the order is paid once — coupon used, points captured, stock confirmed,
//! points earned. A member's cancellation gives everything back and closes the WeChat attempt.

use std::time::Duration;

use serde_json::{Value, json};
use wechat_sandbox::SandboxControl;
use wechat_sandbox::pay::control::RegisterMerchant;

use crate::catalog::product_with_stock;
use crate::member_fixtures::balances;
use crate::orders_checkout::{
    available, checkout, fen, input_at, member_with_coupon_and_points, quote, shop,
};
use crate::support::{Tenant, World, json_ok};

/// Registers a sandbox merchant for the tenant's mini-program and stores its WeChat Pay
/// configuration in identity, as the tenant admin does in the console.
pub async fn wechat_pay(world: &World, tenant: &Tenant, staff: &str) -> SandboxControl {
    let control = SandboxControl::new(world.sandbox.clone()).unwrap();
    let merchant = control
        .register_merchant(&RegisterMerchant {
            appids: vec![tenant.app_id.clone()],
            ..RegisterMerchant::default()
        })
        .await
        .unwrap();
    // The merchant verifies with the WeChat Pay public key (微信支付公钥), so WeChat signs its
    // answers and callbacks with it.
    let enabled = reqwest::Client::new()
        .post(format!(
            "{}/sandbox/pay/platform/enable-public-key",
            world.sandbox
        ))
        .send()
        .await
        .unwrap();
    assert!(enabled.status().is_success());
    let platform = control.pay_platform().await.unwrap();
    let config = json!({"config": {
        "mchId": merchant.mchid,
        "appId": tenant.app_id,
        "merchantSerialNo": merchant.serial_no,
        "apiV3Key": merchant.apiv3_key,
        "privateKeyPem": merchant.private_key_pem.unwrap(),
        "wechatpayPublicKeyId": platform.public_key_id,
        "wechatpayPublicKeyPem": platform.public_key_pem,
    }});
    json_ok(
        world
            .post_json("/admin/v1/wechat-pay", staff, &config)
            .await,
    )
    .await;
    control
}

/// Reads `path` as `token` until `done` holds (10 s at most); answers the last body.
pub async fn until(world: &World, path: &str, token: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = json_ok(world.get(path, Some(token)).await).await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never reached the state: {last}");
}

#[tokio::test]
async fn a_member_pays_with_wechat_pay_and_the_order_is_paid_once() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, warehouse) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    let cashier = wechat_pay(&world, &tenant, &staff).await;
    // 消费积分: 1 point per yuan paid, credited at payment.
    let rule = json!({"rule": {"name": "消费送积分", "trigger": "EARNING_TRIGGER_ORDER_PAID",
                               "enabled": true, "pointsPerYuan": 1}});
    json_ok(
        world
            .post_json("/admin/v1/earning-rules", &staff, &rule)
            .await,
    )
    .await;
    let (token, member, coupon) =
        member_with_coupon_and_points(&world, &tenant, &staff, "payer-1").await;

    let want = input_at(
        &store,
        &sku,
        2,
        &json!({"couponIds": [coupon], "pointsToUse": "500"}),
    );
    let q = quote(&world, &token, &want).await;
    let payable = fen(&q["amounts"]["payable"]);
    let placed = json_ok(checkout(&world, &token, "pay-1", &want, payable).await).await;
    assert_eq!(
        placed["nextAction"], "CHECKOUT_NEXT_ACTION_REQUEST_PAYMENT",
        "{placed}"
    );
    let params = &placed["wechatPayParams"];
    assert_eq!(params["appId"], tenant.app_id.as_str(), "{placed}");
    assert_eq!(params["signType"], "RSA");
    let prepay = params["package"]
        .as_str()
        .unwrap()
        .strip_prefix("prepay_id=")
        .unwrap()
        .to_owned();
    let order_id = placed["order"]["orderId"].as_str().unwrap().to_owned();

    // The payer confirms in WeChat; the callback, not the client, makes the order paid.
    cashier.pay(&prepay).await.unwrap();
    let path = format!("/api/v1/me/orders/{order_id}");
    let paid = until(&world, &path, &token, |b| {
        b["order"]["status"] == "ORDER_STATUS_PAID"
    })
    .await;
    assert_eq!(fen(&paid["order"]["paidAmount"]), payable, "{paid}");
    let kinds: Vec<&str> = paid["order"]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["TIMELINE_ENTRY_KIND_CREATED", "TIMELINE_ENTRY_KIND_PAID"],
        "{paid}"
    );

    // Settled with membership and catalog: the coupon used, the points redeemed, the stock sold.
    until(
        &world,
        &format!("/api/v1/me/coupons/{coupon}"),
        &token,
        |b| b["coupon"]["status"] == "COUPON_STATUS_USED",
    )
    .await;
    let points_used: i64 = q["points"]["used"].as_str().unwrap().parse().unwrap();
    let mut after = Value::Null;
    for _ in 0..100 {
        after = balances(&world, &staff, &member).await;
        let held = after["pointsHeld"].as_str().unwrap_or("0");
        let available: i64 = after["pointsAvailable"].as_str().unwrap().parse().unwrap();
        // Held points captured, and OrderPaid earned new ones on the cash paid.
        if held == "0" && available > 1000 - points_used + payable / 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(after["pointsHeld"].as_str().unwrap_or("0"), "0", "{after}");
    // 173.00 paid in cash earns 173 points.
    let earned = payable / 100;
    assert_eq!(
        after["pointsAvailable"],
        (1000 - points_used + earned).to_string(),
        "{after}"
    );
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
        payment["payment"]["status"], "PAYMENT_STATUS_SUCCEEDED",
        "{payment}"
    );
    world.stop().await;
}

#[tokio::test]
async fn a_member_cancels_an_unpaid_order_and_everything_comes_back() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, warehouse) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    wechat_pay(&world, &tenant, &staff).await;
    let (token, member, coupon) =
        member_with_coupon_and_points(&world, &tenant, &staff, "payer-2").await;
    let want = input_at(
        &store,
        &sku,
        2,
        &json!({"couponIds": [coupon], "pointsToUse": "500"}),
    );
    let payable = fen(&quote(&world, &token, &want).await["amounts"]["payable"]);
    let placed = json_ok(checkout(&world, &token, "pay-2", &want, payable).await).await;
    let order_id = placed["order"]["orderId"].as_str().unwrap();
    assert_eq!(available(&world, &staff, &sku, &warehouse).await, 5);

    let path = format!("/api/v1/me/orders/{order_id}/cancel");
    let cancelled = json_ok(
        world
            .post_json(&path, &token, &json!({"note": "不想要了"}))
            .await,
    )
    .await;
    let order = &cancelled["order"];
    assert_eq!(order["status"], "ORDER_STATUS_CANCELLED", "{cancelled}");
    assert_eq!(
        order["cancellation"]["reason"],
        "CANCEL_REASON_MEMBER_REQUESTED"
    );
    // Cancelling again answers the same cancelled order.
    let again = json_ok(world.post_json(&path, &token, &json!({})).await).await;
    assert_eq!(again["order"]["status"], "ORDER_STATUS_CANCELLED");

    assert_eq!(available(&world, &staff, &sku, &warehouse).await, 7);
    let after = balances(&world, &staff, &member).await;
    assert_eq!(after["pointsAvailable"], "1000", "{after}");
    let c = json_ok(
        world
            .get(&format!("/api/v1/me/coupons/{coupon}"), Some(&token))
            .await,
    )
    .await;
    assert_eq!(c["coupon"]["status"], "COUPON_STATUS_AVAILABLE", "{c}");
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
        payment["payment"]["status"], "PAYMENT_STATUS_CLOSED",
        "{payment}"
    );
    world.stop().await;
}
