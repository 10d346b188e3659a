//! Control characters in any field, through every way a field reaches a service — JSON body,
//! query string, path segment — are 400 naming the field on PostgreSQL, never a 500 (its
//! `text` refuses U+0000, which SQLite would store).

use serde_json::json;

use crate::support::{World, assert_problem};

/// The problem's one field violation.
fn field(body: &serde_json::Value) -> &str {
    body["errors"][0]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_nul_anywhere_is_400_naming_the_field() {
    let world = World::start().await;
    let tenant = world.tenant("hostile-a").await;
    let staff = world.staff_login(&tenant).await;

    // A public login, no token: the JSON escape \u0000 in the tenant code.
    let login = r#"{"tenantCode":"de\u0000mo","loginName":"admin","password":"x"}"#;
    let body = assert_problem(
        world.post("/admin/v1/auth/login", None, None, login).await,
        400,
        "INVALID_ARGUMENT",
    )
    .await;
    assert_eq!(field(&body), "tenant_code", "{body}");
    assert_eq!(
        body["errors"][0]["description"],
        "must not contain the control character U+0000"
    );

    // A search query from the query string, as a guest of the tenant's mini-program.
    let search = world
        .http
        .get(world.url("/api/v1/products?query=a%00b"))
        .header("x-siyu-app-id", &tenant.app_id)
        .send()
        .await
        .unwrap();
    let body = assert_problem(search, 400, "INVALID_ARGUMENT").await;
    assert_eq!(field(&body), "query", "{body}");

    // A path segment.
    let path = world.get("/admin/v1/staff/a%00b", Some(&staff)).await;
    let body = assert_problem(path, 400, "INVALID_ARGUMENT").await;
    assert_eq!(field(&body), "staff_id", "{body}");

    // A product title and a SKU code, nested in the body; a C1 control in a category name.
    let product = json!({"product": {
        "title": "T恤\u{0}",
        "skus": [{"skuCode": "ok"}, {"skuCode": "sku\u{0}2"}],
    }});
    let body = assert_problem(
        world
            .post_json("/admin/v1/products", &staff, &product)
            .await,
        400,
        "INVALID_ARGUMENT",
    )
    .await;
    assert_eq!(field(&body), "product.title", "{body}");
    let product =
        json!({"product": {"title": "T恤", "skus": [{"skuCode": "ok"}, {"skuCode": "sku\u{0}2"}]}});
    let body = assert_problem(
        world
            .post_json("/admin/v1/products", &staff, &product)
            .await,
        400,
        "INVALID_ARGUMENT",
    )
    .await;
    assert_eq!(field(&body), "product.skus[1].sku_code", "{body}");
    let category = json!({"category": {"name": "上衣\u{85}"}});
    let body = assert_problem(
        world
            .post_json("/admin/v1/categories", &staff, &category)
            .await,
        400,
        "INVALID_ARGUMENT",
    )
    .await;
    assert_eq!(field(&body), "category.name", "{body}");

    // A consumer's nickname.
    let consumer = world.consumer_login(&tenant, "o_hostile").await;
    let token = consumer["accessToken"].as_str().unwrap();
    let profile = json!({"profile": {"nickname": "小\u{0}明"}, "updateMask": "nickname"});
    let response = world
        .http
        .patch(world.url("/api/v1/me/profile"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(profile.to_string())
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, 400, "INVALID_ARGUMENT").await;
    assert_eq!(field(&body), "profile.nickname", "{body}");
    world.stop().await;
}
