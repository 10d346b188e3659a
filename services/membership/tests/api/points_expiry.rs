//! The points expiry job: due lots expire without anyone touching the member, oldest first, in
//! one balanced entry each exactly once however many runners pass at once; PointsExpiring goes
//! out once per member and expiry date when it enters the reminder window.

use std::sync::Arc;
use std::time::Duration;

use prost::Message;
use sea_orm::{ConnectionTrait, Statement};
use siyu_core::Clock as _;
use siyu_membership::app::App;
use siyu_proto::events::v1 as ev;
use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;

use crate::harness::{H, Tenant, id, with};

const DAY_MS: i64 = 86_400_000;

fn app(h: &H) -> App {
    App::new(h.db.db.clone(), Arc::new(h.clock.clone()))
}

/// Credits `points` in a lot expiring `days` from now (the policy's expiry when `None`).
async fn earn(h: &H, t: &Tenant, member: &str, points: i64, days: Option<i64>) {
    let now = h.clock.now().timestamp_millis();
    h.ledger()
        .earn_points(with(
            pb::EarnPointsRequest {
                member_id: member.into(),
                idempotency_key: format!("test:{}", id()),
                points,
                expires_at: days.map(|d| timestamp_ms(now + d * DAY_MS)),
                ..Default::default()
            },
            &t.service,
        ))
        .await
        .unwrap();
}

async fn count(h: &H, sql: &str) -> i64 {
    h.scalar(sql, vec![]).await
}

async fn expiring_events(h: &H) -> Vec<ev::PointsExpiring> {
    let b = h.db.db.get_database_backend();
    let rows = h
        .db
        .db
        .query_all_raw(Statement::from_string(
            b,
            "SELECT payload FROM siyu_outbox WHERE subject = 'membership.points_expiring' ORDER BY seq",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let bytes: Vec<u8> = r.try_get_by_index(0).unwrap();
            let env = ev::EventEnvelope::decode(bytes.as_slice()).unwrap();
            ev::PointsExpiring::decode(env.payload.unwrap().value.as_slice()).unwrap()
        })
        .collect()
}

#[tokio::test]
async fn due_lots_expire_oldest_first_exactly_once_under_two_runners() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (a, _) = t.member(&h).await;
    let (b, _) = t.member(&h).await;
    earn(&h, &t, &a, 200, Some(10)).await;
    earn(&h, &t, &a, 100, Some(5)).await;
    earn(&h, &t, &a, 300, None).await;
    earn(&h, &t, &b, 50, Some(3)).await;
    h.advance_days(6);
    // Reads still count lots nobody has expired yet.
    assert_eq!(t.balances(&h, &a).await.points_available, 600);
    let (one, two) = (app(&h), app(&h));
    let (x, y) = tokio::join!(one.expire_due_points(), two.expire_due_points());
    assert_eq!(
        x.unwrap() + y.unwrap(),
        2,
        "each member expired by one runner"
    );
    assert_eq!(t.balances(&h, &a).await.points_available, 500);
    assert_eq!(t.balances(&h, &b).await.points_available, 0);
    assert_eq!(
        count(&h, "SELECT COUNT(*) FROM mem_entries WHERE entry_type = 10").await,
        2
    );
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) FROM siyu_outbox WHERE subject = 'membership.points_expired'"
        )
        .await,
        2
    );
    assert_eq!(one.expire_due_points().await.unwrap(), 0);
    // Five days on, the next-oldest lot goes; the never-ending one stays.
    h.advance_days(5);
    let (x, y) = tokio::join!(one.expire_due_points(), two.expire_due_points());
    assert_eq!(x.unwrap() + y.unwrap(), 1);
    assert_eq!(t.balances(&h, &a).await.points_available, 300);
    assert_eq!(
        count(&h, "SELECT COUNT(*) FROM mem_entries WHERE entry_type = 10").await,
        3
    );
    let report = h
        .ledger()
        .get_points_liability_report(with(
            pb::GetPointsLiabilityReportRequest::default(),
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (report.expired_points, report.outstanding_points),
        (350, 300)
    );
    crate::harness::assert_invariants(&h).await;
}

#[tokio::test]
async fn reminders_go_out_once_per_member_and_expiry_date() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (a, _) = t.member(&h).await;
    let (b, _) = t.member(&h).await;
    // Two lots of one expiry date make one reminder; 60 days out is outside the 30-day window.
    earn(&h, &t, &a, 100, Some(20)).await;
    earn(&h, &t, &a, 50, Some(20)).await;
    earn(&h, &t, &a, 200, Some(60)).await;
    earn(&h, &t, &b, 70, Some(10)).await;
    let (one, two) = (app(&h), app(&h));
    let (x, y) = tokio::join!(one.remind_expiring_points(), two.remind_expiring_points());
    assert_eq!(x.unwrap() + y.unwrap(), 2);
    let sent = expiring_events(&h).await;
    let mut seen: Vec<(String, i64, i32, i64)> = sent
        .iter()
        .map(|e| (e.member_id.clone(), e.points, e.days_ahead, e.balance))
        .collect();
    seen.sort();
    let mut want = vec![(a.clone(), 150, 20, 350), (b.clone(), 70, 10, 70)];
    want.sort();
    assert_eq!(seen, want);
    assert_eq!(one.remind_expiring_points().await.unwrap(), 0);
    // 35 days on: the 60-day lot is 25 days out; the 20- and 10-day lots expire.
    h.advance_days(35);
    let pass = one.run_points_expiry_pass().await.unwrap();
    assert_eq!((pass.members_expired, pass.reminders), (2, 1));
    let last = expiring_events(&h).await.pop().unwrap();
    assert_eq!((last.points, last.days_ahead, last.balance), (200, 25, 200));
    assert_eq!(two.run_points_expiry_pass().await.unwrap().reminders, 0);
    crate::harness::assert_invariants(&h).await;
}

#[tokio::test]
async fn the_leased_job_expires_lots_in_the_background() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (a, _) = t.member(&h).await;
    earn(&h, &t, &a, 100, Some(1)).await;
    earn(&h, &t, &a, 40, None).await;
    h.advance_days(2);
    // Two replicas, each with its own lease owner, passing every 50 ms.
    let (stop, rx) = tokio::sync::watch::channel(false);
    let runners: Vec<_> = (0..2)
        .map(|i| {
            let lease = siyu_store::Lease::new(
                h.db.db.clone(),
                Arc::new(h.clock.clone()),
                "membership.points_expiry",
                &format!("runner-{i}"),
                Duration::from_secs(300),
            );
            let mut rx = rx.clone();
            tokio::spawn(
                app(&h).run_points_expiry(lease, Duration::from_millis(50), async move {
                    let _ = rx.wait_for(|s| *s).await;
                }),
            )
        })
        .collect();
    siyu_testkit::wait_until(Duration::from_secs(20), || async {
        count(&h, "SELECT COUNT(*) FROM mem_entries WHERE entry_type = 10").await == 1
    })
    .await
    .unwrap();
    stop.send(true).unwrap();
    for r in runners {
        r.await.unwrap();
    }
    assert_eq!(t.balances(&h, &a).await.points_available, 40);
    assert_eq!(
        count(&h, "SELECT COUNT(*) FROM mem_entries WHERE entry_type = 10").await,
        1
    );
    crate::harness::assert_invariants(&h).await;
}
