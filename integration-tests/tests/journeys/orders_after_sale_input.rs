//! Every after-sale route refuses bad input with its code and reason, through the gateway: a
//! member's paid order of two units (WeChat Pay in the sandbox), then cases asked for with zero,
//! negative or absurd quantities, a line twice, unspecified kind or reason, an overlong
//! description, more than was bought, on an unpaid order, for an unknown order or line; and
//! decisions, return parcels and reads of malformed or unknown cases.

use serde_json::{Value, json};

use crate::catalog::product_with_stock;
use crate::member_fixtures::enrol;
use crate::orders_checkout::{checkout, fen, input_at, quote, shop};
use crate::orders_payment::{until, wechat_pay};
use crate::support::{World, assert_problem, json_ok};

#[tokio::test]
async fn after_sale_routes_refuse_bad_input_with_their_reason() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (_, sku, _) = product_with_stock(&world, &tenant, &staff).await;
    let store = shop(&world, &tenant, &staff).await;
    let cashier = wechat_pay(&world, &tenant, &staff).await;
    let me = enrol(&world, &tenant, "as-input-1").await;

    // A paid order of two units, and an unpaid one.
    let want = input_at(&store, &sku, 2, &json!({}));
    let payable = fen(&quote(&world, &me.token, &want).await["amounts"]["payable"]);
    let paid = json_ok(checkout(&world, &me.token, "as-paid", &want, payable).await).await;
    let prepay = paid["wechatPayParams"]["package"]
        .as_str()
        .unwrap()
        .strip_prefix("prepay_id=")
        .unwrap()
        .to_owned();
    cashier.pay(&prepay).await.unwrap();
    let order = paid["order"]["orderId"].as_str().unwrap().to_owned();
    until(
        &world,
        &format!("/api/v1/me/orders/{order}"),
        &me.token,
        |o| o["order"]["status"] == "ORDER_STATUS_PAID",
    )
    .await;
    let line = paid["order"]["lines"][0]["lineId"]
        .as_str()
        .unwrap()
        .to_owned();
    let unpaid = json_ok(checkout(&world, &me.token, "as-unpaid", &want, payable).await).await;
    let unpaid_order = unpaid["order"]["orderId"].as_str().unwrap().to_owned();
    let unpaid_line = unpaid["order"]["lines"][0]["lineId"]
        .as_str()
        .unwrap()
        .to_owned();
    let unknown = siyu_core::id::new_string();

    let ask = |order: &str, lines: Value, extra: Value| {
        let mut body = json!({"orderId": order, "kind": "AFTER_SALE_KIND_REFUND_ONLY",
                              "reason": "AFTER_SALE_REASON_CHANGED_MIND", "lines": lines});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let one = |line: &str, quantity: i64| json!([{"orderLineId": line, "quantity": quantity}]);
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            ask(&order, one(&line, 0), json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            ask(&order, one(&line, -1), json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            ask(&order, one(&line, 1_000_000_000), json!({})),
            422,
            "REFUND_EXCEEDS_PAID",
        ),
        (
            ask(&order, one(&line, 3), json!({})),
            422,
            "REFUND_EXCEEDS_PAID",
        ),
        (
            ask(
                &order,
                json!([{"orderLineId": line, "quantity": 1}, {"orderLineId": line, "quantity": 1}]),
                json!({}),
            ),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            ask(
                &order,
                one(&line, 1),
                json!({"kind": "AFTER_SALE_KIND_UNSPECIFIED"}),
            ),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            ask(
                &order,
                one(&line, 1),
                json!({"reason": "AFTER_SALE_REASON_UNSPECIFIED"}),
            ),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            ask(
                &order,
                one(&line, 1),
                json!({"description": "坏".repeat(501)}),
            ),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            ask("not-an-id", one(&line, 1), json!({})),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            ask(&unknown, one(&line, 1), json!({})),
            404,
            "ORDER_NOT_FOUND",
        ),
        (
            ask(&order, one(&unknown, 1), json!({})),
            404,
            "ORDER_LINE_NOT_FOUND",
        ),
        (
            ask(&unpaid_order, one(&unpaid_line, 1), json!({})),
            422,
            "ORDER_NOT_PAID",
        ),
    ];
    for (body, status, reason) in &cases {
        assert_problem(
            world
                .post_json("/api/v1/me/after-sales", &me.token, body)
                .await,
            *status,
            reason,
        )
        .await;
    }
    // The preview refuses the same lines the same way (no reason, kind or description there).
    for (body, status, reason) in cases.iter().take(5) {
        let preview =
            json!({"orderId": body["orderId"], "kind": body["kind"], "lines": body["lines"]});
        assert_problem(
            world
                .post_json("/api/v1/me/after-sale-previews", &me.token, &preview)
                .await,
            *status,
            reason,
        )
        .await;
    }

    // Reads and decisions of malformed or unknown cases.
    for id in ["not-an-id", unknown.as_str()] {
        let (status, reason) = if id == unknown {
            (404, "AFTER_SALE_NOT_FOUND")
        } else {
            (400, "INVALID_ARGUMENT")
        };
        assert_problem(
            world
                .get(&format!("/api/v1/me/after-sales/{id}"), Some(&me.token))
                .await,
            status,
            reason,
        )
        .await;
        for (path, body) in [
            ("approve", json!({"note": "同意"})),
            ("reject", json!({"note": "不同意"})),
            ("confirm-return", json!({})),
        ] {
            assert_problem(
                world
                    .post_json(&format!("/admin/v1/after-sales/{id}/{path}"), &staff, &body)
                    .await,
                status,
                reason,
            )
            .await;
        }
        let parcel = json!({"carrierCode": "SF", "carrierName": "顺丰", "trackingNo": "SF1"});
        assert_problem(
            world
                .post_json(
                    &format!("/api/v1/me/after-sales/{id}/return-shipment"),
                    &me.token,
                    &parcel,
                )
                .await,
            status,
            reason,
        )
        .await;
        assert_problem(
            world
                .post_json(
                    &format!("/api/v1/me/after-sales/{id}/cancel"),
                    &me.token,
                    &json!({}),
                )
                .await,
            status,
            reason,
        )
        .await;
    }
    // A case exists now; its decisions refuse bad bodies before anything else.
    let case = json_ok(
        world
            .post_json(
                "/api/v1/me/after-sales",
                &me.token,
                &ask(&order, one(&line, 1), json!({})),
            )
            .await,
    )
    .await;
    let id = case["afterSale"]["afterSaleId"].as_str().unwrap();
    assert_problem(
        world
            .post_json(
                &format!("/admin/v1/after-sales/{id}/reject"),
                &staff,
                &json!({"note": ""}),
            )
            .await,
        400,
        "INVALID_ARGUMENT",
    )
    .await;
    assert_problem(
        world
            .post_json(
                &format!("/api/v1/me/after-sales/{id}/return-shipment"),
                &me.token,
                &json!({"carrierCode": "", "trackingNo": ""}),
            )
            .await,
        400,
        "INVALID_ARGUMENT",
    )
    .await;
    // The list refuses a malformed order id and an unknown status.
    assert_problem(
        world
            .get("/api/v1/me/after-sales?orderId=not-an-id", Some(&me.token))
            .await,
        400,
        "INVALID_ARGUMENT",
    )
    .await;
    world.stop().await;
}
