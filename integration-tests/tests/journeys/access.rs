//! Access is declared once, in each RPC's contract, and enforced from it twice: by the gateway
//! on the REST route and by the service on the gRPC call. A staff member holding only the
//! guide role is refused an RPC declared for other roles by both, for identity and catalog.

use serde_json::json;
use siyu_platform::seed::authed;
use siyu_platform::seed::identity::staff_token;
use siyu_proto::catalog::v1 as catalog;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::support::{ADMIN_PASSWORD, World, assert_problem};

const GUIDE_PASSWORD: &str = "Guide-Pass-4242";

/// A guide (role `guide` on the HQ unit) of `tenant`, logged in; returns the access token.
async fn guide_token(world: &World, tenant: &crate::support::Tenant, admin: &str) -> String {
    let channel = world.identity_channel();
    let request = pb::CreateStaffRequest {
        staff: Some(pb::Staff {
            login_name: "guide-1".into(),
            display_name: "导购".into(),
            primary_org_unit_id: tenant.root.clone(),
            ..Default::default()
        }),
        initial_password: ADMIN_PASSWORD.into(),
        roles: vec![pb::RoleGrant {
            role: pb::StaffRole::Guide as i32,
            org_unit_id: tenant.root.clone(),
            ..Default::default()
        }],
    };
    pb::staff_service_client::StaffServiceClient::new(channel.clone())
        .create_staff(authed(request, admin, Some("create-guide-1")))
        .await
        .unwrap();
    staff_token(
        &channel,
        &tenant.code,
        "guide-1",
        ADMIN_PASSWORD,
        GUIDE_PASSWORD,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_role_the_contract_does_not_name_is_refused_by_gateway_and_service() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let admin = world.staff_login(&tenant).await;
    let guide = guide_token(&world, &tenant, &admin).await;

    // Catalog: CreateCategory admits tenant_admin and hq_operator.
    let body = json!({"category": {"name": "口红"}});
    let refused = world.post_json("/admin/v1/categories", &guide, &body).await;
    assert_problem(refused, 403, "PERMISSION_DENIED").await;
    let direct =
        catalog::catalog_service_client::CatalogServiceClient::new(world.catalog_channel())
            .create_category(authed(
                catalog::CreateCategoryRequest::default(),
                &guide,
                None,
            ))
            .await
            .unwrap_err();
    assert_eq!(direct.code(), Code::PermissionDenied);

    // Identity: ListPartnerClients admits tenant_admin and auditor.
    let refused = world.get("/admin/v1/partner-clients", Some(&guide)).await;
    assert_problem(refused, 403, "PERMISSION_DENIED").await;
    let direct = pb::partner_service_client::PartnerServiceClient::new(world.identity_channel())
        .list_partner_clients(authed(
            pb::ListPartnerClientsRequest::default(),
            &guide,
            None,
        ))
        .await
        .unwrap_err();
    assert_eq!(direct.code(), Code::PermissionDenied);

    // The roles the contract names are admitted by both.
    let listed = world.get("/admin/v1/partner-clients", Some(&admin)).await;
    assert_eq!(listed.status(), 200);
    world.stop().await;
}
