//! Quote and checkout through the gateway: a member buys with a coupon and points, the saga
//! takes stock, coupon and points for the order and gives every one back when a later step
//! fails; a retried or concurrent checkout with one key makes one order; bad input is refused
//! with its reason; an order is nobody else's to read.

use serde_json::{Value, json};
use siyu_platform::seed::authed;
use siyu_proto::orders::v1 as pb;
use siyu_proto::orders::v1::checkout_service_client::CheckoutServiceClient;
use tonic::transport::Channel;

use crate::catalog::product_with_stock;
use crate::member_fixtures::{balances, cny, enrol, published_template};
use crate::support::{Tenant, World, assert_problem, json_ok};

/// Parcel delivery bought in `store`'s storefront, to an address in Shanghai without
/// coordinates (what wx.chooseAddress gives).
pub fn delivery(store: &str) -> Value {
    json!({"mode": "FULFILMENT_MODE_DELIVERY", "storeId": store, "address": {
        "province": "上海市", "city": "上海市", "district": "静安区", "detail": "南京西路1号",
        "contactName": "王小明", "contactPhone": "13800138000"
    }})
}

/// A store of the tenant (the storefront orders are placed in), created by `staff`.
pub async fn shop(world: &World, tenant: &Tenant, staff: &str) -> String {
    let unit = json!({
        "parentId": tenant.root, "type": "ORG_UNIT_TYPE_STORE", "name": "静安店", "code": "JA01",
        "store": {"address": {"city": "上海", "detail": "南京西路1号"},
                  "geo": {"latitude": 31.23, "longitude": 121.47}, "pickupEnabled": true,
                  "sameCityDeliveryEnabled": true}
    });
    let created = json_ok(world.post_json("/admin/v1/org-units", staff, &unit).await).await;
    created["orgUnit"]["orgUnitId"].as_str().unwrap().to_owned()
}

/// A quote input of `quantity` of `sku` delivered from `store`'s storefront, with extra fields
/// merged in.
pub fn input_at(store: &str, sku: &str, quantity: i32, extra: &Value) -> Value {
    let mut i = json!({
        "lines": {"lines": [{"skuId": sku, "quantity": quantity}]},
        "fulfilment": delivery(store),
        "channel": "CHANNEL_MINI_PROGRAM"
    });
    for (k, v) in extra.as_object().unwrap() {
        i[k] = v.clone();
    }
    i
}

pub async fn quote(world: &World, token: &str, input: &Value) -> Value {
    json_ok(
        world
            .post_json("/api/v1/checkout/quote", token, &json!({ "input": input }))
            .await,
    )
    .await["quote"]
        .clone()
}

/// Checks out `input` expecting `payable` fen under idempotency key `key`.
pub async fn checkout(
    world: &World,
    token: &str,
    key: &str,
    input: &Value,
    payable: i64,
) -> reqwest::Response {
    let body = json!({"input": input, "expectedPayable": cny(payable)});
    world
        .post(
            "/api/v1/checkout",
            Some(token),
            Some(key),
            &body.to_string(),
        )
        .await
}

/// Available stock of `sku` at `location`.
pub async fn available(world: &World, staff: &str, sku: &str, location: &str) -> i64 {
    let query = json!({"skuIds": [sku], "locationIds": [location]});
    let levels = json_ok(
        world
            .post(
                "/admin/v1/stock/levels",
                Some(staff),
                None,
                &query.to_string(),
            )
            .await,
    )
    .await;
    // proto3 JSON leaves a zero out.
    let level = &levels["levels"][0];
    assert!(level.is_object(), "{levels}");
    level["available"].as_i64().unwrap_or(0)
}

pub fn fen(v: &Value) -> i64 {
    v["minorUnits"].as_str().map_or(0, |s| s.parse().unwrap())
}

/// A member with 1,000 points and a claimed 满100减20 coupon; answers (token, member, coupon).
pub async fn member_with_coupon_and_points(
    world: &World,
    tenant: &Tenant,
    staff: &str,
    openid: &str,
) -> (String, String, String) {
    let me = enrol(world, tenant, openid).await;
    let path = format!("/admin/v1/members/{}/adjustments", me.member_id);
    let gift =
        json!({"points": "1000", "reason": "开业礼", "idempotencyKey": format!("gift-{openid}")});
    json_ok(world.post_json(&path, staff, &gift).await).await;
    let template = published_template(world, staff, 100, 5).await;
    let claimed = json_ok(
        world
            .post_json(
                "/api/v1/me/coupons",
                &me.token,
                &json!({"templateId": template}),
            )
            .await,
    )
    .await;
    let coupon = claimed["coupon"]["couponId"].as_str().unwrap().to_owned();
    (me.token, me.member_id, coupon)
}

#[tokio::test]
async fn a_member_checks_out_with_a_coupon_and_points_and_the_order_holds_them() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, warehouse) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    let input = |sku: &str, q: i32, extra: &Value| input_at(&store, sku, q, extra);
    let (token, member, coupon) =
        member_with_coupon_and_points(&world, &tenant, &staff, "buyer-1").await;

    // 2 × 99.00 = 198.00; 满100减20 → 178.00; 500 points at the default rate.
    let want = input(
        &sku,
        2,
        &json!({"couponIds": [coupon], "pointsToUse": "500"}),
    );
    let q = quote(&world, &token, &want).await;
    assert_eq!(fen(&q["amounts"]["goodsListTotal"]), 19_800, "{q}");
    assert_eq!(fen(&q["amounts"]["couponDiscount"]), 2_000, "{q}");
    assert_eq!(q["appliedCouponIds"][0], coupon.as_str(), "{q}");
    let points_used: i64 = q["points"]["used"].as_str().unwrap_or("0").parse().unwrap();
    assert!(points_used > 0, "{q}");
    let payable = fen(&q["amounts"]["payable"]);
    assert_eq!(
        payable,
        17_800 - fen(&q["amounts"]["pointsDeduction"]) + fen(&q["amounts"]["shippingFee"])
            - fen(&q["amounts"]["shippingDiscount"]),
        "{q}"
    );
    assert_eq!(q["steps"].as_array().unwrap().len(), 8, "{q}");

    let placed = json_ok(checkout(&world, &token, "buy-1", &want, payable).await).await;
    let order = &placed["order"];
    assert_eq!(order["status"], "ORDER_STATUS_PENDING_PAYMENT", "{placed}");
    assert_eq!(fen(&order["amounts"]["payable"]), payable, "{placed}");
    assert_eq!(order["memberId"], member.as_str());
    assert_eq!(order["orderNo"].as_str().unwrap().len(), 20, "{placed}");
    assert_eq!(order["couponIds"][0], coupon.as_str());
    assert_eq!(order["timeline"][0]["kind"], "TIMELINE_ENTRY_KIND_CREATED");
    let lines = order["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["locationId"], warehouse.as_str(), "{placed}");
    assert_eq!(
        fen(&lines[0]["priced"]["couponDiscount"]),
        2_000,
        "{placed}"
    );

    // What the order holds: 2 units reserved, the coupon locked, the points held.
    assert_eq!(available(&world, &staff, &sku, &warehouse).await, 5);
    let held = balances(&world, &staff, &member).await;
    assert_eq!(held["pointsHeld"], points_used.to_string(), "{held}");
    let c = json_ok(
        world
            .get(&format!("/api/v1/me/coupons/{coupon}"), Some(&token))
            .await,
    )
    .await;
    assert_eq!(c["coupon"]["status"], "COUPON_STATUS_LOCKED", "{c}");

    // The same key answers the same order; the order reads back, in the member's list too.
    let order_id = order["orderId"].as_str().unwrap();
    let again = json_ok(checkout(&world, &token, "buy-1", &want, payable).await).await;
    assert_eq!(again["order"]["orderId"], order_id);
    let read = json_ok(
        world
            .get(&format!("/api/v1/me/orders/{order_id}"), Some(&token))
            .await,
    )
    .await;
    assert_eq!(read["order"]["orderNo"], order["orderNo"]);
    let mine = json_ok(world.get("/api/v1/me/orders", Some(&token)).await).await;
    assert_eq!(mine["orders"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(available(&world, &staff, &sku, &warehouse).await, 5);
    world.stop().await;
}

#[tokio::test]
async fn a_failed_step_gives_back_stock_coupon_and_points() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, warehouse) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    let input = |sku: &str, q: i32, extra: &Value| input_at(&store, sku, q, extra);
    let (token, member, coupon) =
        member_with_coupon_and_points(&world, &tenant, &staff, "buyer-2").await;
    // Stored value on, but the member has none: the stored-value hold, the last step before
    // the order, fails after stock, coupon and points were taken.
    let policy =
        json!({"policy": {"storedValueEnabled": true}, "updateMask": "storedValueEnabled"});
    json_ok(
        world
            .patch_json("/admin/v1/ledger-policy", &staff, &policy)
            .await,
    )
    .await;
    let want = input(
        &sku,
        2,
        &json!({"couponIds": [coupon], "pointsToUse": "500", "storedValueToUse": cny(1_000)}),
    );
    let q = quote(&world, &token, &want).await;
    let payable = fen(&q["amounts"]["payable"]);
    assert_problem(
        checkout(&world, &token, "buy-2", &want, payable).await,
        422,
        "STORED_VALUE_INSUFFICIENT",
    )
    .await;
    assert_eq!(available(&world, &staff, &sku, &warehouse).await, 7);
    let after = balances(&world, &staff, &member).await;
    assert_eq!(after["pointsAvailable"], "1000", "{after}");
    assert_eq!(after["pointsHeld"].as_str().unwrap_or("0"), "0", "{after}");
    let c = json_ok(
        world
            .get(&format!("/api/v1/me/coupons/{coupon}"), Some(&token))
            .await,
    )
    .await;
    assert_eq!(c["coupon"]["status"], "COUPON_STATUS_AVAILABLE", "{c}");

    // A price that moved since the quote takes nothing either.
    let plain = input(&sku, 1, &json!({}));
    assert_problem(
        checkout(&world, &token, "buy-3", &plain, 1).await,
        422,
        "PRICE_CHANGED",
    )
    .await;
    // More than the stock: INSUFFICIENT_STOCK from catalog, nothing held.
    let many = input(&sku, 8, &json!({}));
    let q = quote(&world, &token, &many).await;
    assert_problem(
        checkout(
            &world,
            &token,
            "buy-4",
            &many,
            fen(&q["amounts"]["payable"]),
        )
        .await,
        422,
        "INSUFFICIENT_STOCK",
    )
    .await;
    assert_eq!(available(&world, &staff, &sku, &warehouse).await, 7);
    let mine = json_ok(world.get("/api/v1/me/orders", Some(&token)).await).await;
    assert!(
        mine["orders"].as_array().is_none_or(Vec::is_empty),
        "{mine}"
    );
    world.stop().await;
}

#[tokio::test]
async fn sixteen_concurrent_checkouts_with_one_key_make_one_order() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, warehouse) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    let input = |sku: &str, q: i32, extra: &Value| input_at(&store, sku, q, extra);
    let me = enrol(&world, &tenant, "buyer-3").await;
    let want = input(&sku, 1, &json!({}));
    let payable = fen(&quote(&world, &me.token, &want).await["amounts"]["payable"]);
    // Straight to orders' gRPC API, past the gateway's own replay of keys: the service's
    // checkout record is what must hold.
    let channel = Channel::from_shared(world.suite.grpc_url("orders").unwrap())
        .unwrap()
        .connect_lazy();
    let request: pb::CheckoutRequest = pb::CheckoutRequest {
        input: Some(pb::QuoteInput {
            source: Some(pb::quote_input::Source::Lines(pb::DirectLines {
                lines: vec![pb::LineInput {
                    sku_id: sku.clone(),
                    quantity: 1,
                    ..Default::default()
                }],
            })),
            fulfilment: Some(pb::FulfilmentChoice {
                mode: pb::FulfilmentMode::Delivery as i32,
                store_id: store.clone(),
                address: Some(siyu_proto::common::v1::Address {
                    province: "上海市".into(),
                    city: "上海市".into(),
                    district: "静安区".into(),
                    detail: "南京西路1号".into(),
                    contact_name: "王小明".into(),
                    contact_phone: "13800138000".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            channel: siyu_proto::common::v1::Channel::MiniProgram as i32,
            ..Default::default()
        }),
        expected_payable: Some(siyu_proto::common::v1::Money {
            minor_units: payable,
            currency_code: "CNY".into(),
        }),
        ..Default::default()
    };
    let calls = (0..16).map(|_| {
        let mut client = CheckoutServiceClient::new(channel.clone());
        let request = authed(request.clone(), &me.token, Some("one-key"));
        async move { client.checkout(request).await }
    });
    let answers = futures::future::join_all(calls).await;
    let mut orders = std::collections::BTreeSet::new();
    for answer in &answers {
        match answer {
            Ok(reply) => {
                orders.insert(reply.get_ref().order.as_ref().unwrap().order_id.clone());
            }
            Err(status) => assert_eq!(status.code(), tonic::Code::Aborted, "{status:?}"),
        }
    }
    assert_eq!(orders.len(), 1, "{answers:?}");
    assert_eq!(available(&world, &staff, &sku, &warehouse).await, 6);
    let mine = json_ok(world.get("/api/v1/me/orders", Some(&me.token)).await).await;
    assert_eq!(mine["orders"].as_array().unwrap().len(), 1, "{mine}");
    world.stop().await;
}

#[tokio::test]
async fn bad_checkout_input_is_refused_with_its_reason() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, _) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    let input = |sku: &str, q: i32, extra: &Value| input_at(&store, sku, q, extra);
    let visitor = world.consumer_login(&tenant, "visitor-1").await;
    let visitor = visitor["accessToken"].as_str().unwrap().to_owned();
    let unknown = siyu_core::id::new_string();
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"channel": "CHANNEL_MINI_PROGRAM"}),
            400,
            "INVALID_ARGUMENT",
        ),
        (input(&sku, 0, &json!({})), 400, "INVALID_ARGUMENT"),
        (input(&sku, 1000, &json!({})), 400, "INVALID_ARGUMENT"),
        (
            input(&sku, 1_000_000_000, &json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (input("not-a-sku", 1, &json!({})), 400, "INVALID_ARGUMENT"),
        (input(&unknown, 1, &json!({})), 404, "SKU_NOT_FOUND"),
        (
            input(&sku, 1, &json!({"channel": "CHANNEL_UNSPECIFIED"})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            input(&sku, 1, &json!({"pointsToUse": "-1"})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            input(&sku, 1, &json!({"pointsToUse": "100"})),
            422,
            "MEMBER_REQUIRED",
        ),
        (
            json!({"lines": {"lines": [{"skuId": sku, "quantity": 1}]}, "channel": "CHANNEL_MINI_PROGRAM"}),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            json!({"cart": {}, "fulfilment": delivery(&store), "channel": "CHANNEL_MINI_PROGRAM"}),
            422,
            "CART_EMPTY",
        ),
    ];
    for (input, status, reason) in &cases {
        assert_problem(
            world
                .post_json(
                    "/api/v1/checkout/quote",
                    &visitor,
                    &json!({ "input": input }),
                )
                .await,
            *status,
            reason,
        )
        .await;
        assert_problem(
            checkout(&world, &visitor, &siyu_core::id::new_string(), input, 9_900).await,
            *status,
            reason,
        )
        .await;
    }
    // Checkout only: the payable seen is required, auto-selection is refused.
    let plain = input(&sku, 1, &json!({}));
    assert_problem(
        world
            .post_json("/api/v1/checkout", &visitor, &json!({"input": plain}))
            .await,
        400,
        "INVALID_ARGUMENT",
    )
    .await;
    let auto = input(&sku, 1, &json!({"autoSelectCoupons": true}));
    assert_problem(
        checkout(&world, &visitor, "auto", &auto, 9_900).await,
        400,
        "INVALID_ARGUMENT",
    )
    .await;
    world.stop().await;
}

#[tokio::test]
async fn an_order_is_nobody_elses_to_read() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let other = world.tenant("brand-b").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, _) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    let input = |sku: &str, q: i32, extra: &Value| input_at(&store, sku, q, extra);
    let me = enrol(&world, &tenant, "buyer-4").await;
    let want = input(&sku, 1, &json!({}));
    let payable = fen(&quote(&world, &me.token, &want).await["amounts"]["payable"]);
    let placed = json_ok(checkout(&world, &me.token, "buy", &want, payable).await).await;
    let id = placed["order"]["orderId"].as_str().unwrap();
    let no = placed["order"]["orderNo"].as_str().unwrap();
    let neighbour = enrol(&world, &tenant, "buyer-5").await;
    let stranger = enrol(&world, &other, "buyer-4").await;
    for token in [&neighbour.token, &stranger.token] {
        assert_problem(
            world
                .get(&format!("/api/v1/me/orders/{id}"), Some(token))
                .await,
            404,
            "ORDER_NOT_FOUND",
        )
        .await;
        assert_problem(
            world
                .get(&format!("/api/v1/me/order-numbers/{no}"), Some(token))
                .await,
            404,
            "ORDER_NOT_FOUND",
        )
        .await;
        let list = json_ok(world.get("/api/v1/me/orders", Some(token)).await).await;
        assert!(
            list["orders"].as_array().is_none_or(Vec::is_empty),
            "{list}"
        );
    }
    // Staff of the tenant see it; staff of another tenant do not.
    let theirs = world.staff_login(&other).await;
    json_ok(
        world
            .get(&format!("/admin/v1/orders/{id}"), Some(&staff))
            .await,
    )
    .await;
    assert_problem(
        world
            .get(&format!("/admin/v1/orders/{id}"), Some(&theirs))
            .await,
        404,
        "ORDER_NOT_FOUND",
    )
    .await;
    assert_problem(
        world
            .get("/api/v1/me/orders/not-an-id", Some(&me.token))
            .await,
        400,
        "INVALID_ARGUMENT",
    )
    .await;
    world.stop().await;
}
