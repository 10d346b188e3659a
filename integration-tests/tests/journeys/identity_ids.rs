//! One of every identity resource a REST route can name, created in one tenant: the ids the
//! route-table-driven isolation test aims at from another tenant.

use std::collections::BTreeMap;

use serde_json::Value;
use siyu_platform::seed::authed;
use siyu_proto::common::v1 as common;
use siyu_proto::identity::v1 as pb;

use crate::support::{Tenant, World, claims, json_ok};

/// Path parameter → the id of that kind in the tenant.
pub type Ids = BTreeMap<&'static str, String>;

/// Creates a store, a guide with a code, a partner client, two consumers merged into one (the
/// kept one with an export), and reads an audit entry; returns the ids by path parameter.
pub async fn identity_ids(world: &World, tenant: &Tenant, admin: &str) -> Ids {
    let channel = world.identity_channel();
    let mut org = pb::org_service_client::OrgServiceClient::new(channel.clone());
    let mut staff = pb::staff_service_client::StaffServiceClient::new(channel.clone());
    let mut partners = pb::partner_service_client::PartnerServiceClient::new(channel.clone());
    let mut users = pb::user_service_client::UserServiceClient::new(channel.clone());
    let mut audit = pb::audit_service_client::AuditServiceClient::new(channel);

    let store = org
        .create_org_unit(authed(store_request(&tenant.root), admin, None))
        .await
        .unwrap()
        .into_inner()
        .org_unit
        .unwrap()
        .org_unit_id;
    let guide = staff
        .create_staff(authed(
            pb::CreateStaffRequest {
                staff: Some(pb::Staff {
                    login_name: "guide-iso".into(),
                    display_name: "导购".into(),
                    primary_org_unit_id: store.clone(),
                    ..Default::default()
                }),
                initial_password: "Guide-Pass-4242".into(),
                roles: vec![pb::RoleGrant {
                    role: pb::StaffRole::Guide as i32,
                    org_unit_id: store.clone(),
                    ..Default::default()
                }],
            },
            admin,
            None,
        ))
        .await
        .unwrap()
        .into_inner()
        .staff
        .unwrap();
    let grant = guide.roles[0].grant_id.clone();
    let code = staff
        .issue_guide_code(authed(
            pb::IssueGuideCodeRequest {
                staff_id: guide.staff_id.clone(),
                store_id: store.clone(),
                grace_seconds: 0,
            },
            admin,
            None,
        ))
        .await
        .unwrap()
        .into_inner()
        .guide_code
        .unwrap()
        .code;
    let client = partners
        .create_partner_client(authed(
            pb::CreatePartnerClientRequest {
                client: Some(pb::PartnerClient {
                    name: "ERP".into(),
                    scopes: vec!["catalog.read".into()],
                    ..Default::default()
                }),
            },
            admin,
            None,
        ))
        .await
        .unwrap()
        .into_inner()
        .client
        .unwrap()
        .client_id;

    // Two accounts of one person, one per mini-program of the tenant (two openids of one app
    // would be two people, and refuse to merge).
    let older = world.consumer_login(tenant, "o_iso_older").await;
    let second_app = Tenant {
        app_id: second_app(world, admin).await,
        ..tenant.clone()
    };
    let younger = world.consumer_login(&second_app, "o_iso_younger").await;
    let user = sub(&older);
    let merge = users
        .merge_users(authed(
            pb::MergeUsersRequest {
                user_id_a: user.clone(),
                user_id_b: sub(&younger),
                reason: "one person, two accounts".into(),
            },
            admin,
            None,
        ))
        .await
        .unwrap()
        .into_inner()
        .merge
        .unwrap()
        .merge_id;
    let identity = users
        .list_linked_identities(authed(
            pb::ListLinkedIdentitiesRequest {
                user_id: user.clone(),
            },
            admin,
            None,
        ))
        .await
        .unwrap()
        .into_inner()
        .identities[0]
        .identity_id
        .clone();
    // The merge revoked the younger user's sessions, not the kept one's.
    let consumer = older["accessToken"].as_str().unwrap();
    let export = json_ok(
        world
            .post_json("/api/v1/me/exports", consumer, &serde_json::json!({}))
            .await,
    )
    .await["export"]["exportId"]
        .as_str()
        .unwrap()
        .to_owned();
    let entry = audit
        .list_audit_entries(authed(pb::ListAuditEntriesRequest::default(), admin, None))
        .await
        .unwrap()
        .into_inner()
        .entries[0]
        .entry_id
        .clone();

    let session = older["sessionId"].as_str().unwrap().to_owned();
    BTreeMap::from([
        ("app_id", tenant.app_id.clone()),
        ("tenant_id", tenant.id.clone()),
        ("tenant.tenant_id", tenant.id.clone()),
        ("org_unit_id", store.clone()),
        ("org_unit.org_unit_id", store.clone()),
        ("parent_id", tenant.root.clone()),
        ("staff_id", guide.staff_id.clone()),
        ("staff.staff_id", guide.staff_id),
        ("grant_id", grant),
        ("client_id", client.clone()),
        ("client.client_id", client),
        ("session_id", session),
        ("user_id", user),
        ("identity_id", identity),
        ("merge_id", merge),
        ("export_id", export),
        ("entry_id", entry),
        ("code", code),
    ])
}

/// Registers another sandbox app and adds it to the admin's tenant; returns its app id.
async fn second_app(world: &World, admin: &str) -> String {
    let app: Value = world
        .http
        .post(format!("{}/sandbox/apps", world.sandbox))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let app_id = app["appid"].as_str().unwrap().to_owned();
    let mut tenants = pb::tenant_service_client::TenantServiceClient::new(world.identity_channel());
    tenants
        .upsert_app(authed(
            pb::UpsertAppRequest {
                app: Some(pb::WeChatApp {
                    app_id: app_id.clone(),
                    kind: pb::AppKind::MiniProgram as i32,
                    name: "Second store".into(),
                    app_secret: app["secret"].as_str().unwrap().into(),
                    enabled: true,
                    ..Default::default()
                }),
            },
            admin,
            None,
        ))
        .await
        .unwrap();
    app_id
}

fn sub(tokens: &Value) -> String {
    claims(tokens["accessToken"].as_str().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn store_request(parent: &str) -> pb::CreateOrgUnitRequest {
    pb::CreateOrgUnitRequest {
        parent_id: parent.into(),
        r#type: pb::OrgUnitType::Store as i32,
        name: "静安店".into(),
        code: "ISO1".into(),
        store: Some(pb::StoreProfile {
            address: Some(common::Address {
                city: "上海".into(),
                detail: "南京西路 1 号".into(),
                ..Default::default()
            }),
            geo: Some(common::GeoPoint {
                latitude: 31.23,
                longitude: 121.47,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}
