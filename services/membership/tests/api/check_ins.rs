//! CheckIn and GetCheckInStatus: the Asia/Shanghai day, the streak and its bonus, once a day
//! under any concurrency, tenants apart.

use futures::future::join_all;
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::harness::{H, Tenant, assert_invariants, field, refused, with};

/// A CHECK_IN rule: 5 points a day, 10 more on the 3rd consecutive day, 50 on the 7th, cycle 7.
async fn enable(h: &H, t: &Tenant) {
    h.ledger()
        .create_earning_rule(with(
            pb::CreateEarningRuleRequest {
                rule: Some(pb::EarningRule {
                    name: "每日签到".into(),
                    trigger: pb::EarningTrigger::CheckIn as i32,
                    enabled: true,
                    check_in: Some(pb::CheckInRule {
                        daily_points: 5,
                        streak_bonuses: vec![
                            pb::CheckInStreakBonus {
                                streak_days: 3,
                                bonus_points: 10,
                            },
                            pb::CheckInStreakBonus {
                                streak_days: 7,
                                bonus_points: 50,
                            },
                        ],
                        cycle_days: 7,
                    }),
                    ..Default::default()
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap();
}

async fn check_in(h: &H, token: &str) -> pb::CheckInResponse {
    h.ledger()
        .check_in(with(pb::CheckInRequest::default(), token))
        .await
        .unwrap()
        .into_inner()
}

async fn status(h: &H, token: &str, month: &str) -> pb::GetCheckInStatusResponse {
    h.ledger()
        .get_check_in_status(with(
            pb::GetCheckInStatusRequest {
                month: month.into(),
                ..Default::default()
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn days_follow_shanghai_and_streaks_earn_their_bonus() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    enable(&h, &t).await;
    let (member, token) = t.member(&h).await;
    // The test clock starts at 2025-06-15 15:06:40 UTC: 23:06 in Shanghai.
    let before = status(&h, &token, "").await;
    assert_eq!(
        (
            before.checked_in_today,
            before.streak_days,
            before.points_today
        ),
        (false, 0, 5)
    );
    assert_eq!(before.next_bonus.unwrap().streak_days, 3);
    let first = check_in(&h, &token).await;
    assert_eq!(
        (
            first.points,
            first.bonus_points,
            first.streak_days,
            first.already_checked_in
        ),
        (5, 0, 1, false)
    );
    let again = check_in(&h, &token).await;
    assert!(again.already_checked_in);
    assert_eq!(again.entry.unwrap().entry_id, first.entry.unwrap().entry_id);
    assert_eq!(t.balances(&h, &member).await.points_available, 5);
    // One hour later it is 00:06 on 16 June in Shanghai (still the 15th in UTC): a new day.
    h.clock.advance(chrono::Duration::hours(1));
    assert_eq!(check_in(&h, &token).await.streak_days, 2);
    let mid = status(&h, &token, "").await;
    assert_eq!(
        (mid.checked_in_today, mid.streak_days, mid.points_today),
        (true, 2, 0)
    );
    assert_eq!(mid.next_bonus.unwrap().bonus_points, 10);
    h.advance_days(1);
    let third = check_in(&h, &token).await;
    assert_eq!(
        (third.streak_days, third.points, third.bonus_points),
        (3, 5, 10)
    );
    assert_eq!(t.balances(&h, &member).await.points_available, 25);
    // A missed day breaks the streak.
    h.advance_days(2);
    let broken = status(&h, &token, "").await;
    assert_eq!((broken.streak_days, broken.points_today), (0, 5));
    assert_eq!(check_in(&h, &token).await.streak_days, 1);
    let june = status(&h, &token, "2025-06").await;
    assert_eq!(
        june.checked_in_dates,
        ["2025-06-15", "2025-06-16", "2025-06-17", "2025-06-19"]
    );
    assert!(
        status(&h, &token, "2025-05")
            .await
            .checked_in_dates
            .is_empty()
    );
    let entries = h
        .scalar(
            "SELECT COUNT(*) FROM mem_entries WHERE idempotency_key LIKE 'checkin:%'",
            vec![],
        )
        .await;
    assert_eq!(entries, 4);
    assert_invariants(&h).await;
}

#[tokio::test]
async fn a_streak_restarts_after_its_cycle() {
    let h = H::sqlite().await;
    let t = Tenant::new(&h).await;
    enable(&h, &t).await;
    let (member, token) = t.member(&h).await;
    let mut streaks = Vec::new();
    for _ in 0..8 {
        streaks.push(check_in(&h, &token).await.streak_days);
        h.advance_days(1);
    }
    assert_eq!(streaks, [1, 2, 3, 4, 5, 6, 7, 1]);
    // 8 days × 5, the 3rd-day bonus 10 and the 7th-day bonus 50.
    assert_eq!(t.balances(&h, &member).await.points_available, 100);
    assert_invariants(&h).await;
}

async fn one_check_in_a_day(h: &H) {
    let t = Tenant::new(h).await;
    enable(h, &t).await;
    let (member, token) = t.member(h).await;
    let calls = (0..32).map(|_| {
        let mut c = h.ledger();
        let req = with(pb::CheckInRequest::default(), &token);
        async move { c.check_in(req).await }
    });
    let done: Vec<pb::CheckInResponse> = join_all(calls)
        .await
        .into_iter()
        .map(|r| r.unwrap().into_inner())
        .collect();
    assert_eq!(done.iter().filter(|r| !r.already_checked_in).count(), 1);
    assert!(done.iter().all(|r| r.points == 5 && r.streak_days == 1));
    let entries: std::collections::HashSet<_> = done
        .iter()
        .map(|r| r.entry.as_ref().unwrap().entry_id.clone())
        .collect();
    assert_eq!(entries.len(), 1, "every caller got the one entry");
    assert_eq!(t.balances(h, &member).await.points_available, 5);
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM mem_check_ins", vec![]).await,
        1
    );
    assert_invariants(h).await;
}

#[tokio::test]
async fn thirty_two_check_ins_of_one_day_credit_once_on_postgres() {
    one_check_in_a_day(&H::pg().await).await;
}

#[tokio::test]
async fn thirty_two_check_ins_of_one_day_credit_once_on_sqlite() {
    one_check_in_a_day(&H::sqlite().await).await;
}

#[tokio::test]
async fn check_in_refuses_what_it_cannot_do() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (other, _) = t.member(&h).await;
    let (_, token) = t.member(&h).await;
    refused(
        h.ledger()
            .check_in(with(pb::CheckInRequest::default(), &token))
            .await,
        Code::FailedPrecondition,
        "CHECK_IN_DISABLED",
    );
    enable(&h, &t).await;
    let bad = refused(
        h.ledger()
            .check_in(with(
                pb::CheckInRequest {
                    member_id: "not-an-id".into(),
                },
                &token,
            ))
            .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    assert_eq!(field(&bad), "member_id");
    refused(
        h.ledger()
            .check_in(with(pb::CheckInRequest { member_id: other }, &token))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    let (_, stranger) = t.consumer(&h);
    refused(
        h.ledger()
            .check_in(with(pb::CheckInRequest::default(), &stranger))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    // Staff do not check in for members: the contract admits consumers only.
    refused(
        h.ledger()
            .check_in(with(pb::CheckInRequest::default(), &t.admin))
            .await,
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
    for month in ["2025-13", "2025-6", "june", "0999-01", "2025-06-01"] {
        let bad = refused(
            h.ledger()
                .get_check_in_status(with(
                    pb::GetCheckInStatusRequest {
                        month: month.into(),
                        ..Default::default()
                    },
                    &token,
                ))
                .await,
            Code::InvalidArgument,
            "INVALID_ARGUMENT",
        );
        assert_eq!(field(&bad), "month", "{month}");
    }
}

#[tokio::test]
async fn another_tenants_member_has_no_check_in_status() {
    let h = H::pg().await;
    let a = Tenant::new(&h).await;
    let b = Tenant::new(&h).await;
    enable(&h, &a).await;
    let (member, token) = a.member(&h).await;
    check_in(&h, &token).await;
    let mine = h
        .ledger()
        .get_check_in_status(with(
            pb::GetCheckInStatusRequest {
                member_id: member.clone(),
                ..Default::default()
            },
            &a.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(mine.checked_in_today);
    refused(
        h.ledger()
            .get_check_in_status(with(
                pb::GetCheckInStatusRequest {
                    member_id: member,
                    ..Default::default()
                },
                &b.admin,
            ))
            .await,
        Code::NotFound,
        "MEMBER_NOT_FOUND",
    );
    // B has no rule of its own: A's does not leak into B's members' check-ins.
    let (_, b_member) = b.member(&h).await;
    refused(
        h.ledger()
            .check_in(with(pb::CheckInRequest::default(), &b_member))
            .await,
        Code::FailedPrecondition,
        "CHECK_IN_DISABLED",
    );
}
