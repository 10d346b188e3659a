//! Fulfilment through the gateway: staff set the tenant's shipping fee and quotes charge it; a
//! paid pickup order is made ready and its code verified by the store's staff (once, however
//! many scans race); a paid delivery order is prepared, shipped, corrected and received; illegal
//! transitions and bad input are refused with their exact reason; another tenant's staff find
//! nothing.

use serde_json::{Value, json};
use siyu_proto::identity::v1 as idpb;

use crate::catalog::product_with_stock;
use crate::member_fixtures::{cny, enrol};
use crate::orders_checkout::{checkout, fen, input_at, quote, shop};
use crate::orders_payment::{until, wechat_pay};
use crate::support::{ADMIN_PASSWORD, STAFF_PASSWORD, Tenant, World, assert_problem, json_ok};

/// Store pickup at `store`.
fn pickup(store: &str) -> Value {
    json!({"mode": "FULFILMENT_MODE_STORE_PICKUP", "storeId": store,
           "pickupContactName": "王小明", "pickupContactPhone": "13800138000"})
}

/// A staff member with `role` on `store` only; answers their token.
async fn store_staff(
    world: &World,
    tenant: &Tenant,
    admin: &str,
    login: &str,
    store: &str,
    role: idpb::StaffRole,
) -> String {
    let channel = world.identity_channel();
    let request = idpb::CreateStaffRequest {
        staff: Some(idpb::Staff {
            login_name: login.into(),
            display_name: login.into(),
            primary_org_unit_id: store.into(),
            ..Default::default()
        }),
        initial_password: ADMIN_PASSWORD.into(),
        roles: vec![idpb::RoleGrant {
            role: role as i32,
            org_unit_id: store.into(),
            ..Default::default()
        }],
    };
    idpb::staff_service_client::StaffServiceClient::new(channel.clone())
        .create_staff(siyu_platform::seed::authed(request, admin, Some(login)))
        .await
        .unwrap();
    siyu_platform::seed::identity::staff_token(
        &channel,
        &tenant.code,
        login,
        ADMIN_PASSWORD,
        STAFF_PASSWORD,
    )
    .await
    .unwrap()
}

/// The store's own stock location with 5 units of `sku` (what pickup orders take).
async fn store_stock(world: &World, tenant: &Tenant, staff: &str, store: &str, sku: &str) {
    let location = json!({"location": {
        "locationId": store, "kind": "LOCATION_KIND_STORE", "name": "静安店",
        "address": {"city": "上海", "detail": "南京西路1号",
                    "location": {"latitude": 31.23, "longitude": 121.47}},
        "pickupEnabled": true, "orgPath": format!("{}/{store}", tenant.root)
    }});
    json_ok(
        world
            .post_json("/admin/v1/locations", staff, &location)
            .await,
    )
    .await;
    let receipt = json!({"lines": [{"skuId": sku, "quantity": 5}], "reference": "po-store"});
    let path = format!("/admin/v1/locations/{store}/receipts");
    json_ok(world.post_json(&path, staff, &receipt).await).await;
}

/// Places `input` for `token` under `key` and pays it in the sandbox; answers the order id.
async fn paid_order(
    world: &World,
    cashier: &wechat_sandbox::SandboxControl,
    token: &str,
    key: &str,
    input: &Value,
) -> String {
    let payable = fen(&quote(world, token, input).await["amounts"]["payable"]);
    let placed = json_ok(checkout(world, token, key, input, payable).await).await;
    let prepay = placed["wechatPayParams"]["package"]
        .as_str()
        .unwrap()
        .strip_prefix("prepay_id=")
        .unwrap()
        .to_owned();
    let order_id = placed["order"]["orderId"].as_str().unwrap().to_owned();
    cashier.pay(&prepay).await.unwrap();
    until(
        world,
        &format!("/api/v1/me/orders/{order_id}"),
        token,
        |b| b["order"]["status"] == "ORDER_STATUS_PAID",
    )
    .await;
    order_id
}

const DAY_MS: i64 = 86_400_000;

/// A proto3 JSON timestamp in milliseconds.
fn at(v: &Value) -> i64 {
    siyu_proto::time::millis(&v.as_str().unwrap().parse().unwrap())
}

fn kinds(order: &Value) -> Vec<String> {
    order["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            t["kind"]
                .as_str()
                .unwrap()
                .trim_start_matches("TIMELINE_ENTRY_KIND_")
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn staff_set_the_shipping_fee_and_the_quote_charges_it() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, _) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    let me = enrol(&world, &tenant, "fee-1").await;
    let path = "/admin/v1/order-settings";

    let read = json_ok(world.get(path, Some(&staff)).await).await;
    let s = &read["settings"];
    assert_eq!(s["unpaidTimeoutSeconds"], 900, "{read}");
    assert_eq!(s["autoCompleteDays"], 7, "{read}");
    assert_eq!(s["afterSaleWindowDays"], 7, "{read}");
    assert_eq!(s["pickup"]["holdDays"], 7, "{read}");
    let want = input_at(&store, &sku, 1, &json!({}));
    assert_eq!(
        fen(&quote(&world, &me.token, &want).await["amounts"]["shippingFee"]),
        0
    );

    let change = json!({"settings": {"delivery": {"enabled": true, "fee": cny(1200)}},
                        "updateMask": "delivery"});
    let changed = json_ok(world.patch_json(path, &staff, &change).await).await;
    let s = &changed["settings"];
    assert_eq!(fen(&s["delivery"]["fee"]), 1200, "{changed}");
    assert_eq!(s["version"], "1", "{changed}");
    assert!(
        !s["updatedByStaffId"].as_str().unwrap_or("").is_empty(),
        "{changed}"
    );
    // Untouched fields keep their values.
    assert_eq!(s["unpaidTimeoutSeconds"], 900, "{changed}");
    let q = quote(&world, &me.token, &want).await;
    assert_eq!(fen(&q["amounts"]["shippingFee"]), 1200, "{q}");

    // A sub-path under the version read.
    let window = json!({"settings": {"afterSaleWindowDays": 0, "pickup": {"holdDays": 3}},
                        "updateMask": "afterSaleWindowDays,pickup.holdDays",
                        "expectedVersion": "1"});
    let changed = json_ok(world.patch_json(path, &staff, &window).await).await;
    assert_eq!(changed["settings"]["pickup"]["holdDays"], 3, "{changed}");
    assert!(
        changed["settings"]["pickup"]["enabled"].as_bool().unwrap(),
        "{changed}"
    );
    assert_eq!(
        changed["settings"]["afterSaleWindowDays"]
            .as_i64()
            .unwrap_or(0),
        0
    );
    let stale = json!({"settings": {"autoCompleteDays": 5}, "updateMask": "autoCompleteDays",
                       "expectedVersion": "1"});
    assert_problem(
        world.patch_json(path, &staff, &stale).await,
        409,
        "SETTINGS_VERSION_CONFLICT",
    )
    .await;

    for (body, field) in [
        (json!({"settings": {}}), "update_mask"),
        (
            json!({"settings": {}, "updateMask": "colour"}),
            "update_mask",
        ),
        (
            json!({"settings": {"unpaidTimeoutSeconds": 30}, "updateMask": "unpaidTimeoutSeconds"}),
            "settings.unpaid_timeout_seconds",
        ),
        (
            json!({"settings": {"autoCompleteDays": 31}, "updateMask": "autoCompleteDays"}),
            "settings.auto_complete_days",
        ),
        (
            json!({"settings": {"delivery": {"enabled": true,
                   "fee": {"minorUnits": "-1", "currencyCode": "CNY"}}}, "updateMask": "delivery"}),
            "settings.delivery.fee.minor_units",
        ),
        (
            json!({"settings": {"delivery": {"enabled": true,
                   "fee": {"minorUnits": "100", "currencyCode": "USD"}}}, "updateMask": "delivery"}),
            "settings.delivery.fee.currency_code",
        ),
        (
            json!({"settings": {"sameCity": {"enabled": true, "maxDistanceMeters": 5000,
                   "bands": [{"upToMeters": 3000, "fee": cny(500)},
                             {"upToMeters": 2000, "fee": cny(800)}]}},
                   "updateMask": "sameCity"}),
            "settings.same_city.bands[1].up_to_meters",
        ),
    ] {
        let refused = assert_problem(
            world.patch_json(path, &staff, &body).await,
            400,
            "INVALID_ARGUMENT",
        )
        .await;
        assert!(refused.to_string().contains(field), "{field}: {refused}");
    }
    // Only tenant admins change them.
    let guide = store_staff(
        &world,
        &tenant,
        &staff,
        "guide-fee",
        &store,
        idpb::StaffRole::Guide,
    )
    .await;
    assert_problem(
        world.patch_json(path, &guide, &change).await,
        403,
        "PERMISSION_DENIED",
    )
    .await;
    world.stop().await;
}

#[tokio::test]
async fn a_pickup_order_is_made_ready_and_its_code_verified_once_by_the_store() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let other = world.tenant("brand-b").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, _) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    store_stock(&world, &tenant, &staff, &store, &sku).await;
    let cashier = wechat_pay(&world, &tenant, &staff).await;
    let me = enrol(&world, &tenant, "pickup-1").await;
    let clerk = store_staff(
        &world,
        &tenant,
        &staff,
        "clerk-1",
        &store,
        idpb::StaffRole::StoreManager,
    )
    .await;
    let want = input_at(&store, &sku, 1, &json!({"fulfilment": pickup(&store)}));
    let id = paid_order(&world, &cashier, &me.token, "pick-1", &want).await;

    // Another tenant's staff find nothing.
    let theirs = world.staff_login(&other).await;
    let ready_path = format!("/admin/v1/orders/{id}/ready-for-pickup");
    assert_problem(
        world.post_json(&ready_path, &theirs, &json!({})).await,
        404,
        "ORDER_NOT_FOUND",
    )
    .await;
    // A pickup order is not shipped.
    assert_problem(
        world
            .post_json(
                &format!("/admin/v1/orders/{id}/ship"),
                &clerk,
                &json!({"carrierCode": "SF", "trackingNo": "SF1"}),
            )
            .await,
        422,
        "ILLEGAL_TRANSITION",
    )
    .await;

    let ready = json_ok(world.post_json(&ready_path, &clerk, &json!({})).await).await;
    let order = &ready["order"];
    assert_eq!(order["status"], "ORDER_STATUS_READY_FOR_PICKUP", "{ready}");
    // Staff verify the code; they do not read it.
    assert!(
        order["pickup"]["pickupCode"]
            .as_str()
            .unwrap_or("")
            .is_empty(),
        "{ready}"
    );
    assert!(order["pickup"]["holdUntil"].is_string(), "{ready}");
    let mine = json_ok(
        world
            .get(&format!("/api/v1/me/orders/{id}"), Some(&me.token))
            .await,
    )
    .await;
    let code = mine["order"]["pickup"]["pickupCode"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(code.len(), 8, "{mine}");
    assert!(code.bytes().all(|b| b.is_ascii_digit()));

    let verify = "/admin/v1/pickup-verifications";
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    for (body, status, reason) in [
        (
            json!({"storeId": store, "pickupCode": "1234"}),
            400,
            "INVALID_ARGUMENT",
        ),
        (json!({"pickupCode": code}), 400, "INVALID_ARGUMENT"),
        (
            json!({"storeId": store, "pickupCode": wrong}),
            404,
            "PICKUP_CODE_INVALID",
        ),
        (
            json!({"storeId": store, "pickupCode": code, "orderId": siyu_core::id::new_string()}),
            404,
            "PICKUP_CODE_INVALID",
        ),
    ] {
        assert_problem(world.post_json(verify, &clerk, &body).await, status, reason).await;
    }
    assert_problem(
        world
            .post_json(
                verify,
                &theirs,
                &json!({"storeId": store, "pickupCode": code}),
            )
            .await,
        404,
        "PICKUP_CODE_INVALID",
    )
    .await;

    // Sixteen scans of one code at once: one completes the order, the rest find no open pickup.
    let scan = json!({"storeId": store, "pickupCode": code});
    let scans = (0..16).map(|_| world.post_json(verify, &clerk, &scan));
    let answers = futures::future::join_all(scans).await;
    let mut completed = Vec::new();
    for answer in answers {
        if answer.status() == 200 {
            completed.push(answer.json::<Value>().await.unwrap());
        } else {
            assert_problem(answer, 404, "PICKUP_CODE_INVALID").await;
        }
    }
    assert_eq!(completed.len(), 1, "{completed:?}");
    let done = &completed[0];
    assert_eq!(done["order"]["status"], "ORDER_STATUS_COMPLETED", "{done}");
    assert!(!done["alreadyVerified"].as_bool().unwrap_or(false));
    // A double scan naming the order answers it as verified already.
    let again = json_ok(
        world
            .post_json(
                verify,
                &clerk,
                &json!({"storeId": store, "pickupCode": code, "orderId": id}),
            )
            .await,
    )
    .await;
    assert_eq!(again["alreadyVerified"], true, "{again}");

    let read = json_ok(
        world
            .get(&format!("/admin/v1/orders/{id}"), Some(&staff))
            .await,
    )
    .await;
    assert_eq!(
        kinds(&read["order"]),
        [
            "CREATED",
            "PAID",
            "READY_FOR_PICKUP",
            "PICKED_UP",
            "COMPLETED"
        ],
        "{read}"
    );
    assert!(read["order"]["afterSaleDeadline"].is_string(), "{read}");
    assert!(read["order"]["pickup"]["pickedUpAt"].is_string(), "{read}");

    // Guessing codes at the counter: ten the store never issued, then every scan of that
    // clerk is refused for ten minutes; the double scans above counted as no guess.
    let guesser = store_staff(
        &world,
        &tenant,
        &staff,
        "clerk-2",
        &store,
        idpb::StaffRole::StoreManager,
    )
    .await;
    let guesses = (0..10).map(|n| format!("9{n:07}")).filter(|g| *g != code);
    for guess in guesses.take(10) {
        let body = json!({"storeId": store, "pickupCode": guess});
        assert_problem(
            world.post_json(verify, &guesser, &body).await,
            404,
            "PICKUP_CODE_INVALID",
        )
        .await;
    }
    let body = json!({"storeId": store, "pickupCode": code, "orderId": id});
    assert_problem(
        world.post_json(verify, &guesser, &body).await,
        429,
        "PICKUP_CODE_ATTEMPTS_EXCEEDED",
    )
    .await;
    // The first clerk scans on.
    json_ok(world.post_json(verify, &clerk, &body).await).await;
    world.stop().await;
}

#[tokio::test]
async fn a_delivery_order_is_prepared_shipped_corrected_and_received() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let other = world.tenant("brand-b").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, _) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    let cashier = wechat_pay(&world, &tenant, &staff).await;
    let me = enrol(&world, &tenant, "parcel-1").await;
    let want = input_at(&store, &sku, 1, &json!({}));
    let id = paid_order(&world, &cashier, &me.token, "parcel-1", &want).await;
    let order_path = |action: &str| format!("/admin/v1/orders/{id}/{action}");

    // An unpaid order cannot be shipped; staff may cancel it.
    let payable = fen(&quote(&world, &me.token, &want).await["amounts"]["payable"]);
    let pending = json_ok(checkout(&world, &me.token, "parcel-2", &want, payable).await).await;
    let pending_id = pending["order"]["orderId"].as_str().unwrap();
    let ship = json!({"carrierCode": "SF", "carrierName": "顺丰速运", "trackingNo": "SF1001"});
    assert_problem(
        world
            .post_json(
                &format!("/admin/v1/orders/{pending_id}/ship"),
                &staff,
                &ship,
            )
            .await,
        422,
        "ILLEGAL_TRANSITION",
    )
    .await;
    let cancel_pending = format!("/admin/v1/orders/{pending_id}/cancel");
    for (body, field) in [
        (json!({}), "reason"),
        (
            json!({"reason": "CANCEL_REASON_MEMBER_REQUESTED"}),
            "reason",
        ),
        (json!({"reason": "CANCEL_REASON_OTHER"}), "note"),
        (
            json!({"reason": "CANCEL_REASON_OUT_OF_STOCK", "note": "长".repeat(201)}),
            "note",
        ),
    ] {
        let refused = assert_problem(
            world.post_json(&cancel_pending, &staff, &body).await,
            400,
            "INVALID_ARGUMENT",
        )
        .await;
        assert!(refused.to_string().contains(field), "{field}: {refused}");
    }
    let cancelled = json_ok(
        world
            .post_json(
                &cancel_pending,
                &staff,
                &json!({"reason": "CANCEL_REASON_OUT_OF_STOCK"}),
            )
            .await,
    )
    .await;
    assert_eq!(
        cancelled["order"]["status"], "ORDER_STATUS_CANCELLED",
        "{cancelled}"
    );
    assert_eq!(
        cancelled["order"]["cancellation"]["actorKind"],
        "ACTOR_KIND_STAFF"
    );
    // Another tenant's staff find nothing.
    let theirs = world.staff_login(&other).await;
    assert_problem(
        world
            .post_json(&order_path("prepare"), &theirs, &json!({}))
            .await,
        404,
        "ORDER_NOT_FOUND",
    )
    .await;

    let prepared = json_ok(
        world
            .post_json(&order_path("prepare"), &staff, &json!({}))
            .await,
    )
    .await;
    assert_eq!(
        prepared["order"]["status"], "ORDER_STATUS_PREPARING",
        "{prepared}"
    );
    // Preparing again answers the order as is.
    json_ok(
        world
            .post_json(&order_path("prepare"), &staff, &json!({}))
            .await,
    )
    .await;
    // A delivery order is not made ready for pickup.
    assert_problem(
        world
            .post_json(&order_path("ready-for-pickup"), &staff, &json!({}))
            .await,
        422,
        "ILLEGAL_TRANSITION",
    )
    .await;

    for (body, field) in [
        (json!({"trackingNo": "SF1001"}), "carrier_code"),
        (json!({"carrierCode": "SF"}), "tracking_no"),
        (
            json!({"carrierCode": "SF", "trackingNo": "9".repeat(65)}),
            "tracking_no",
        ),
        (
            json!({"carrierCode": "S".repeat(33), "trackingNo": "SF1"}),
            "carrier_code",
        ),
    ] {
        let refused = assert_problem(
            world.post_json(&order_path("ship"), &staff, &body).await,
            400,
            "INVALID_ARGUMENT",
        )
        .await;
        assert!(refused.to_string().contains(field), "{field}: {refused}");
    }
    let shipped = json_ok(world.post_json(&order_path("ship"), &staff, &ship).await).await;
    let order = &shipped["order"];
    assert_eq!(order["status"], "ORDER_STATUS_SHIPPED", "{shipped}");
    assert_eq!(order["shipment"]["trackingNo"], "SF1001", "{shipped}");
    assert_eq!(
        at(&order["autoCompleteAt"]) - at(&order["shipment"]["shippedAt"]),
        7 * DAY_MS,
        "{shipped}"
    );
    // Shipping again: the same parcel answers the order, another one is refused.
    json_ok(world.post_json(&order_path("ship"), &staff, &ship).await).await;
    let other_parcel = json!({"carrierCode": "SF", "trackingNo": "SF2002"});
    assert_problem(
        world
            .post_json(&order_path("ship"), &staff, &other_parcel)
            .await,
        422,
        "ILLEGAL_TRANSITION",
    )
    .await;
    // A shipped order is not cancelled.
    assert_problem(
        world
            .post_json(
                &order_path("cancel"),
                &staff,
                &json!({"reason": "CANCEL_REASON_OUT_OF_STOCK"}),
            )
            .await,
        422,
        "ILLEGAL_TRANSITION",
    )
    .await;

    let correction = json!({"carrierCode": "ZTO", "trackingNo": "ZTO77"});
    let refused = assert_problem(
        world
            .post_json(&order_path("shipment"), &staff, &correction)
            .await,
        400,
        "INVALID_ARGUMENT",
    )
    .await;
    assert!(refused.to_string().contains("note"), "{refused}");
    let corrected = json!({"carrierCode": "ZTO", "trackingNo": "ZTO77", "note": "单号录错"});
    let fixed = json_ok(
        world
            .post_json(&order_path("shipment"), &staff, &corrected)
            .await,
    )
    .await;
    assert_eq!(fixed["order"]["shipment"]["trackingNo"], "ZTO77", "{fixed}");
    assert_eq!(
        fixed["order"]["autoCompleteAt"], order["autoCompleteAt"],
        "{fixed}"
    );

    // The store's order list has it; another tenant's does not.
    let list = json_ok(
        world
            .get(&format!("/admin/v1/orders?storeIds={store}"), Some(&staff))
            .await,
    )
    .await;
    let ids: Vec<&str> = list["orders"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["orderId"].as_str())
        .collect();
    assert!(
        ids.contains(&id.as_str()) && ids.contains(&pending_id),
        "{list}"
    );
    let shipped_only = json_ok(
        world
            .get(
                "/admin/v1/orders?statuses=ORDER_STATUS_SHIPPED",
                Some(&staff),
            )
            .await,
    )
    .await;
    assert_eq!(
        shipped_only["orders"].as_array().unwrap().len(),
        1,
        "{shipped_only}"
    );
    let theirs_list = json_ok(world.get("/admin/v1/orders", Some(&theirs)).await).await;
    assert!(
        theirs_list["orders"].as_array().is_none_or(Vec::is_empty),
        "{theirs_list}"
    );
    assert_problem(
        world
            .get(
                "/admin/v1/orders?createdFrom=2026-12-07T00:00:00Z&createdTo=2026-12-06T00:00:00Z",
                Some(&staff),
            )
            .await,
        400,
        "INVALID_ARGUMENT",
    )
    .await;
    assert_problem(
        world
            .get(
                "/admin/v1/orders?createdFrom=2026-01-01T00:00:00Z&createdTo=2026-12-06T00:00:00Z",
                Some(&staff),
            )
            .await,
        400,
        "INVALID_ARGUMENT",
    )
    .await;

    // The consumer confirms receipt: the after-sales window starts.
    let receive = format!("/api/v1/me/orders/{id}/complete");
    let received = json_ok(world.post_json(&receive, &me.token, &json!({})).await).await;
    let order = &received["order"];
    assert_eq!(order["status"], "ORDER_STATUS_COMPLETED", "{received}");
    assert_eq!(
        at(&order["afterSaleDeadline"]) - at(&order["completedAt"]),
        7 * DAY_MS,
        "{received}"
    );
    let again = json_ok(world.post_json(&receive, &me.token, &json!({})).await).await;
    assert_eq!(again["order"]["completedAt"], order["completedAt"]);
    let read = json_ok(
        world
            .get(&format!("/admin/v1/orders/{id}"), Some(&staff))
            .await,
    )
    .await;
    assert_eq!(
        kinds(&read["order"]),
        [
            "CREATED",
            "PAID",
            "PREPARING",
            "SHIPPED",
            "SHIPMENT_UPDATED",
            "COMPLETED"
        ],
        "{read}"
    );
    // Someone else's order is not theirs to complete.
    let neighbour = enrol(&world, &tenant, "parcel-2").await;
    assert_problem(
        world
            .post_json(&receive, &neighbour.token, &json!({}))
            .await,
        404,
        "ORDER_NOT_FOUND",
    )
    .await;
    for (action, body) in [
        ("prepare", json!({})),
        ("ship", json!({"carrierCode": "SF", "trackingNo": "SF1"})),
        ("ready-for-pickup", json!({})),
        ("complete", json!({})),
        (
            "shipment",
            json!({"carrierCode": "SF", "trackingNo": "SF1", "note": "x"}),
        ),
        ("cancel", json!({"reason": "CANCEL_REASON_OUT_OF_STOCK"})),
    ] {
        let path = format!("/admin/v1/orders/not-an-id/{action}");
        let refused = assert_problem(
            world.post_json(&path, &staff, &body).await,
            400,
            "INVALID_ARGUMENT",
        )
        .await;
        assert!(
            refused.to_string().contains("order_id"),
            "{action}: {refused}"
        );
    }
    world.stop().await;
}
