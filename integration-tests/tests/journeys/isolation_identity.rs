//! Tenancy through every identity route that names a resource: the gateway's own route table
//! drives the test, so a new identity route with a path parameter fails here until it has an
//! id of tenant A to aim at.

use reqwest::Method;
use serde_json::{Value, json};
use siyu_gateway::routes::{Access, Route, rest_routes};

use siyu_platform::seed::authed;
use siyu_platform::seed::identity::staff_token;
use siyu_proto::identity::v1 as pb;

use crate::identity_ids::identity_ids;
use crate::support::{World, problem};

/// Routes that name something on purpose across tenants, and why.
const CROSS_TENANT_BY_DESIGN: &[&str] = &[
    // Login needs the tenant of an app before there is any token: public by design.
    "/api/v1/apps/{app_id}/tenant",
];

/// Platform-only routes: a tenant admin is refused whatever id it names, so the answer
/// reveals nothing about tenant A.
const PLATFORM_ONLY: &[&str] = &["/admin/v1/tenants/{tenant.tenant_id}"];

/// A body that passes validation, so the answer is about the id and not about the body
/// (etags are made up: a record that is not found has none to compare).
fn body_for(route: &Route, other_root: &str) -> Value {
    let patch = route.method == Method::PATCH;
    match route.path {
        p if p.ends_with("/move") => json!({"newParentId": other_root, "reason": "isolation"}),
        p if p.ends_with("/roles") => {
            json!({"role": "STAFF_ROLE_GUIDE", "orgUnitId": other_root})
        }
        p if p.ends_with("/block") => json!({"blocked": true, "reason": "isolation check"}),
        p if p.ends_with("/identities") => {
            json!({"kind": "IDENTITY_KIND_MEMBER_CARD_NO", "value": "CARD-ISO-1"})
        }
        p if p.ends_with("/consents") => json!({
            "kind": "CONSENT_KIND_MARKETING", "channel": "CONSENT_CHANNEL_SMS",
            "version": "2026-01", "granted": true
        }),
        p if [
            "/reveal-phone",
            "/reverse",
            "/erase",
            "/revoke",
            "/reset-password",
        ]
        .iter()
        .any(|s| p.ends_with(s))
            || (p.starts_with("/admin/v1/staff/") && p.ends_with("able")) =>
        {
            json!({"reason": "isolation check"})
        }
        p if patch && p.starts_with("/admin/v1/tenants/") => {
            json!({"tenant": {"name": "偷改"}, "updateMask": "name", "reason": "isolation"})
        }
        p if patch && p.starts_with("/admin/v1/org-units/") => {
            json!({"orgUnit": {"name": "偷改", "etag": "1"}, "updateMask": "name"})
        }
        p if patch && p.starts_with("/admin/v1/staff/") => {
            json!({"staff": {"displayName": "偷改", "etag": "1"}, "updateMask": "displayName"})
        }
        p if patch && p.starts_with("/admin/v1/partner-clients/") => {
            json!({"client": {"name": "偷改", "etag": "1"}, "updateMask": "name"})
        }
        p if patch && p.starts_with("/admin/v1/users/") => {
            json!({"profile": {"nickname": "偷改"}, "updateMask": "nickname"})
        }
        _ => json!({}),
    }
}

#[tokio::test]
async fn every_identity_route_naming_a_resource_is_404_for_another_tenant() {
    let world = World::start().await;
    let a = world.tenant("iso-a").await;
    let b = world.tenant("iso-b").await;
    let admin_a = world.staff_login(&a).await;
    let admin_b = world.staff_login(&b).await;
    let consumer_b = world.consumer_login(&b, "o_iso_b").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let care_b = customer_service(&world, &b, &admin_b).await;
    let ids = identity_ids(&world, &a, &admin_a).await;

    let mut checked = Vec::new();
    for route in rest_routes()
        .into_iter()
        .filter(|r| r.rpc.starts_with("siyu.identity.v1.") && r.path.contains('{'))
    {
        if CROSS_TENANT_BY_DESIGN.contains(&route.path) {
            continue;
        }
        let mut path = route.path.to_owned();
        for param in params(route.path) {
            let id = ids
                .get(param.as_str())
                .unwrap_or_else(|| panic!("no id of tenant A for {{{param}}} in {}", route.path));
            path = path.replace(&format!("{{{param}}}"), id);
        }
        let token = match route.access {
            Access::Consumer | Access::Optional | Access::Public => consumer_b.clone(),
            Access::Staff(roles) if roles.is_empty() || roles.contains(&"tenant_admin") => {
                admin_b.clone()
            }
            Access::Staff(_) => care_b.clone(),
            // Partner routes naming a resource mirror an admin route already in this table.
            Access::Partner(_) => continue,
        };
        let body = body_for(&route, &b.root);
        let request = world
            .http
            .request(route.method.clone(), world.url(&path))
            .bearer_auth(&token);
        let request = match route.method {
            Method::GET | Method::DELETE => request,
            _ => request
                .header("idempotency-key", siyu_core::id::new_string())
                .json(&body),
        };
        let (status, body) = problem(request.send().await.unwrap()).await;
        let expected = if PLATFORM_ONLY.contains(&route.path) {
            403
        } else {
            404
        };
        assert_eq!(
            status, expected,
            "{} {} answered {status}: {body}",
            route.method, route.path
        );
        checked.push(format!("{} {}", route.method, route.path));
    }
    assert!(checked.len() >= 40, "too few routes checked: {checked:?}");

    // Tenant A's guide and client are untouched by all of that.
    let staff = ids["staff_id"].clone();
    let guide = world
        .get(&format!("/admin/v1/staff/{staff}"), Some(&admin_a))
        .await;
    let guide: Value = guide.json().await.unwrap();
    assert_eq!(guide["staff"]["status"], "STAFF_STATUS_ACTIVE");
    assert_eq!(guide["staff"]["displayName"], "导购");
    world.stop().await;
}

/// A customer-service account on tenant B's root, logged in (for routes a tenant admin does
/// not call, such as recording consent given in store).
async fn customer_service(world: &World, tenant: &crate::support::Tenant, admin: &str) -> String {
    let mut staff = pb::staff_service_client::StaffServiceClient::new(world.identity_channel());
    staff
        .create_staff(authed(
            pb::CreateStaffRequest {
                staff: Some(pb::Staff {
                    login_name: "care".into(),
                    display_name: "客服".into(),
                    primary_org_unit_id: tenant.root.clone(),
                    ..Default::default()
                }),
                initial_password: "Service-Desk-Init-42".into(),
                roles: vec![pb::RoleGrant {
                    role: pb::StaffRole::CustomerService as i32,
                    org_unit_id: tenant.root.clone(),
                    ..Default::default()
                }],
            },
            admin,
            None,
        ))
        .await
        .unwrap();
    staff_token(
        &world.identity_channel(),
        &tenant.code,
        "care",
        "Service-Desk-Init-42",
        "Service-Desk-Next-4242",
    )
    .await
    .unwrap()
}

/// The `{param}` names of a path template, in order.
fn params(path: &str) -> Vec<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split('}').next())
        .map(str::to_owned)
        .collect()
}
