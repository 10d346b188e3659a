//! Tenancy through REST: a principal of tenant B gets 404 for tenant A's resources.

use serde_json::json;

use crate::catalog::product_with_stock;
use crate::support::{World, assert_problem, json_ok};

#[tokio::test]
async fn a_consumer_of_another_tenant_cannot_revoke_a_session() {
    let world = World::start().await;
    let a = world.tenant("brand-a").await;
    let b = world.tenant("brand-b").await;
    let alice = world.consumer_login(&a, "o_same_openid").await;
    // The same openid in another tenant's app is another user.
    let mallory = world.consumer_login(&b, "o_same_openid").await;

    let path = format!(
        "/api/v1/sessions/{}/revoke",
        alice["sessionId"].as_str().unwrap()
    );
    let refused = world
        .post_json(&path, mallory["accessToken"].as_str().unwrap(), &json!({}))
        .await;
    assert_problem(refused, 404, "SESSION_NOT_FOUND").await;
    // Alice's session is untouched.
    json_ok(
        world
            .get("/api/v1/sessions", alice["accessToken"].as_str())
            .await,
    )
    .await;
    world.stop().await;
}

#[tokio::test]
async fn staff_of_another_tenant_get_404_for_products_and_locations() {
    let world = World::start().await;
    let a = world.tenant("brand-a").await;
    let b = world.tenant("brand-b").await;
    let staff_a = world.staff_login(&a).await;
    let staff_b = world.staff_login(&b).await;
    let (product, sku, location) = product_with_stock(&world, &a, &staff_a).await;

    for path in [
        format!("/admin/v1/products/{product}"),
        format!("/admin/v1/locations/{location}"),
    ] {
        let (status, body) = crate::support::problem(world.get(&path, Some(&staff_b)).await).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let receipt = json!({"lines": [{"skuId": sku, "quantity": 1}], "reference": "steal"});
    let path = format!("/admin/v1/locations/{location}/receipts");
    let (status, body) =
        crate::support::problem(world.post_json(&path, &staff_b, &receipt).await).await;
    assert_eq!(status, 404, "{body}");
    // A consumer of tenant B cannot read tenant A's product either.
    let consumer_b = world.consumer_login(&b, "o_browser").await;
    let path = format!("/api/v1/products/{product}");
    let (status, body) =
        crate::support::problem(world.get(&path, consumer_b["accessToken"].as_str()).await).await;
    assert_eq!(status, 404, "{body}");
    // Tenant A still sees its own.
    json_ok(
        world
            .get(&format!("/admin/v1/products/{product}"), Some(&staff_a))
            .await,
    )
    .await;
    world.stop().await;
}
