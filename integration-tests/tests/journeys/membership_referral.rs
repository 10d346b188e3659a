//! 分销 through the gateway: a member shares an invite code, a friend enrols with it, the
//! friend's paid and settled order earns the inviter commission, the inviter asks to withdraw,
//! staff approve and the payout completes — the commission balance moving at each step.

use std::time::Duration;

use serde_json::{Value, json};

use crate::member_fixtures::{Enrolled, cny, count, enrol, enrol_with};
use crate::order_events::paid_and_settled;
use crate::support::{World, assert_problem, json_ok};

/// The member's commission balance as they read it, in fen: (pending, available,
/// withdrawing, paid out).
async fn commission(world: &World, member: &Enrolled) -> (i64, i64, i64, i64) {
    let body = json_ok(
        world
            .get("/api/v1/me/commission-balance", Some(&member.token))
            .await,
    )
    .await;
    let fen = |key: &str| -> i64 {
        body[key]["minorUnits"]
            .as_str()
            .map_or(0, |s| s.parse().unwrap())
    };
    (
        fen("pending"),
        fen("available"),
        fen("withdrawing"),
        fen("paidOut"),
    )
}

#[tokio::test]
async fn an_invited_friends_order_pays_commission_that_is_withdrawn_with_approval() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;

    // 分销 is off until the tenant admin turns it on: 10 % at level 1, ¥10 minimum, every
    // withdrawal reviewed.
    let policy = json!({"policy": {
        "enabled": true, "openToAllMembers": true, "level1RateBps": 1000,
        "minWithdrawal": cny(1_000), "autoApproveMax": cny(0)
    }, "updateMask": "enabled,openToAllMembers,level1RateBps,minWithdrawal,autoApproveMax"});
    let updated = json_ok(
        world
            .patch_json("/admin/v1/commission-policy", &staff, &policy)
            .await,
    )
    .await;
    assert_eq!(updated["policy"]["level1RateBps"], 1000, "{updated}");

    // 邀请码: one per member, the same on every read, resolved by anyone in the tenant.
    let inviter = enrol(&world, &tenant, "o_inviter").await;
    let code = json_ok(
        world
            .get("/api/v1/me/invite-code", Some(&inviter.token))
            .await,
    )
    .await;
    let code = code["inviteCode"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8, "{code}");
    let again = json_ok(
        world
            .get("/api/v1/me/invite-code", Some(&inviter.token))
            .await,
    )
    .await;
    assert_eq!(again["inviteCode"], code.as_str());
    let friend = enrol_with(
        &world,
        &tenant,
        "o_friend",
        &json!({"inviteCode": code.to_lowercase()}),
    )
    .await;
    let path = format!("/api/v1/invite-codes/{code}");
    let resolved = json_ok(world.get(&path, Some(&friend.token)).await).await;
    assert_eq!(resolved["inviterMemberId"], inviter.member_id.as_str());
    assert_eq!(resolved["distributor"], true, "{resolved}");
    let referral = json_ok(world.get("/api/v1/me/referral", Some(&friend.token)).await).await;
    assert_eq!(
        referral["inviterMemberId"],
        inviter.member_id.as_str(),
        "{referral}"
    );
    let invitees = json_ok(world.get("/api/v1/me/invitees", Some(&inviter.token)).await).await;
    assert_eq!(count(&invitees, "invitees"), 1, "{invitees}");
    assert_eq!(
        invitees["invitees"][0]["memberId"],
        friend.member_id.as_str()
    );

    // Nothing earned yet: a withdrawal is refused.
    let ask = json!({"amount": cny(3_000)});
    assert_problem(
        world
            .post_json("/api/v1/me/withdrawals", &inviter.token, &ask)
            .await,
        422,
        "COMMISSION_INSUFFICIENT",
    )
    .await;

    // The friend's ¥500 order is paid and settled: 10 % = ¥50 becomes available.
    paid_and_settled(&world, &tenant, &friend.member_id, 50_000).await;
    let (http, inviter_ref) = (&world, &inviter);
    siyu_testkit::wait_until(Duration::from_secs(20), || async move {
        commission(http, inviter_ref).await.1 == 5_000
    })
    .await
    .unwrap_or_else(|_| panic!("commission never settled"));
    assert_eq!(commission(&world, &inviter).await, (0, 5_000, 0, 0));
    let entries = json_ok(
        world
            .get("/api/v1/me/commission-entries", Some(&inviter.token))
            .await,
    )
    .await;
    assert_eq!(count(&entries, "entries"), 1, "{entries}");
    assert_eq!(entries["entries"][0]["level"], 1);
    assert_eq!(
        entries["entries"][0]["buyerMemberId"],
        friend.member_id.as_str()
    );

    // 提现: below the minimum is refused; ¥30 waits for review, then a second request waits
    // for the first.
    let small = json!({"amount": cny(500)});
    assert_problem(
        world
            .post_json("/api/v1/me/withdrawals", &inviter.token, &small)
            .await,
        422,
        "WITHDRAWAL_BELOW_MINIMUM",
    )
    .await;
    let requested = json_ok(
        world
            .post_json("/api/v1/me/withdrawals", &inviter.token, &ask)
            .await,
    )
    .await;
    let withdrawal = &requested["withdrawal"];
    assert_eq!(
        withdrawal["status"], "WITHDRAWAL_STATUS_REQUESTED",
        "{requested}"
    );
    let withdrawal_id = withdrawal["withdrawalId"].as_str().unwrap().to_owned();
    assert_eq!(commission(&world, &inviter).await, (0, 2_000, 3_000, 0));
    assert_problem(
        world
            .post_json("/api/v1/me/withdrawals", &inviter.token, &small_enough())
            .await,
        422,
        "WITHDRAWAL_PENDING",
    )
    .await;

    // Staff review the queue, approve, and record the payout.
    let queue = json_ok(world.get("/admin/v1/withdrawals", Some(&staff)).await).await;
    assert_eq!(count(&queue, "withdrawals"), 1, "{queue}");
    let path = format!("/admin/v1/withdrawals/{withdrawal_id}/approve");
    let approved = json_ok(world.post_json(&path, &staff, &json!({})).await).await;
    assert_eq!(
        approved["withdrawal"]["status"], "WITHDRAWAL_STATUS_APPROVED",
        "{approved}"
    );
    let path = format!("/admin/v1/withdrawals/{withdrawal_id}/complete");
    let done = json!({"succeeded": true, "payoutReference": "WX-TRANSFER-1"});
    let paid = json_ok(world.post_json(&path, &staff, &done).await).await;
    assert_eq!(
        paid["withdrawal"]["status"], "WITHDRAWAL_STATUS_PAID",
        "{paid}"
    );
    assert_eq!(commission(&world, &inviter).await, (0, 2_000, 0, 3_000));
    let mine = json_ok(
        world
            .get("/api/v1/me/withdrawals", Some(&inviter.token))
            .await,
    )
    .await;
    assert_eq!(count(&mine, "withdrawals"), 1, "{mine}");

    // A second request, rejected: the amount goes back to available.
    let requested = json_ok(
        world
            .post_json("/api/v1/me/withdrawals", &inviter.token, &small_enough())
            .await,
    )
    .await;
    let second = requested["withdrawal"]["withdrawalId"].as_str().unwrap();
    let path = format!("/admin/v1/withdrawals/{second}/reject");
    let rejected = json_ok(
        world
            .post_json(&path, &staff, &json!({"reason": "账户信息不全"}))
            .await,
    )
    .await;
    assert_eq!(
        rejected["withdrawal"]["status"], "WITHDRAWAL_STATUS_REJECTED",
        "{rejected}"
    );
    assert_eq!(commission(&world, &inviter).await, (0, 2_000, 0, 3_000));
    world.stop().await;
}

/// ¥15: above the minimum, within what is left.
fn small_enough() -> Value {
    json!({"amount": cny(1_500)})
}
