//! Bad input on every membership route, driven by the gateway's route table: a body route
//! refuses a field its message lacks (400 UNKNOWN_FIELD naming it) and a body that is not a
//! JSON object (400 MALFORMED_JSON); a query route refuses an unknown query parameter. None of
//! them reaches the service or answers 5xx, and a new route is covered without an edit.

use reqwest::Method;
use siyu_gateway::routes::{Access, Body, rest_routes};
use siyu_proto::identity::v1::StaffRole;

use crate::isolation_table::params;
use crate::support::{World, assert_problem};

#[tokio::test]
async fn every_membership_route_refuses_unknown_fields_and_non_object_bodies() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let admin = world.staff_login(&tenant).await;
    let roles = [
        StaffRole::TenantAdmin,
        StaffRole::HqOperator,
        StaffRole::StoreManager,
        StaffRole::Guide,
        StaffRole::Auditor,
        StaffRole::CustomerService,
    ];
    let (_, staff) = world
        .staff_with_roles(&tenant, &admin, "everything", &roles)
        .await;
    let consumer = world.consumer_login(&tenant, "o_typo").await;
    let consumer = consumer["accessToken"].as_str().unwrap().to_owned();

    let mut checked = 0;
    for route in rest_routes()
        .into_iter()
        .filter(|r| r.rpc.starts_with("siyu.membership.v1."))
    {
        let token = match route.access {
            Access::Consumer | Access::Optional | Access::Public => &consumer,
            Access::Staff(_) => &staff,
            // The open routes transcode the same messages as their admin twins.
            Access::Partner(_) => continue,
        };
        let mut path = route.path.to_owned();
        for param in params(route.path) {
            path = path.replace(&format!("{{{param}}}"), &siyu_core::id::new_string());
        }
        let what = format!("{} {}", route.method, route.path);
        match route.body {
            Body::All => {
                let key = siyu_core::id::new_string();
                let typo = world
                    .http
                    .request(route.method.clone(), world.url(&path))
                    .bearer_auth(token)
                    .header("idempotency-key", &key)
                    .header("content-type", "application/json")
                    .body(r#"{"noSuchField": 1}"#)
                    .send()
                    .await
                    .unwrap();
                let body = assert_problem(typo, 400, "UNKNOWN_FIELD").await;
                assert!(body.to_string().contains("noSuchField"), "{what}: {body}");
                let list = world
                    .http
                    .request(route.method.clone(), world.url(&path))
                    .bearer_auth(token)
                    .header("idempotency-key", siyu_core::id::new_string())
                    .header("content-type", "application/json")
                    .body("[1, 2]")
                    .send()
                    .await
                    .unwrap();
                assert_problem(list, 400, "MALFORMED_JSON").await;
            }
            Body::None => {
                let typo = world
                    .http
                    .request(
                        route.method.clone(),
                        world.url(&format!("{path}?noSuchField=1")),
                    )
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                let body = assert_problem(typo, 400, "UNKNOWN_FIELD").await;
                assert!(body.to_string().contains("noSuchField"), "{what}: {body}");
            }
            Body::Raw(_) => continue,
        }
        assert!(
            [Method::GET, Method::POST, Method::PATCH, Method::DELETE].contains(&route.method),
            "{what}"
        );
        checked += 1;
    }
    assert!(checked >= 100, "only {checked} membership routes checked");
    world.stop().await;
}
