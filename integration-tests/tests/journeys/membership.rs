//! Membership through the gateway: a consumer enrols over `/api/v1`, staff credit points over
//! `/admin/v1`, the consumer reads their balance and history and spends points; another
//! tenant's staff cannot see the member.

use serde_json::json;

use crate::support::{World, assert_problem, json_ok};

#[tokio::test]
async fn a_consumer_enrols_staff_credit_points_and_the_consumer_reads_the_balance() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    let consumer = world.consumer_login(&tenant, "o_member").await;
    let token = consumer["accessToken"].as_str().unwrap();

    // 开卡: the consumer enrols themself; a second enrolment answers the same member.
    let body = json!({"birthday": "1990-05-01", "cardHolderName": "小林"});
    let enrolled = json_ok(world.post_json("/api/v1/me/member", token, &body).await).await;
    assert_eq!(enrolled["created"], true, "{enrolled}");
    let member_id = enrolled["member"]["memberId"].as_str().unwrap().to_owned();
    let again = json_ok(
        world
            .post_json("/api/v1/me/member", token, &json!({}))
            .await,
    )
    .await;
    assert_eq!(again["member"]["memberId"], member_id.as_str());
    let mine = json_ok(world.get("/api/v1/me/member", Some(token)).await).await;
    assert_eq!(mine["member"]["cardHolderName"], "小林");

    // Staff credit points: a welcome adjustment with a reason and a campaign grant.
    let path = format!("/admin/v1/members/{member_id}/adjustments");
    let adjust = json!({"points": "300", "reason": "开卡礼", "idempotencyKey": "welcome-1"});
    let adjusted = json_ok(world.post_json(&path, &staff, &adjust).await).await;
    assert_eq!(adjusted["entry"]["reason"], "开卡礼");
    let path = format!("/admin/v1/members/{member_id}/points/earn");
    let grant = json!({"points": "200", "idempotencyKey": "campaign-618"});
    json_ok(world.post_json(&path, &staff, &grant).await).await;

    // The consumer reads their balance and their history (their own postings only).
    let balances = json_ok(world.get("/api/v1/me/balances", Some(token)).await).await;
    assert_eq!(balances["balances"]["pointsAvailable"], "500", "{balances}");
    let history = json_ok(world.get("/api/v1/me/journal-entries", Some(token)).await).await;
    let entries = history["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{history}");
    assert!(
        entries
            .iter()
            .all(|e| e["postings"].as_array().unwrap().len() == 1)
    );

    // Spending in the points mall, retried with the same Idempotency-Key: one debit.
    let redeem = json!({
        "points": "120",
        "idempotencyKey": "mall-order-1",
        "purpose": "REDEEM_PURPOSE_POINTS_MALL"
    })
    .to_string();
    for _ in 0..2 {
        let spent = world
            .post(
                "/api/v1/me/points/redeem",
                Some(token),
                Some("redeem-1"),
                &redeem,
            )
            .await;
        let spent = json_ok(spent).await;
        assert_eq!(spent["balances"]["pointsAvailable"], "380", "{spent}");
    }

    // Another tenant's staff do not find the member.
    let other = world.tenant("brand-b").await;
    let other_staff = world.staff_login(&other).await;
    let path = format!("/admin/v1/members/{member_id}");
    assert_problem(
        world.get(&path, Some(&other_staff)).await,
        404,
        "MEMBER_NOT_FOUND",
    )
    .await;
    world.stop().await;
}
