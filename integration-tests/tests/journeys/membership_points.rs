//! A member's own card through the gateway: the card and its dynamic code, the tier ladder and
//! growth, points in lots and the history of postings, the daily check-in and its streak, and
//! points given to another member — each step read back as balances, lots and counts.

use serde_json::json;

use crate::member_fixtures::{balances, count, enrol, enrol_with, tier_ladder};
use crate::support::{World, assert_problem, json_ok};

#[tokio::test]
async fn a_member_reads_card_code_tier_lots_check_ins_and_gives_points() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let body = json!({"birthday": "1992-03-08", "cardHolderName": "林小满"});
    let me = enrol_with(&world, &tenant, "o_points", &body).await;

    // 会员卡: the card as the member sees it, found by staff through its number.
    let mine = json_ok(world.get("/api/v1/me/member", Some(&me.token)).await).await;
    assert_eq!(mine["member"]["memberId"], me.member_id.as_str());
    assert_eq!(mine["member"]["birthday"], "1992-03-08");
    assert_eq!(mine["member"]["status"], "MEMBER_STATUS_ACTIVE", "{mine}");
    let path = format!("/admin/v1/member-cards/{}", me.card_number);
    let by_card = json_ok(world.get(&path, Some(&staff)).await).await;
    assert_eq!(by_card["member"]["memberId"], me.member_id.as_str());
    let path = format!("/admin/v1/users/{}/member", me.user_id);
    let by_user = json_ok(world.get(&path, Some(&staff)).await).await;
    assert_eq!(by_user["member"]["cardNumber"], me.card_number.as_str());

    // 会员码: a short-lived numeric code for the till, a new one each time.
    let first = json_ok(
        world
            .post_json("/api/v1/me/member-code", &me.token, &json!({}))
            .await,
    )
    .await;
    let code = first["code"].as_str().unwrap();
    assert!(
        code.starts_with('9') && code.chars().all(|c| c.is_ascii_digit()),
        "{first}"
    );
    assert!(first["expiresAt"].is_string(), "{first}");
    let second = json_ok(
        world
            .post_json("/api/v1/me/member-code", &me.token, &json!({}))
            .await,
    )
    .await;
    assert_ne!(second["code"], first["code"]);

    // 等级与成长值: staff adjust growth past GOLD's threshold; the member moves up at once.
    tier_ladder(&world, &staff).await;
    let tiers = json_ok(world.get("/api/v1/tiers", Some(&me.token)).await).await;
    assert_eq!(count(&tiers, "tiers"), 2, "{tiers}");
    let path = format!("/admin/v1/members/{}/growth-adjustments", me.member_id);
    let growth = json!({"delta": "600", "reason": "老客回馈", "idempotencyKey": "growth-1"});
    let adjusted = json_ok(world.post_json(&path, &staff, &growth).await).await;
    assert_eq!(adjusted["tier"]["tierCode"], "GOLD", "{adjusted}");
    let tier = json_ok(world.get("/api/v1/me/tier", Some(&me.token)).await).await;
    assert_eq!(tier["tier"]["tierCode"], "GOLD", "{tier}");
    assert_eq!(tier["tier"]["pointsMultiplierBps"], 15000);
    assert_eq!(tier["growthValue"], "600");
    let history = json_ok(
        world
            .get("/api/v1/me/growth-changes", Some(&me.token))
            .await,
    )
    .await;
    assert_eq!(count(&history, "changes"), 1, "{history}");
    assert_eq!(history["changes"][0]["delta"], "600");
    assert_eq!(history["changes"][0]["balanceAfter"], "600");
    // Growth never goes below zero.
    let too_much = json!({"delta": "-601", "reason": "冲正", "idempotencyKey": "growth-2"});
    assert_problem(
        world.post_json(&path, &staff, &too_much).await,
        422,
        "GROWTH_INSUFFICIENT",
    )
    .await;

    // 签到: refused until a check-in rule exists; then 5 points a day, once a day.
    let refused = world
        .post_json("/api/v1/me/check-ins", &me.token, &json!({}))
        .await;
    assert_problem(refused, 422, "CHECK_IN_DISABLED").await;
    let rule = json!({"rule": {
        "name": "每日签到", "trigger": "EARNING_TRIGGER_CHECK_IN", "enabled": true,
        "checkIn": {"dailyPoints": "5", "cycleDays": 7,
                    "streakBonuses": [{"streakDays": 3, "bonusPoints": "20"}]}
    }});
    json_ok(
        world
            .post_json("/admin/v1/earning-rules", &staff, &rule)
            .await,
    )
    .await;
    let checked = json_ok(
        world
            .post_json("/api/v1/me/check-ins", &me.token, &json!({}))
            .await,
    )
    .await;
    assert_eq!(
        (&checked["points"], &checked["streakDays"]),
        (&json!("5"), &json!(1)),
        "{checked}"
    );
    let again = json_ok(
        world
            .post_json("/api/v1/me/check-ins", &me.token, &json!({}))
            .await,
    )
    .await;
    assert_eq!(again["alreadyCheckedIn"], true, "{again}");
    let status = json_ok(
        world
            .get("/api/v1/me/check-in-status", Some(&me.token))
            .await,
    )
    .await;
    assert_eq!(status["checkedInToday"], true, "{status}");
    assert_eq!(status["streakDays"], 1);
    assert_eq!(status["nextBonus"]["streakDays"], 3, "{status}");

    // 积分: a grant of 100 expiring mid-2027 and the check-in's 5 (valid to the end of next
    // year, the default policy) form two lots; a redemption takes the soonest-expiring first.
    let path = format!("/admin/v1/members/{}/points/earn", me.member_id);
    let expires = "2027-06-30T15:59:59Z";
    let earn = json!({"points": "100", "idempotencyKey": "review-1", "expiresAt": expires});
    let earned = json_ok(world.post_json(&path, &staff, &earn).await).await;
    assert_eq!(earned["balances"]["pointsAvailable"], "105", "{earned}");
    let lots = json_ok(world.get("/api/v1/me/points-lots", Some(&me.token)).await).await;
    assert_eq!(count(&lots, "lots"), 2, "{lots}");
    assert_eq!(lots["totalRemainingPoints"], "105");
    let redeem = json!({"points": "30", "idempotencyKey": "mall-1",
                        "purpose": "REDEEM_PURPOSE_POINTS_MALL"});
    let spent = json_ok(
        world
            .post_json("/api/v1/me/points/redeem", &me.token, &redeem)
            .await,
    )
    .await;
    assert_eq!(spent["balances"]["pointsAvailable"], "75", "{spent}");
    let lots = json_ok(world.get("/api/v1/me/points-lots", Some(&me.token)).await).await;
    let remaining: Vec<(&str, &str)> = lots["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["originalPoints"].as_str().unwrap(),
                l["remainingPoints"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(remaining.contains(&("5", "5")), "{lots}");
    assert!(remaining.contains(&("100", "70")), "{lots}");
    let journal = json_ok(
        world
            .get("/api/v1/me/journal-entries", Some(&me.token))
            .await,
    )
    .await;
    assert_eq!(count(&journal, "entries"), 3, "{journal}");
    // More than the balance is refused and nothing moves.
    let greedy = json!({"points": "76", "idempotencyKey": "mall-2",
                        "purpose": "REDEEM_PURPOSE_POINTS_MALL"});
    assert_problem(
        world
            .post_json("/api/v1/me/points/redeem", &me.token, &greedy)
            .await,
        422,
        "POINTS_INSUFFICIENT",
    )
    .await;

    // 积分转赠: off by default; once the tenant allows it, points move to a friend's card.
    let friend = enrol(&world, &tenant, "o_friend").await;
    let give = json!({"toCardNumber": friend.card_number, "points": "25",
                      "idempotencyKey": "gift-1", "note": "生日快乐"});
    assert_problem(
        world
            .post_json("/api/v1/me/points-transfers", &me.token, &give)
            .await,
        422,
        "POINTS_TRANSFER_DISABLED",
    )
    .await;
    let policy = json!({"policy": {"pointsTransferEnabled": true},
                        "updateMask": "pointsTransferEnabled"});
    let updated = json_ok(
        world
            .patch_json("/admin/v1/ledger-policy", &staff, &policy)
            .await,
    )
    .await;
    assert_eq!(
        updated["policy"]["pointsTransferEnabled"], true,
        "{updated}"
    );
    let given = json_ok(
        world
            .post_json("/api/v1/me/points-transfers", &me.token, &give)
            .await,
    )
    .await;
    assert_eq!(given["fromBalances"]["pointsAvailable"], "50", "{given}");
    let theirs = balances(&world, &staff, &friend.member_id).await;
    assert_eq!(theirs["pointsAvailable"], "25", "{theirs}");
    let mine = balances(&world, &staff, &me.member_id).await;
    assert_eq!(mine["pointsAvailable"], "50", "{mine}");
    world.stop().await;
}
