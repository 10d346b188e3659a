//! Partners on `/open/v1` (a POS or CRM): with `members.write` they enrol a shopper at the
//! till, credit and spend points, tag the member and grant a coupon; with `members.read` only
//! they read all of that but change nothing; a partner granted neither scope reads nothing.

use serde_json::{Value, json};
use siyu_proto::identity::v1 as pb;

use crate::member_fixtures::{count, published_template};
use crate::support::{World, assert_problem, json_ok};

/// A partner client of the admin's tenant allowed `scopes`, and a token for `requested` of them.
pub async fn partner_token(world: &World, admin: &str, scopes: &[&str], requested: &str) -> String {
    let created = pb::partner_service_client::PartnerServiceClient::new(world.identity_channel())
        .create_partner_client(siyu_platform::seed::authed(
            pb::CreatePartnerClientRequest {
                client: Some(pb::PartnerClient {
                    name: format!("POS {requested}"),
                    scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                    ..Default::default()
                }),
            },
            admin,
            None,
        ))
        .await
        .unwrap()
        .into_inner();
    let token: Value = world
        .http
        .post(world.url("/oauth/token"))
        .basic_auth(
            created.client.unwrap().client_id,
            Some(&created.client_secret),
        )
        .form(&[("grant_type", "client_credentials"), ("scope", requested)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn partners_enrol_credit_tag_and_grant_with_write_read_with_read_and_nothing_without() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let writer = partner_token(
        &world,
        &staff,
        &["members.read", "members.write"],
        "members.read members.write",
    )
    .await;
    let reader = partner_token(&world, &staff, &["members.read"], "members.read").await;
    let stranger = partner_token(&world, &staff, &["catalog.read"], "catalog.read").await;

    // The shopper has used the mini-program once (a user), and the POS enrols them at the till.
    let consumer = world.consumer_login(&tenant, "o_shopper").await;
    let user_id = crate::support::claims(consumer["accessToken"].as_str().unwrap())["sub"]
        .as_str()
        .unwrap()
        .to_owned();
    let enrol = json!({"userId": user_id, "cardHolderName": "门店会员"});
    let enrolled = json_ok(world.post_json("/open/v1/members", &writer, &enrol).await).await;
    assert_eq!(enrolled["created"], true, "{enrolled}");
    let member = enrolled["member"]["memberId"].as_str().unwrap().to_owned();
    let card = enrolled["member"]["cardNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_user = json_ok(
        world
            .get(&format!("/open/v1/users/{user_id}/member"), Some(&reader))
            .await,
    )
    .await;
    assert_eq!(by_user["member"]["memberId"], member.as_str());

    // Points from the till: 88 earned on a sale, 8 spent; both readers see 80.
    let earn = json!({"points": "88", "idempotencyKey": "pos-sale-1", "referenceId": "POS-1"});
    let path = format!("/open/v1/members/{member}/points/earn");
    let earned = json_ok(world.post_json(&path, &writer, &earn).await).await;
    assert_eq!(earned["balances"]["pointsAvailable"], "88", "{earned}");
    let spend = json!({"points": "8", "idempotencyKey": "pos-sale-2",
                       "purpose": "REDEEM_PURPOSE_IN_STORE"});
    let path = format!("/open/v1/members/{member}/points/redeem");
    json_ok(world.post_json(&path, &writer, &spend).await).await;
    let path = format!("/open/v1/members/{member}/balances");
    let read = json_ok(world.get(&path, Some(&reader)).await).await;
    assert_eq!(read["balances"]["pointsAvailable"], "80", "{read}");
    let path = format!("/open/v1/members/{member}/journal-entries");
    let journal = json_ok(world.get(&path, Some(&reader)).await).await;
    assert_eq!(count(&journal, "entries"), 2, "{journal}");

    // A tag and a coupon from the CRM.
    let tag = json_ok(
        world
            .post_json(
                "/admin/v1/tags",
                &staff,
                &json!({"tag": {"name": "门店新客", "group": "来源"}}),
            )
            .await,
    )
    .await;
    let tag = tag["tag"]["tagId"].as_str().unwrap().to_owned();
    let tagging = json!({"memberIds": [member], "tagIds": [tag]});
    let tagged = json_ok(
        world
            .post_json("/open/v1/member-tags", &writer, &tagging)
            .await,
    )
    .await;
    assert_eq!(tagged["addedCount"], 1, "{tagged}");
    let template = published_template(&world, &staff, 10, 1).await;
    let grant = json!({"templateId": template, "quantityPerMember": 1, "memberIds": [member],
                       "grantKey": "crm-welcome", "source": "COUPON_SOURCE_PARTNER"});
    let granted = json_ok(
        world
            .post_json("/open/v1/coupon-grants", &writer, &grant)
            .await,
    )
    .await;
    assert_eq!(count(&granted, "coupons"), 1, "{granted}");
    let path = format!("/open/v1/members/{member}/coupons");
    let coupons = json_ok(world.get(&path, Some(&reader)).await).await;
    assert_eq!(count(&coupons, "coupons"), 1, "{coupons}");
    let found = json_ok(
        world
            .get(&format!("/open/v1/member-cards/{card}"), Some(&reader))
            .await,
    )
    .await;
    assert_eq!(found["member"]["tagIds"], json!([tag]), "{found}");
    let listed = json_ok(world.get("/open/v1/members", Some(&reader)).await).await;
    assert_eq!(listed["totalCount"], 1, "{listed}");
    let tiers = world.get("/open/v1/tiers", Some(&reader)).await;
    json_ok(tiers).await;

    // members.read alone changes nothing; the points stay at 80.
    let path = format!("/open/v1/members/{member}/points/earn");
    let more = json!({"points": "1000", "idempotencyKey": "forged"});
    assert_problem(
        world.post_json(&path, &reader, &more).await,
        403,
        "SCOPE_MISSING",
    )
    .await;
    assert_problem(
        world
            .post_json("/open/v1/member-tags", &reader, &tagging)
            .await,
        403,
        "SCOPE_MISSING",
    )
    .await;
    // Without either scope the partner reads nothing of members.
    for path in [
        format!("/open/v1/members/{member}"),
        format!("/open/v1/members/{member}/balances"),
        "/open/v1/members".to_owned(),
    ] {
        assert_problem(
            world.get(&path, Some(&stranger)).await,
            403,
            "SCOPE_MISSING",
        )
        .await;
    }
    let path = format!("/open/v1/members/{member}/balances");
    let read = json_ok(world.get(&path, Some(&reader)).await).await;
    assert_eq!(read["balances"]["pointsAvailable"], "80", "{read}");
    world.stop().await;
}
