//! The operator console over `/admin/v1`: the tier programme and its policy, earning rules,
//! stored value with top-up plans, segments previewed, evaluated and exported, guides bound and
//! their book handed over, the liability reports, and paid membership from plan to activation,
//! renewal report and revocation — each checked by what it changed.

use serde_json::{Value, json};
use siyu_proto::common::v1::Money;
use siyu_proto::identity::v1::StaffRole;
use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;

use crate::member_fixtures::{Enrolled, balances, cny, count, enrol, tier_ladder};
use crate::support::{Tenant, World, assert_problem, json_ok};

/// A kind=service request carrying `token`, as a service calls membership.
fn as_service<T>(message: T, token: &str) -> tonic::Request<T> {
    siyu_platform::seed::authed(message, token, Some(&siyu_core::id::new_string()))
}

fn yuan(fen: i64) -> Option<Money> {
    Some(Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

/// `?startTime=…&endTime=…`: the report period from `days_before` days ago to `days_after`
/// days ahead.
fn period(days_before: i64, days_after: i64) -> String {
    const DAY_MS: i64 = 86_400_000;
    let at = |ms: i64| {
        siyu_proto::time::datetime(&timestamp_ms(ms))
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    let now = now_ms();
    format!(
        "?startTime={}&endTime={}",
        at(now - days_before * DAY_MS),
        // A minute more: the format drops milliseconds, and "now" must stay inside.
        at(now + days_after * DAY_MS + 60_000)
    )
}

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

#[tokio::test]
async fn staff_run_tiers_rules_stored_value_segments_guides_reports_and_paid_plans() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let alice = enrol(&world, &tenant, "o_alice").await;
    let bob = enrol(&world, &tenant, "o_bob").await;

    tier_programme(&world, &staff, &alice).await;
    earning_rules(&world, &staff).await;
    stored_value(&world, &tenant, &staff, &alice).await;
    segments(&world, &staff, &alice, &bob).await;
    guides(&world, &tenant, &staff, &alice, &bob).await;
    paid_membership(&world, &tenant, &staff, &alice).await;

    // The member list sees both, ordered and counted.
    let listed = json_ok(world.get("/admin/v1/members", Some(&staff)).await).await;
    assert_eq!(listed["totalCount"], 2, "{listed}");
    world.stop().await;
}

/// 等级体系: a ladder, its policy, a renamed tier, and the archiving rules.
async fn tier_programme(world: &World, staff: &str, alice: &Enrolled) {
    tier_ladder(world, staff).await;
    let listed = json_ok(world.get("/admin/v1/tiers", Some(staff)).await).await;
    assert_eq!(count(&listed, "tiers"), 2, "{listed}");
    let policy = json!({"policy": {"growthPerYuan": 2, "gracePeriodDays": 30},
                        "updateMask": "growthPerYuan,gracePeriodDays"});
    let updated = json_ok(
        world
            .patch_json("/admin/v1/tier-policy", staff, &policy)
            .await,
    )
    .await;
    assert_eq!(updated["policy"]["growthPerYuan"], 2, "{updated}");
    let read = json_ok(world.get("/admin/v1/tier-policy", Some(staff)).await).await;
    assert_eq!(read["policy"]["gracePeriodDays"], 30, "{read}");
    let rename = json!({"tier": {"name": "黄金卡"}, "updateMask": "name"});
    let renamed = json_ok(
        world
            .patch_json("/admin/v1/tiers/GOLD", staff, &rename)
            .await,
    )
    .await;
    assert_eq!(renamed["tier"]["name"], "黄金卡", "{renamed}");
    // A member at GOLD keeps it from being archived; the entry tier never is.
    let path = format!("/admin/v1/members/{}/growth-adjustments", alice.member_id);
    let growth = json!({"delta": "500", "reason": "开业", "idempotencyKey": "growth-open"});
    json_ok(world.post_json(&path, staff, &growth).await).await;
    let path = format!("/admin/v1/members/{}/tier", alice.member_id);
    let tier = json_ok(world.get(&path, Some(staff)).await).await;
    assert_eq!(tier["tier"]["tierCode"], "GOLD", "{tier}");
    assert_eq!(tier["tier"]["name"], "黄金卡", "{tier}");
    let archive = |code: &str| format!("/admin/v1/tiers/{code}/archive");
    assert_problem(
        world.post_json(&archive("GOLD"), staff, &json!({})).await,
        422,
        "TIER_IN_USE",
    )
    .await;
    assert_problem(
        world.post_json(&archive("SILVER"), staff, &json!({})).await,
        422,
        "TIER_IS_ENTRY",
    )
    .await;
    let path = format!("/admin/v1/members/{}/growth-changes", alice.member_id);
    let changes = json_ok(world.get(&path, Some(staff)).await).await;
    assert_eq!(count(&changes, "changes"), 1, "{changes}");
}

/// 积分规则: the tenant starts with the seeded order rule; a new rule is listed to members and
/// can be switched off.
async fn earning_rules(world: &World, staff: &str) {
    let before = json_ok(world.get("/admin/v1/earning-rules", Some(staff)).await).await;
    let seeded = count(&before, "rules");
    let rule = json!({"rule": {
        "name": "完善资料", "trigger": "EARNING_TRIGGER_PHONE_BOUND", "enabled": true,
        "fixedPoints": "50"
    }});
    let created = json_ok(
        world
            .post_json("/admin/v1/earning-rules", staff, &rule)
            .await,
    )
    .await;
    let rule_id = created["rule"]["ruleId"].as_str().unwrap().to_owned();
    let after = json_ok(world.get("/admin/v1/earning-rules", Some(staff)).await).await;
    assert_eq!(count(&after, "rules"), seeded + 1, "{after}");
    let off = json!({"rule": {"enabled": false}, "updateMask": "enabled"});
    let path = format!("/admin/v1/earning-rules/{rule_id}");
    let updated = json_ok(world.patch_json(&path, staff, &off).await).await;
    assert_eq!(updated["rule"]["enabled"], Value::Null, "{updated}");
    assert_eq!(updated["rule"]["fixedPoints"], "50");
}

/// 储值: off until the tenant turns it on; a plan with a bonus, a top-up by the payment
/// service, the member's balance and the liability report.
async fn stored_value(world: &World, tenant: &Tenant, staff: &str, alice: &Enrolled) {
    let plan = json!({"plan": {
        "name": "充500送50", "payAmount": cny(50_000), "bonusAmount": cny(5_000), "onSale": true
    }});
    assert_problem(
        world
            .post_json("/admin/v1/top-up-plans", staff, &plan)
            .await,
        422,
        "STORED_VALUE_DISABLED",
    )
    .await;
    let on = json!({"policy": {"storedValueEnabled": true}, "updateMask": "storedValueEnabled"});
    json_ok(
        world
            .patch_json("/admin/v1/ledger-policy", staff, &on)
            .await,
    )
    .await;
    let created = json_ok(
        world
            .post_json("/admin/v1/top-up-plans", staff, &plan)
            .await,
    )
    .await;
    let plan_id = created["plan"]["planId"].as_str().unwrap().to_owned();
    let offered = json_ok(world.get("/api/v1/top-up-plans", Some(&alice.token)).await).await;
    assert_eq!(count(&offered, "plans"), 1, "{offered}");
    let rename = json!({"plan": {"name": "充500送50元"}, "updateMask": "name"});
    let path = format!("/admin/v1/top-up-plans/{plan_id}");
    let renamed = json_ok(world.patch_json(&path, staff, &rename).await).await;
    assert_eq!(renamed["plan"]["name"], "充500送50元", "{renamed}");

    // The payment of a top-up order arrives from the orders service (no REST route).
    let service = world.service_token(tenant).await;
    let order_id = siyu_core::id::new_string();
    let topped = pb::ledger_service_client::LedgerServiceClient::new(world.membership_channel())
        .top_up_stored_value(as_service(
            pb::TopUpStoredValueRequest {
                member_id: alice.member_id.clone(),
                order_id: order_id.clone(),
                plan_id,
                amount_paid: yuan(50_000),
                paid_at: Some(timestamp_ms(now_ms())),
            },
            &service,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(topped.bonus_credited, yuan(5_000));
    let balance = balances(world, staff, &alice.member_id).await;
    assert_eq!(
        balance["storedValueAvailable"]["minorUnits"], "55000",
        "{balance}"
    );
    let report = json_ok(
        world
            .get(
                &format!("/admin/v1/reports/stored-value-liability{}", period(1, 1)),
                Some(staff),
            )
            .await,
    )
    .await;
    assert_eq!(
        report["outstandingPrincipal"]["minorUnits"], "50000",
        "{report}"
    );
    assert_eq!(report["outstandingBonus"]["minorUnits"], "5000", "{report}");
    assert_eq!(report["membersWithBalance"], 1, "{report}");

    // Points liability: a credit of 300 is outstanding until spent.
    let path = format!("/admin/v1/members/{}/adjustments", alice.member_id);
    let adjust = json!({"points": "300", "reason": "开卡礼", "idempotencyKey": "welcome-alice"});
    json_ok(world.post_json(&path, staff, &adjust).await).await;
    let report = json_ok(
        world
            .get(
                &format!("/admin/v1/reports/points-liability{}", period(1, 1)),
                Some(staff),
            )
            .await,
    )
    .await;
    assert_eq!(report["outstandingPoints"], "300", "{report}");
    // 100 points = ¥1 by default: 300 points are ¥3 owed.
    assert_eq!(report["outstandingValue"]["minorUnits"], "300", "{report}");
}

/// 人群: a segment of members holding at least 100 points — Alice, not Bob — previewed,
/// evaluated into a snapshot, exported, and checked member by member.
async fn segments(world: &World, staff: &str, alice: &Enrolled, bob: &Enrolled) {
    let expression = json!({"attribute": {
        "attribute": "points_available", "operator": "SEGMENT_OPERATOR_GTE", "values": ["100"]
    }});
    let preview = json_ok(
        world
            .post_json(
                "/admin/v1/segment-previews",
                staff,
                &json!({"expression": expression}),
            )
            .await,
    )
    .await;
    assert_eq!(preview["memberCount"], 1, "{preview}");
    assert_eq!(preview["sampleMemberIds"], json!([alice.member_id]));
    let created = json_ok(
        world
            .post_json(
                "/admin/v1/segments",
                staff,
                &json!({"segment": {"name": "百分会员", "expression": expression}}),
            )
            .await,
    )
    .await;
    let segment = created["segment"]["segmentId"].as_str().unwrap().to_owned();
    let path = format!("/admin/v1/segments/{segment}/snapshots");
    let evaluated = json_ok(world.post_json(&path, staff, &json!({})).await).await;
    assert_eq!(evaluated["snapshot"]["memberCount"], 1, "{evaluated}");
    assert_eq!(evaluated["snapshot"]["ready"], true);
    let snapshot = evaluated["snapshot"]["snapshotId"].as_str().unwrap();
    let path = format!("/admin/v1/segment-snapshots/{snapshot}/members");
    let exported = json_ok(world.get(&path, Some(staff)).await).await;
    assert_eq!(exported["totalCount"], 1, "{exported}");
    assert_eq!(exported["members"][0]["memberId"], alice.member_id.as_str());
    assert_eq!(exported["members"][0]["userId"], alice.user_id.as_str());
    for (member, inside) in [(alice, true), (bob, false)] {
        let path = format!("/admin/v1/segments/{segment}/members/{}", member.member_id);
        let checked = json_ok(world.get(&path, Some(staff)).await).await;
        assert_eq!(checked["member"].as_bool().unwrap_or(false), inside);
    }
    let read = json_ok(
        world
            .get(&format!("/admin/v1/segments/{segment}"), Some(staff))
            .await,
    )
    .await;
    assert_eq!(read["segment"]["lastCount"], 1, "{read}");
    let listed = json_ok(world.get("/admin/v1/segments", Some(staff)).await).await;
    assert_eq!(count(&listed, "segments"), 1, "{listed}");
    let path = format!("/admin/v1/segments/{segment}/archive");
    let archived = json_ok(world.post_json(&path, staff, &json!({})).await).await;
    assert_eq!(archived["segment"]["archived"], true, "{archived}");
}

/// 导购: two members bound to a guide by staff; the guide reads their book; when the guide moves
/// stores their book is handed to a colleague (在职转移), the history keeping both bindings.
async fn guides(world: &World, tenant: &Tenant, staff: &str, alice: &Enrolled, bob: &Enrolled) {
    let (first, first_token) = world
        .staff_with_roles(tenant, staff, "guide-1", &[StaffRole::Guide])
        .await;
    let (second, _) = world
        .staff_with_roles(tenant, staff, "guide-2", &[StaffRole::Guide])
        .await;
    for member in [alice, bob] {
        let path = format!("/admin/v1/members/{}/guide-binding", member.member_id);
        let bind = json!({"guideId": first, "storeId": tenant.root,
                          "source": "GUIDE_BINDING_SOURCE_STAFF", "note": "门店建档"});
        let bound = json_ok(world.post_json(&path, staff, &bind).await).await;
        assert_eq!(bound["changed"], true, "{bound}");
    }
    let book = json_ok(
        world
            .get("/admin/v1/guide-members", Some(&first_token))
            .await,
    )
    .await;
    assert_eq!(book["totalCount"], 2, "{book}");
    let path = format!("/admin/v1/guides/{first}/reassignments");
    let hand_over = json!({
        "toGuides": [{"guideId": second, "storeId": tenant.root}],
        "reason": "GUIDE_UNBIND_REASON_GUIDE_TRANSFERRED", "note": "调往新店"
    });
    let moved = json_ok(world.post_json(&path, staff, &hand_over).await).await;
    assert_eq!(moved["reassignedCount"], 2, "{moved}");
    let book = |guide: &str| format!("/admin/v1/guides/{guide}/members");
    let theirs = json_ok(world.get(&book(&second), Some(staff)).await).await;
    assert_eq!(theirs["totalCount"], 2, "{theirs}");
    let left = json_ok(world.get(&book(&first), Some(staff)).await).await;
    assert_eq!(left["totalCount"].as_i64().unwrap_or(0), 0, "{left}");
    let path = format!("/admin/v1/members/{}/guide-bindings", alice.member_id);
    let history = json_ok(world.get(&path, Some(staff)).await).await;
    assert_eq!(count(&history, "bindings"), 2, "{history}");
    assert_eq!(
        history["bindings"][1]["unbindReason"], "GUIDE_UNBIND_REASON_GUIDE_TRANSFERRED",
        "{history}"
    );
    let path = format!("/admin/v1/members/{}", alice.member_id);
    let member = json_ok(world.get(&path, Some(staff)).await).await;
    assert_eq!(member["member"]["guide"]["guideId"], second.as_str());
    // Staff take the member off their guide; the member keeps no current binding.
    let path = format!("/admin/v1/members/{}/guide-binding/unbind", bob.member_id);
    json_ok(
        world
            .post_json(&path, staff, &json!({"note": "会员要求"}))
            .await,
    )
    .await;
    let theirs = json_ok(world.get(&book(&second), Some(staff)).await).await;
    assert_eq!(theirs["totalCount"], 1, "{theirs}");
}

/// 付费会员: a monthly plan; the paid order activates it (from the payment flow: a service
/// call), the member reads and stops auto-renew, the renewal report counts the active member,
/// and a refund revokes the period.
async fn paid_membership(world: &World, tenant: &Tenant, staff: &str, alice: &Enrolled) {
    let plan = json!({"plan": {
        "name": "黑金会员月卡", "period": "PAID_PLAN_PERIOD_MONTH", "price": cny(1_900),
        "displayBenefits": ["专享折扣"], "onSale": true
    }});
    let created = json_ok(world.post_json("/admin/v1/paid-plans", staff, &plan).await).await;
    let plan_id = created["plan"]["planId"].as_str().unwrap().to_owned();
    let offered = json_ok(world.get("/api/v1/paid-plans", Some(&alice.token)).await).await;
    assert_eq!(count(&offered, "plans"), 1, "{offered}");
    let path = format!("/admin/v1/paid-plans/{plan_id}");
    let renamed = json!({"plan": {"name": "黑金月卡"}, "updateMask": "name"});
    json_ok(world.patch_json(&path, staff, &renamed).await).await;
    let read = json_ok(
        world
            .get(&format!("/api/v1/paid-plans/{plan_id}"), Some(&alice.token))
            .await,
    )
    .await;
    assert_eq!(read["plan"]["name"], "黑金月卡", "{read}");

    let service = world.service_token(tenant).await;
    let order_id = siyu_core::id::new_string();
    let activated = pb::paid_membership_service_client::PaidMembershipServiceClient::new(
        world.membership_channel(),
    )
    .activate_paid_membership(as_service(
        pb::ActivatePaidMembershipRequest {
            member_id: alice.member_id.clone(),
            plan_id: plan_id.clone(),
            order_id: order_id.clone(),
            amount_paid: yuan(1_900),
            paid_at: Some(timestamp_ms(now_ms())),
            auto_renew: true,
        },
        &service,
    ))
    .await
    .unwrap()
    .into_inner();
    assert!(activated.membership.unwrap().active);
    let mine = json_ok(
        world
            .get("/api/v1/me/paid-membership", Some(&alice.token))
            .await,
    )
    .await;
    let membership = &mine["membership"];
    assert_eq!(membership["active"], true, "{mine}");
    assert_eq!(membership["autoRenew"], true, "{mine}");
    assert_eq!(membership["periodsBought"], 1, "{mine}");
    assert_eq!(membership["currentPeriod"]["orderId"], order_id.as_str());
    let stop = json!({"autoRenew": false});
    let stopped = json_ok(
        world
            .post_json("/api/v1/me/paid-membership/auto-renew", &alice.token, &stop)
            .await,
    )
    .await;
    // proto3 JSON leaves false out.
    assert_eq!(stopped["membership"]["autoRenew"], Value::Null, "{stopped}");
    // Up to now: no period has ended yet, and one member is active at the end of the window.
    let path = format!("/admin/v1/paid-renewal-report{}", period(1, 0));
    let report = json_ok(world.get(&path, Some(staff)).await).await;
    assert_eq!(report["total"]["activeMemberCount"], 1, "{report}");
    assert_eq!(report["total"]["expiredCount"], Value::Null, "{report}");

    let path = format!("/admin/v1/paid-orders/{order_id}/revoke");
    let revoke = json!({"refundId": siyu_core::id::new_string(), "reason": "七天无理由"});
    json_ok(world.post_json(&path, staff, &revoke).await).await;
    let path = format!("/admin/v1/members/{}/paid-membership", alice.member_id);
    let after = json_ok(world.get(&path, Some(staff)).await).await;
    assert_eq!(after["membership"]["active"], Value::Null, "{after}");
}
