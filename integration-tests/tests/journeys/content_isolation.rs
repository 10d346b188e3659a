//! Tenancy through every content route that names a resource, driven by the gateway's route
//! table: tenant A owns a published article, a home-page slot and a share link; tenant B's
//! consumer, staff (holding every role) and partner (`content.read`) name A's ids on every route
//! and get the not-found answer of the id's kind. Routes of the content services not built yet answer 501
//! and are listed, and the list is checked too.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use siyu_gateway::routes::{Access, rest_routes};
use siyu_proto::identity::v1 as idpb;

use crate::isolation_table::{params, send};
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

/// Routes naming a resource whose service is not built yet (they answer 501): templates, a
/// user's subscriptions and preferences, notifications, campaigns.
const NOT_BUILT: [&str; 18] = [
    "GET /admin/v1/campaigns/{campaign_id}",
    "GET /admin/v1/campaigns/{campaign_id}/stats",
    "GET /admin/v1/message-templates/{template_id}",
    "GET /admin/v1/message-templates/{template_id}/versions",
    "GET /admin/v1/notifications/{notification_id}",
    "GET /admin/v1/users/{user_id}/notification-preferences",
    "GET /admin/v1/users/{user_id}/subscribe-quotas",
    "PATCH /admin/v1/campaigns/{campaign.campaign_id}",
    "PATCH /admin/v1/message-templates/{template.template_id}",
    "PATCH /admin/v1/users/{preferences.user_id}/notification-preferences",
    "POST /admin/v1/campaigns/{campaign_id}/cancel",
    "POST /admin/v1/campaigns/{campaign_id}/pause",
    "POST /admin/v1/campaigns/{campaign_id}/resume",
    "POST /admin/v1/campaigns/{campaign_id}/schedule",
    "POST /admin/v1/message-templates/{template_id}/activate",
    "POST /admin/v1/message-templates/{template_id}/archive",
    "POST /admin/v1/message-templates/{template_id}/preview",
    "POST /admin/v1/notifications/{notification_id}/cancel",
];

/// The not-found reason of a route, by the id it names first (and its RPC).
fn not_found(rpc: &str, param: &str) -> &'static str {
    if rpc.ends_with("/GetContentVersion") {
        return "CONTENT_VERSION_NOT_FOUND";
    }
    match param {
        "content_id" | "content.content_id" => "CONTENT_NOT_FOUND",
        "slot_id" | "slot.slot_id" => "SLOT_NOT_FOUND",
        "share_link_id" => "SHARE_LINK_NOT_FOUND",
        "scene_code" => "SCENE_CODE_NOT_FOUND",
        other => panic!("no not-found reason for {{{other}}}"),
    }
}

/// A body that passes validation, so the answer is about the id and not about the body.
fn body_for(path: &str) -> Value {
    match path {
        p if p.starts_with("/admin/v1/contents/{content.content_id}") => {
            json!({"content": {"etag": "1", "tags": ["偷改"]}, "updateMask": "tags"})
        }
        p if p.starts_with("/admin/v1/slots/{slot.slot_id}") => {
            json!({"slot": {"etag": "1", "enabled": false}, "updateMask": "enabled"})
        }
        p if p.ends_with("/placements") => json!({"etag": "1", "placements": []}),
        p if p.ends_with("/restore") => json!({"etag": "1"}),
        _ => json!({}),
    }
}

#[tokio::test]
async fn every_content_route_naming_a_resource_is_not_found_for_another_tenant() {
    let world = World::start().await;
    let a = world.tenant("brand-a").await;
    let b = world.tenant("brand-b").await;
    let staff_a = world.staff_login(&a).await;
    let created = json_ok(
        world
            .post_json(
                "/admin/v1/contents",
                &staff_a,
                &json!({"content": {"kind": "CONTENT_KIND_ARTICLE",
                                    "article": {"title": "A 的文章", "bodyMarkdown": "正文"}}}),
            )
            .await,
    )
    .await;
    let content_id = created["content"]["contentId"].as_str().unwrap().to_owned();
    json_ok(
        world
            .post_json(
                &format!("/admin/v1/contents/{content_id}/publish"),
                &staff_a,
                &json!({}),
            )
            .await,
    )
    .await;
    let slot = json_ok(
        world
            .post_json(
                "/admin/v1/slots",
                &staff_a,
                &json!({"slot": {"code": "home.feed", "name": "A", "page": "home",
                                 "layout": "SLOT_LAYOUT_FEED", "maxItems": 5, "enabled": true}}),
            )
            .await,
    )
    .await;
    let slot_id = slot["slot"]["slotId"].as_str().unwrap().to_owned();
    let link = json_ok(
        world
            .post_json(
                "/admin/v1/share-links",
                &staff_a,
                &json!({"sourceKind": "SHARE_SOURCE_KIND_CONTENT", "contentId": content_id,
                        "pagePath": "pages/article/detail"}),
            )
            .await,
    )
    .await;
    let link_id = link["shareLink"]["shareLinkId"]
        .as_str()
        .unwrap()
        .to_owned();
    let scene_code = link["shareLink"]["sceneCode"].as_str().unwrap().to_owned();
    json_ok(
        world
            .post_json(
                &format!("/admin/v1/slots/{slot_id}/placements"),
                &staff_a,
                &json!({"etag": slot["slot"]["etag"], "placements": [{"contentId": content_id}]}),
            )
            .await,
    )
    .await;
    let id_of = |param: &str| -> String {
        match param {
            "content_id" | "content.content_id" => content_id.clone(),
            "slot_id" | "slot.slot_id" => slot_id.clone(),
            "version" => "1".into(),
            "page" => "home".into(),
            "share_link_id" => link_id.clone(),
            "scene_code" => scene_code.clone(),
            _ => siyu_core::id::new_string(),
        }
    };

    // Tenant B's consumer, all-role staff and content partner.
    let admin_b = world.staff_login(&b).await;
    let (_, staff_b) = world
        .staff_with_roles(&b, &admin_b, "everything-b", &ALL_ROLES)
        .await;
    let bob = world.consumer_login(&b, "o_bob").await;
    let bob = bob["accessToken"].as_str().unwrap().to_owned();
    let partner_b = crate::membership_partner::partner_token(
        &world,
        &admin_b,
        &["content.read"],
        "content.read",
    )
    .await;

    let mut checked = Vec::new();
    let mut wrong = Vec::new();
    let mut not_built = BTreeSet::new();
    for route in rest_routes()
        .into_iter()
        .filter(|r| r.rpc.starts_with("siyu.content.v1."))
    {
        let names = params(route.path);
        // A write naming no resource (a create) acts in the caller's own tenant.
        if names.is_empty() && route.method != reqwest::Method::GET {
            continue;
        }
        let what = format!("{} {}", route.method, route.path);
        let mut path = route.path.to_owned();
        for param in &names {
            path = path.replace(&format!("{{{param}}}"), &id_of(param));
        }
        let token = match route.access {
            Access::Consumer | Access::Optional | Access::Public => &bob,
            Access::Staff(_) => &staff_b,
            Access::Partner(_) => &partner_b,
        };
        let response = send(&world, &route.method, &path, token, &body_for(route.path)).await;
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status == 501 {
            if !names.is_empty() {
                not_built.insert(what.clone());
            }
            continue;
        }
        // Lists and the page: B's own (empty) answer, nothing of A.
        let Some(&first) = names.first().filter(|p| **p != "page") else {
            let text = answer.to_string();
            if status != 200
                || text.contains(&content_id)
                || text.contains(&slot_id)
                || text.contains(&link_id)
            {
                wrong.push(format!(
                    "{what} answered {status} {answer} (expected nothing of A)"
                ));
            }
            checked.push(what);
            continue;
        };
        let expected = not_found(route.rpc, first);
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
    assert_eq!(
        not_built, expected,
        "routes naming a resource answering 501"
    );
    assert!(checked.len() >= 15, "too few routes checked: {checked:?}");

    // Tenant A's article is untouched by all of that.
    let still = json_ok(
        world
            .get(&format!("/admin/v1/contents/{content_id}"), Some(&staff_a))
            .await,
    )
    .await;
    assert_eq!(
        still["content"]["status"], "CONTENT_STATUS_PUBLISHED",
        "{still}"
    );
    assert_eq!(still["content"]["version"], 1, "{still}");
    world.stop().await;
}
