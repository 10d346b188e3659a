//! Coupons through the gateway: staff design and publish a template and a pack, members claim
//! in the 领券中心 up to their limit, see which coupons an order could use, show a dynamic code
//! that a store redeems (核销); staff grant to named members and to a tagged segment, revoke one,
//! and the template's stats count every coupon that was issued.

use std::time::Duration;

use serde_json::{Value, json};
use siyu_proto::identity::v1::StaffRole;

use crate::member_fixtures::{cny, count, enrol, published_template};
use crate::support::{World, assert_problem, json_ok};

/// An online order of one ¥`yuan` line in the mini-program.
fn order_of(yuan: i64) -> Value {
    json!({"context": {
        "channel": "CHANNEL_MINI_PROGRAM",
        "lines": [{"skuId": "sku-lipstick", "quantity": 1, "subtotal": cny(yuan * 100)}]
    }})
}

#[tokio::test]
async fn members_claim_use_and_redeem_coupons_staff_grant_to_members_and_segments() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let alice = enrol(&world, &tenant, "o_alice").await;
    let bob = enrol(&world, &tenant, "o_bob").await;
    let carol = enrol(&world, &tenant, "o_carol").await;
    // Quota 5, two per member.
    let template = published_template(&world, &staff, 5, 2).await;

    // 领券中心: the member sees the template, claims twice, and the third claim is refused.
    let centre = json_ok(
        world
            .get("/api/v1/coupon-templates", Some(&alice.token))
            .await,
    )
    .await;
    assert_eq!(count(&centre, "items"), 1, "{centre}");
    assert_eq!(centre["items"][0]["canClaim"], true, "{centre}");
    let claim = json!({"templateId": template});
    let first = json_ok(
        world
            .post_json("/api/v1/me/coupons", &alice.token, &claim)
            .await,
    )
    .await;
    assert_eq!(
        first["coupon"]["status"], "COUPON_STATUS_AVAILABLE",
        "{first}"
    );
    assert_eq!(first["coupon"]["source"], "COUPON_SOURCE_CLAIM");
    let coupon = first["coupon"]["couponId"].as_str().unwrap().to_owned();
    json_ok(
        world
            .post_json("/api/v1/me/coupons", &alice.token, &claim)
            .await,
    )
    .await;
    assert_problem(
        world
            .post_json("/api/v1/me/coupons", &alice.token, &claim)
            .await,
        422,
        "COUPON_LIMIT_REACHED",
    )
    .await;
    let centre = json_ok(
        world
            .get("/api/v1/coupon-templates", Some(&alice.token))
            .await,
    )
    .await;
    assert_eq!(centre["items"][0]["claimedByMe"], true, "{centre}");
    let mine = json_ok(world.get("/api/v1/me/coupons", Some(&alice.token)).await).await;
    assert_eq!(count(&mine, "coupons"), 2, "{mine}");
    let one = json_ok(
        world
            .get(&format!("/api/v1/me/coupons/{coupon}"), Some(&alice.token))
            .await,
    )
    .await;
    assert_eq!(one["coupon"]["name"], "满100减20");

    // 选券: ¥150 meets the ¥100 threshold (¥20 off); ¥80 is ¥20 short.
    let usable = json_ok(
        world
            .post_json("/api/v1/me/usable-coupons", &alice.token, &order_of(150))
            .await,
    )
    .await;
    assert_eq!(count(&usable, "coupons"), 2, "{usable}");
    assert!(
        usable["coupons"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["usable"] == true && c["estimatedDiscount"]["minorUnits"] == "2000"),
        "{usable}"
    );
    let short = json_ok(
        world
            .post_json("/api/v1/me/usable-coupons", &alice.token, &order_of(80))
            .await,
    )
    .await;
    let first_short = &short["coupons"][0];
    assert_eq!(first_short["usable"], Value::Null, "{short}");
    assert_eq!(
        first_short["reason"], "COUPON_UNUSABLE_REASON_THRESHOLD_NOT_MET",
        "{short}"
    );
    assert_eq!(first_short["shortfall"]["minorUnits"], "2000", "{short}");

    // 核销: a 60-second code (8…, unlike member codes) redeemed by a store manager at the till.
    let path = format!("/api/v1/me/coupons/{coupon}/redemption-code");
    let code = json_ok(world.post_json(&path, &alice.token, &json!({})).await).await;
    let code = code["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with('8') && code.len() == 18, "{code}");
    let (_, manager) = world
        .staff_with_roles(&tenant, &staff, "manager-1", &[StaffRole::StoreManager])
        .await;
    let redeem = json!({"code": code, "storeId": tenant.root, "posReceiptNo": "POS-0001"});
    let redeemed = json_ok(
        world
            .post_json("/admin/v1/coupon-redemptions", &manager, &redeem)
            .await,
    )
    .await;
    assert_eq!(
        redeemed["coupon"]["status"], "COUPON_STATUS_USED",
        "{redeemed}"
    );
    let usable = json_ok(
        world
            .post_json("/api/v1/me/usable-coupons", &alice.token, &order_of(150))
            .await,
    )
    .await;
    assert_eq!(count(&usable, "coupons"), 1, "{usable}");

    // 定向发券: staff grant one coupon each to Bob and Carol; the grant reports two issued.
    let grant = json!({
        "templateId": template, "quantityPerMember": 1,
        "memberIds": [bob.member_id, carol.member_id],
        "grantKey": "vip-care-1", "source": "COUPON_SOURCE_STAFF_GRANT", "reason": "老客关怀"
    });
    let granted = json_ok(
        world
            .post_json("/admin/v1/coupon-grants", &staff, &grant)
            .await,
    )
    .await;
    assert_eq!(count(&granted, "coupons"), 2, "{granted}");
    let grant_id = granted["grantId"].as_str().unwrap();
    let report = json_ok(
        world
            .get(&format!("/admin/v1/coupon-grants/{grant_id}"), Some(&staff))
            .await,
    )
    .await;
    assert_eq!(report["grant"]["issuedCount"], 2, "{report}");
    assert_eq!(report["grant"]["status"], "COUPON_GRANT_STATUS_COMPLETED");

    // 人群发券: tag Bob and Carol VIP, a segment of the tag, then grant to the segment. One
    // coupon is left in the quota of 5, so one member gets it and one is skipped.
    let tag = json_ok(
        world
            .post_json(
                "/admin/v1/tags",
                &staff,
                &json!({"tag": {"name": "高价值", "group": "价值分层"}}),
            )
            .await,
    )
    .await;
    let tag = tag["tag"]["tagId"].as_str().unwrap().to_owned();
    let tagging = json!({"memberIds": [bob.member_id, carol.member_id], "tagIds": [tag]});
    let tagged = json_ok(
        world
            .post_json("/admin/v1/member-tags", &staff, &tagging)
            .await,
    )
    .await;
    assert_eq!(tagged["addedCount"], 2, "{tagged}");
    let segment =
        json!({"segment": {"name": "高价值会员", "expression": {"tag": {"tagIds": [tag]}}}});
    let segment = json_ok(
        world
            .post_json("/admin/v1/segments", &staff, &segment)
            .await,
    )
    .await;
    let segment = segment["segment"]["segmentId"].as_str().unwrap().to_owned();
    let to_segment = json!({
        "templateId": template, "quantityPerMember": 1, "grantKey": "vip-618", "reason": "618"
    });
    let path = format!("/admin/v1/segments/{segment}/coupon-grants");
    let started = json_ok(world.post_json(&path, &staff, &to_segment).await).await;
    let grant_id = started["grant"]["grantId"].as_str().unwrap().to_owned();
    // The grant runs as a job: poll it until it completes.
    let report = format!("/admin/v1/coupon-grants/{grant_id}");
    let (w, s, r) = (&world, &staff, &report);
    siyu_testkit::wait_until(Duration::from_secs(20), || async move {
        let grant = json_ok(w.get(r, Some(s)).await).await;
        grant["grant"]["status"] == "COUPON_GRANT_STATUS_COMPLETED"
    })
    .await
    .unwrap_or_else(|_| panic!("the segment grant never completed"));
    let done = json_ok(world.get(&report, Some(&staff)).await).await;
    let grant = &done["grant"];
    assert_eq!(
        (
            &grant["targetCount"],
            &grant["issuedCount"],
            &grant["skippedCount"]
        ),
        (&json!(2), &json!(1), &json!(1)),
        "{done}"
    );
    // Retried under the same key: the same grant, nothing more issued.
    let again = json_ok(world.post_json(&path, &staff, &to_segment).await).await;
    assert_eq!(again["grant"]["grantId"], grant_id.as_str(), "{again}");

    // Staff read a member's coupons and revoke one.
    let path = format!("/admin/v1/members/{}/coupons", bob.member_id);
    let bobs = json_ok(world.get(&path, Some(&staff)).await).await;
    let bobs_count = count(&bobs, "coupons");
    assert!((1..=2).contains(&bobs_count), "{bobs}");
    let revoked_id = bobs["coupons"][0]["couponId"].as_str().unwrap().to_owned();
    let path = format!("/admin/v1/coupons/{revoked_id}/revoke");
    let revoked = json_ok(
        world
            .post_json(&path, &staff, &json!({"reason": "误发"}))
            .await,
    )
    .await;
    assert_eq!(
        revoked["coupon"]["status"], "COUPON_STATUS_REVOKED",
        "{revoked}"
    );

    // The stats count all of it: 5 issued (2 claimed, 3 granted), none left, 1 used in store,
    // 1 revoked.
    let path = format!("/admin/v1/coupon-templates/{template}/stats");
    let stats = json_ok(world.get(&path, Some(&staff)).await).await;
    assert_eq!(stats["issuedCount"], 5, "{stats}");
    assert_eq!(stats["remainingQuota"], Value::Null, "{stats}");
    assert_eq!(stats["usedInStoreCount"], 1, "{stats}");
    assert_eq!(stats["revokedCount"], 1, "{stats}");
    assert_eq!(stats["availableCount"], 3, "{stats}");
    // And the quota is spent for everyone.
    assert_problem(
        world
            .post_json("/api/v1/me/coupons", &carol.token, &claim)
            .await,
        429,
        "COUPON_QUOTA_EXHAUSTED",
    )
    .await;

    // 券包: a new-member pack of the template; the next member to enrol is given nothing more
    // (the quota is spent) but enrolment still succeeds.
    let pack = json!({"pack": {
        "name": "新人礼包", "items": [{"templateId": template, "quantity": 1}],
        "trigger": "COUPON_PACK_TRIGGER_NEW_MEMBER", "enabled": true
    }});
    let pack = json_ok(
        world
            .post_json("/admin/v1/coupon-packs", &staff, &pack)
            .await,
    )
    .await;
    assert_eq!(pack["pack"]["enabled"], true, "{pack}");
    let packs = json_ok(world.get("/admin/v1/coupon-packs", Some(&staff)).await).await;
    assert_eq!(count(&packs, "packs"), 1, "{packs}");
    let dave = enrol(&world, &tenant, "o_dave").await;
    let daves = json_ok(world.get("/api/v1/me/coupons", Some(&dave.token)).await).await;
    assert_eq!(count(&daves, "coupons"), 0, "{daves}");
    world.stop().await;
}
