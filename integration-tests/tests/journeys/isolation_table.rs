//! Tenancy through every catalog route that names a resource: the gateway's own route table
//! drives the test, so a new route with a path parameter fails here until it has a row. The
//! driver (`params`, `send`) serves membership's table too (`isolation_membership.rs`).

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};
use siyu_gateway::routes::{Access, rest_routes};

use crate::catalog::product_with_stock;
use crate::support::{World, json_ok, problem};

/// Path parameters a route of tenant A may name, and the ids of tenant A they take.
fn ids(
    product: &str,
    sku: &str,
    location: &str,
    category: &str,
    transfer: &str,
) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("transfer_id", transfer.to_owned()),
        ("product_id", product.to_owned()),
        ("product.product_id", product.to_owned()),
        ("sku.sku_id", sku.to_owned()),
        ("location_id", location.to_owned()),
        ("location.location_id", location.to_owned()),
        ("store_id", location.to_owned()),
        ("category_id", category.to_owned()),
        ("category.category_id", category.to_owned()),
    ])
}

/// A body that passes validation, so the answer is about the id and not about the body.
fn body_for(path: &str, sku: &str) -> Value {
    let price = json!({"minorUnits": "1000", "currencyCode": "CNY"});
    match path {
        p if p.ends_with("/publish") || p.ends_with("/unpublish") => json!({}),
        p if p.ends_with("/move") => json!({"newParentId": ""}),
        p if p.ends_with("/ship") => json!({"trackingReference": "SF123"}),
        p if p.ends_with("/receive") => json!({}),
        p if p.ends_with("/cancel") => json!({"reason": "isolation"}),
        p if p.ends_with("/skus") => json!({"skus": [{
            "specs": [{"dimension": "颜色", "value": "红色"}], "salePrice": price, "enabled": true
        }]}),
        p if p.ends_with("/assortment") => json!({"skuIds": [sku], "carries": true}),
        p if p.ends_with("/receipts") => {
            json!({"lines": [{"skuId": sku, "quantity": 1}], "reference": "isolation"})
        }
        p if p.ends_with("/adjustments") => {
            json!({"skuId": sku, "delta": 1, "reason": "ADJUST_REASON_COUNT_CORRECTION"})
        }
        p if p.starts_with("/admin/v1/categories/") => {
            json!({"category": {"name": "偷改"}, "updateMask": "name"})
        }
        p if p.starts_with("/admin/v1/products/") => {
            json!({"product": {"title": "偷改"}, "updateMask": "title"})
        }
        p if p.starts_with("/admin/v1/skus/") => {
            json!({"sku": {"barcode": "6901234567892"}, "updateMask": "barcode"})
        }
        p if p.starts_with("/admin/v1/locations/") => {
            json!({"location": {"name": "偷改"}, "updateMask": "name"})
        }
        _ => json!({}),
    }
}

/// The `{field}` parameters of a path template, in order.
pub fn params(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split('}').next())
        .collect()
}

/// Sends `method path` with a bearer `token`, and `body` on POST (with a fresh
/// Idempotency-Key) and PATCH.
pub async fn send(
    world: &World,
    method: &Method,
    path: &str,
    token: &str,
    body: &Value,
) -> reqwest::Response {
    match *method {
        Method::GET => world.get(path, Some(token)).await,
        Method::DELETE => world.delete(path, token).await,
        Method::PATCH => world.patch_json(path, token, body).await,
        _ => world.post_json(path, token, body).await,
    }
}

#[tokio::test]
async fn every_catalog_route_naming_a_resource_is_404_for_another_tenant() {
    let world = World::start().await;
    let a = world.tenant("brand-a").await;
    let b = world.tenant("brand-b").await;
    let staff_a = world.staff_login(&a).await;
    let staff_b = world.staff_login(&b).await;
    let consumer_b = world.consumer_login(&b, "o_isolation").await;
    let consumer_b = consumer_b["accessToken"].as_str().unwrap().to_owned();
    let (product, sku, location) = product_with_stock(&world, &a, &staff_a).await;
    let detail = json_ok(
        world
            .get(&format!("/admin/v1/products/{product}"), Some(&staff_a))
            .await,
    )
    .await;
    let category = detail["product"]["categoryId"].as_str().unwrap().to_owned();
    let transfer = transfer_of(&world, &a, &staff_a, &sku, &location).await;
    let ids = ids(&product, &sku, &location, &category, &transfer);
    // Reservations are made by the orders service over gRPC (no REST route creates one); their
    // isolation is covered by the catalog service's own table test.
    let not_here = ["order_id"];

    let mut checked = Vec::new();
    for route in rest_routes()
        .into_iter()
        .filter(|r| r.rpc.starts_with("siyu.catalog.v1."))
    {
        let Some(&param) = params(route.path).first() else {
            continue;
        };
        if not_here.contains(&param) {
            continue;
        }
        let id = ids
            .get(param)
            .unwrap_or_else(|| panic!("no id of tenant A for {{{param}}} in {}", route.path));
        let path = route.path.replace(&format!("{{{param}}}"), id);
        let token = match route.access {
            Access::Consumer | Access::Optional | Access::Public => consumer_b.clone(),
            Access::Staff(_) => staff_b.clone(),
            // Partner routes naming a resource mirror an admin route already in this table.
            Access::Partner(_) => continue,
        };
        let response = send(
            &world,
            &route.method,
            &path,
            &token,
            &body_for(route.path, &sku),
        )
        .await;
        let (status, body) = problem(response).await;
        assert_eq!(
            status, 404,
            "{} {} answered {status}: {body}",
            route.method, route.path
        );
        checked.push(format!("{} {}", route.method, route.path));
    }
    assert!(checked.len() >= 15, "too few routes checked: {checked:?}");

    // Tenant A's product is untouched by all of that.
    let after = json_ok(
        world
            .get(&format!("/admin/v1/products/{product}"), Some(&staff_a))
            .await,
    )
    .await;
    assert_eq!(after["product"]["title"], detail["product"]["title"]);
    assert_eq!(after["product"]["status"], "PRODUCT_STATUS_ON_SALE");
    let path = format!("/admin/v1/transfers/{transfer}");
    let still = json_ok(world.get(&path, Some(&staff_a)).await).await;
    assert_eq!(still["transfer"]["status"], "TRANSFER_STATUS_CREATED");
    world.stop().await;
}

/// A created transfer of one unit from `from` to a second warehouse of the tenant.
async fn transfer_of(
    world: &World,
    tenant: &crate::support::Tenant,
    staff: &str,
    sku: &str,
    from: &str,
) -> String {
    let second = json!({"location": {
        "kind": "LOCATION_KIND_WAREHOUSE", "name": "华南仓", "orgPath": tenant.root
    }});
    let created = json_ok(world.post_json("/admin/v1/locations", staff, &second).await).await;
    let to = created["location"]["locationId"].as_str().unwrap();
    let transfer = json!({
        "fromLocationId": from, "toLocationId": to, "lines": [{"skuId": sku, "quantity": 1}]
    });
    let created = json_ok(
        world
            .post_json("/admin/v1/transfers", staff, &transfer)
            .await,
    )
    .await;
    created["transfer"]["transferId"]
        .as_str()
        .unwrap()
        .to_owned()
}
