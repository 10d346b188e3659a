//! Staff: password login through the gateway, then a staff route served by another service.

use serde_json::json;

use crate::support::{World, assert_problem, json_ok};

#[tokio::test]
async fn staff_login_reaches_identity_and_catalog_admin_routes() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let token = world.staff_login(&tenant).await;

    // Catalog verifies the identity-signed token itself (JWKS through the gateway).
    let locations = json_ok(world.get("/admin/v1/locations", Some(&token)).await).await;
    assert!(
        locations
            .get("locations")
            .is_none_or(|l| l.as_array().unwrap().is_empty())
    );

    // A consumer route refuses a staff token at the gateway.
    let wrong_kind = world.get("/api/v1/sessions", Some(&token)).await;
    assert_problem(wrong_kind, 403, "PERMISSION_DENIED").await;
    world.stop().await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_without_saying_which_part_was_wrong() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    for (login, password) in [("admin", "Wrong-Pass-4242"), ("nobody", "Admin-Pass-4242")] {
        let body = json!({"tenantCode": tenant.code, "loginName": login, "password": password});
        let refused = world
            .post("/admin/v1/auth/login", None, None, &body.to_string())
            .await;
        assert_problem(refused, 401, "INVALID_CREDENTIALS").await;
    }
    world.stop().await;
}
