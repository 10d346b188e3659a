//! Catalog through the gateway: staff build a product and its stock with `/admin/v1`; consumers
//! find it with `/api/v1`.

use serde_json::{Value, json};

use crate::support::{Tenant, World, json_ok};

/// A published two-SKU product and a warehouse holding 7 of its first SKU, created by the
/// tenant admin through `/admin/v1`; returns (product id, first SKU id, warehouse id).
pub async fn product_with_stock(
    world: &World,
    tenant: &Tenant,
    staff: &str,
) -> (String, String, String) {
    let category = json_ok(
        world
            .post_json(
                "/admin/v1/categories",
                staff,
                &json!({"category": {"name": "上衣"}}),
            )
            .await,
    )
    .await;
    let category_id = category["category"]["categoryId"].as_str().unwrap();
    let price = |fen: i64| json!({"minorUnits": fen.to_string(), "currencyCode": "CNY"});
    let product = json!({"product": {
        "title": "纯棉圆领T恤",
        "categoryId": category_id,
        "media": [{"kind": "MEDIA_KIND_IMAGE", "url": "https://cdn.example/t.jpg"}],
        "specDimensions": [{"name": "颜色", "values": ["黑色", "米白"]}],
        "skus": [
            {"specs": [{"dimension": "颜色", "value": "黑色"}], "salePrice": price(9900), "enabled": true},
            {"specs": [{"dimension": "颜色", "value": "米白"}], "salePrice": price(9900), "enabled": true}
        ]
    }});
    let created = json_ok(world.post_json("/admin/v1/products", staff, &product).await).await;
    let product_id = created["product"]["productId"].as_str().unwrap().to_owned();
    let sku_id = created["product"]["skus"][0]["skuId"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/admin/v1/products/{product_id}/publish");
    let published = json_ok(world.post_json(&path, staff, &json!({})).await).await;
    assert_eq!(published["product"]["status"], "PRODUCT_STATUS_ON_SALE");

    let warehouse = json!({"location": {
        "kind": "LOCATION_KIND_WAREHOUSE", "name": "华东仓", "orgPath": tenant.root
    }});
    let location = json_ok(
        world
            .post_json("/admin/v1/locations", staff, &warehouse)
            .await,
    )
    .await;
    let location_id = location["location"]["locationId"]
        .as_str()
        .unwrap()
        .to_owned();
    let receipt = json!({"lines": [{"skuId": sku_id, "quantity": 7}], "reference": "po-1"});
    let path = format!("/admin/v1/locations/{location_id}/receipts");
    json_ok(world.post_json(&path, staff, &receipt).await).await;
    (product_id, sku_id, location_id)
}

#[tokio::test]
async fn staff_create_a_product_and_receive_stock_through_the_gateway() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (product_id, sku_id, location_id) = product_with_stock(&world, &tenant, &staff).await;

    let path = format!("/admin/v1/products/{product_id}");
    let product = json_ok(world.get(&path, Some(&staff)).await).await;
    assert_eq!(product["product"]["skus"].as_array().unwrap().len(), 2);
    let query = json!({"skuIds": [sku_id], "locationIds": [location_id]});
    let levels = json_ok(
        world
            .post(
                "/admin/v1/stock/levels",
                Some(&staff),
                None,
                &query.to_string(),
            )
            .await,
    )
    .await;
    let level: &Value = &levels["levels"][0];
    assert_eq!(
        (level["onHand"].as_i64(), level["available"].as_i64()),
        (Some(7), Some(7)),
        "{levels}"
    );
    world.stop().await;
}

#[tokio::test]
async fn a_consumer_searches_and_reads_the_product_detail() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (product_id, _, _) = product_with_stock(&world, &tenant, &staff).await;
    let consumer = world.consumer_login(&tenant, "o_shopper").await;
    let token = consumer["accessToken"].as_str().unwrap();

    let found = json_ok(world.get("/api/v1/products?query=T恤", Some(token)).await).await;
    assert!(found.to_string().contains(&product_id), "{found}");
    let path = format!("/api/v1/products/{product_id}");
    let detail = json_ok(world.get(&path, Some(token)).await).await;
    assert!(detail.to_string().contains("纯棉圆领T恤"), "{detail}");
    world.stop().await;
}

#[tokio::test]
async fn a_guest_browses_the_store_of_a_mini_program_before_logging_in() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let (product_id, _, _) = product_with_stock(&world, &tenant, &staff).await;
    let other = world.tenant("brand-b").await;

    // The mini-program names its app (a header, or the Referer WeChat sets on every request).
    let guest = |path: String, app: &str| {
        world
            .http
            .get(world.url(&path))
            .header("x-siyu-app-id", app.to_owned())
            .send()
    };
    let found = json_ok(
        guest("/api/v1/products?query=T恤".into(), &tenant.app_id)
            .await
            .unwrap(),
    )
    .await;
    assert!(found.to_string().contains(&product_id), "{found}");
    let referer = format!(
        "https://servicewechat.com/{}/7/page-frame.html",
        tenant.app_id
    );
    let detail = world
        .http
        .get(world.url(&format!("/api/v1/products/{product_id}")))
        .header("referer", referer)
        .send()
        .await
        .unwrap();
    let detail = json_ok(detail).await;
    assert!(detail.to_string().contains("纯棉圆领T恤"), "{detail}");
    json_ok(
        guest("/api/v1/categories".into(), &tenant.app_id)
            .await
            .unwrap(),
    )
    .await;

    // Another tenant's app shows that tenant's store: the product is not there.
    let elsewhere = guest(format!("/api/v1/products/{product_id}"), &other.app_id)
        .await
        .unwrap();
    crate::support::assert_problem(elsewhere, 404, "PRODUCT_NOT_FOUND").await;
    // Without an app there is no store to show.
    let nowhere = world.get("/api/v1/products?query=T恤", None).await;
    crate::support::assert_problem(nowhere, 400, "APP_ID_REQUIRED").await;
    world.stop().await;
}
