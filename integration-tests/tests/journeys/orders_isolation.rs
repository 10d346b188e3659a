//! Tenancy through every orders and payments route that names a resource, driven by the
//! gateway's route table: tenant A owns a paid order with a cart line, a payment, an after-sale
//! case and its refund; tenant B's consumer, staff (holding every role) and partner (holding
//! every orders scope) name A's ids on every route and get the not-found answer of the id's
//! kind. A new route with a parameter fails here until its parameter has a row; a route whose
//! service is not built yet is listed as such, and the list is checked too.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use siyu_gateway::routes::{Access, rest_routes};
use siyu_proto::identity::v1 as idpb;

use crate::catalog::product_with_stock;
use crate::isolation_table::{params, send};
use crate::member_fixtures::enrol;
use crate::orders_checkout::{checkout, fen, input_at, quote, shop};
use crate::orders_payment::{until, wechat_pay};
use crate::support::{World, json_ok};

/// Every role, so no staff route refuses tenant B's staff for their role.
const ALL_ROLES: [idpb::StaffRole; 6] = [
    idpb::StaffRole::TenantAdmin,
    idpb::StaffRole::HqOperator,
    idpb::StaffRole::StoreManager,
    idpb::StaffRole::Guide,
    idpb::StaffRole::Auditor,
    idpb::StaffRole::CustomerService,
];

/// Routes whose service is not built yet (they answer 501): none.
const NOT_BUILT: [&str; 0] = [];

/// The not-found reason of the id a route names first.
fn not_found(param: &str) -> &'static str {
    match param {
        "line_id" => "CART_LINE_NOT_FOUND",
        "order_id" | "order_no" => "ORDER_NOT_FOUND",
        "payment_id" => "PAYMENT_NOT_FOUND",
        "after_sale_id" => "AFTER_SALE_NOT_FOUND",
        "refund_id" => "REFUND_NOT_FOUND",
        "bill_import_id" => "BILL_IMPORT_NOT_FOUND",
        "run_id" => "RECONCILIATION_RUN_NOT_FOUND",
        "mismatch_id" => "MISMATCH_NOT_FOUND",
        other => panic!("no not-found reason for {{{other}}}"),
    }
}

/// A body that passes validation, so the answer is about the id and not about the body.
fn body_for(access: &Access, path: &str) -> Value {
    match path {
        p if p.ends_with("/quantity") => json!({"quantity": 2}),
        p if p.ends_with("/orders/{order_id}/cancel") && matches!(access, Access::Consumer) => {
            json!({"note": "不要了"})
        }
        p if p.ends_with("/orders/{order_id}/cancel") => {
            json!({"reason": "CANCEL_REASON_CUSTOMER_REQUEST", "note": "偷改"})
        }
        p if p.ends_with("/ship") => {
            json!({"carrierCode": "SF", "carrierName": "顺丰", "trackingNo": "SF100"})
        }
        p if p.ends_with("/shipment") => {
            json!({"carrierCode": "SF", "carrierName": "顺丰", "trackingNo": "SF100", "note": "改单号"})
        }
        p if p.ends_with("/return-shipment") => {
            json!({"carrierCode": "SF", "carrierName": "顺丰", "trackingNo": "SF200"})
        }
        p if p.ends_with("/approve") || p.ends_with("/reject") => json!({"note": "偷改"}),
        p if p.ends_with("/resolve") => {
            json!({"resolution": "MISMATCH_RESOLUTION_ACCEPTED", "note": "偷改"})
        }
        p if p.ends_with("/close") => json!({"reason": "偷改"}),
        p if p.ends_with("/retry") => json!({"note": "偷改"}),
        _ => json!({}),
    }
}

#[tokio::test]
async fn every_orders_route_naming_a_resource_is_not_found_for_another_tenant() {
    let world = World::start().await;
    let a = world.tenant("brand-a").await;
    let b = world.tenant("brand-b").await;
    let staff_a = world.staff_login(&a).await;
    let (_, sku, _) = product_with_stock(&world, &a, &staff_a).await;
    let store = shop(&world, &a, &staff_a).await;
    let cashier = wechat_pay(&world, &a, &staff_a).await;

    // Tenant A: a cart line, a paid order of two units, a refund of one of them.
    let alice = enrol(&world, &a, "o_alice").await;
    let line = json_ok(
        world
            .post_json(
                "/api/v1/me/cart/lines",
                &alice.token,
                &json!({"skuId": sku, "quantity": 1}),
            )
            .await,
    )
    .await["lineId"]
        .as_str()
        .unwrap()
        .to_owned();
    let want = input_at(&store, &sku, 2, &json!({}));
    let payable = fen(&quote(&world, &alice.token, &want).await["amounts"]["payable"]);
    let placed = json_ok(checkout(&world, &alice.token, "iso-1", &want, payable).await).await;
    let prepay = placed["wechatPayParams"]["package"]
        .as_str()
        .unwrap()
        .strip_prefix("prepay_id=")
        .unwrap()
        .to_owned();
    let order_id = placed["order"]["orderId"].as_str().unwrap().to_owned();
    let order_no = placed["order"]["orderNo"].as_str().unwrap().to_owned();
    let order_line = placed["order"]["lines"][0]["lineId"]
        .as_str()
        .unwrap()
        .to_owned();
    let payment_id = placed["paymentId"].as_str().unwrap().to_owned();
    cashier.pay(&prepay).await.unwrap();
    until(
        &world,
        &format!("/api/v1/me/orders/{order_id}"),
        &alice.token,
        |o| o["order"]["status"] == "ORDER_STATUS_PAID",
    )
    .await;
    let ask = json!({"orderId": order_id, "kind": "AFTER_SALE_KIND_REFUND_ONLY",
                     "lines": [{"orderLineId": order_line, "quantity": 1}],
                     "reason": "AFTER_SALE_REASON_CHANGED_MIND"});
    let case = json_ok(
        world
            .post_json("/api/v1/me/after-sales", &alice.token, &ask)
            .await,
    )
    .await;
    let after_sale_id = case["afterSale"]["afterSaleId"]
        .as_str()
        .unwrap()
        .to_owned();
    let refund_id = case["afterSale"]["refundId"].as_str().unwrap().to_owned();
    // A reconciled day with an open mismatch.
    let day = crate::orders_reconciliation::reconciled(&world, &a, &staff_a, "ISO-OUTSIDE").await;
    let id_of = |param: &str| -> String {
        match param {
            "line_id" => line.clone(),
            "order_id" => order_id.clone(),
            "order_no" => order_no.clone(),
            "payment_id" => payment_id.clone(),
            "after_sale_id" => after_sale_id.clone(),
            "refund_id" => refund_id.clone(),
            "bill_import_id" => day.bill_import_id.clone(),
            "run_id" => day.run_id.clone(),
            "mismatch_id" => day.mismatch_id.clone(),
            other => siyu_core::id::new_string() + other,
        }
    };

    // Tenant B's consumer, all-role staff and all-scope partner.
    let admin_b = world.staff_login(&b).await;
    let (_, staff_b) = world
        .staff_with_roles(&b, &admin_b, "everything-b", &ALL_ROLES)
        .await;
    let bob = enrol(&world, &b, "o_bob").await;
    let scopes = [
        "orders.read",
        "orders.write",
        "aftersales.write",
        "payments.read",
    ];
    let partner_b =
        crate::membership_partner::partner_token(&world, &admin_b, &scopes, &scopes.join(" "))
            .await;

    let mut checked = Vec::new();
    let mut wrong = Vec::new();
    let mut not_built = BTreeSet::new();
    for route in rest_routes()
        .into_iter()
        .filter(|r| r.rpc.starts_with("siyu.orders.v1.") || r.rpc.starts_with("siyu.payments.v1."))
    {
        let names = params(route.path);
        let Some(&first) = names.first() else {
            continue;
        };
        // The PSP's raw callback names a merchant route, not a resource of a tenant.
        if first == "route_key" {
            continue;
        }
        let what = format!("{} {}", route.method, route.path);
        let mut path = route.path.to_owned();
        for param in &names {
            path = path.replace(&format!("{{{param}}}"), &id_of(param));
        }
        let token = match route.access {
            Access::Consumer | Access::Optional | Access::Public => &bob.token,
            Access::Staff(_) => &staff_b,
            Access::Partner(_) => &partner_b,
        };
        let body = body_for(&route.access, route.path);
        let response = send(&world, &route.method, &path, token, &body).await;
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status == 501 {
            not_built.insert(what.clone());
            continue;
        }
        // A list filtered by another tenant's order answers nothing of it.
        if route.rpc.ends_with("/ListRefunds") {
            let text = answer.to_string();
            if status != 200 || text.contains(&order_id) || text.contains(&refund_id) {
                wrong.push(format!(
                    "{what} answered {status} {answer} (expected nothing of A)"
                ));
            }
            checked.push(what);
            continue;
        }
        let expected = not_found(first);
        if (status, answer["reason"].as_str()) != (404, Some(expected)) {
            wrong.push(format!(
                "{what} answered {status} {answer} (expected 404 {expected})"
            ));
        }
        checked.push(what);
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    let expected: BTreeSet<String> = NOT_BUILT.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(not_built, expected, "routes answering 501");
    assert!(checked.len() >= 40, "too few routes checked: {checked:?}");

    // Tenant A's order is untouched by all of that.
    let order = json_ok(
        world
            .get(&format!("/api/v1/me/orders/{order_id}"), Some(&alice.token))
            .await,
    )
    .await;
    assert!(order["order"]["shipment"].is_null(), "{order}");
    assert_ne!(
        order["order"]["status"], "ORDER_STATUS_CANCELLED",
        "{order}"
    );
    world.stop().await;
}
