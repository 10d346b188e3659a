//! The coupon expiry job: AVAILABLE coupons past their validity are stored EXPIRED once however
//! many runners pass at once (a locked coupon stays with its order), and CouponExpiring goes
//! out once per member and day, listing each coupon once, when coupons enter the 3-day window.

use std::sync::Arc;
use std::time::Duration;

use prost::Message;
use sea_orm::{ConnectionTrait, Statement};
use siyu_core::Clock as _;
use siyu_membership::app::App;
use siyu_proto::events::v1 as ev;
use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp;

use crate::coupons::{amount_off, coupon, coupons, order, published};
use crate::harness::{H, Tenant, id, with};

pub fn app(h: &H) -> App {
    App::new(h.db.db.clone(), Arc::new(h.clock.clone()))
}

/// A template of the test's 满100减20 valid from yesterday until `days` from now.
pub fn ending_in(h: &H, days: i64) -> pb::CouponTemplate {
    let now = h.clock.now();
    pb::CouponTemplate {
        validity: Some(pb::CouponValidity {
            kind: pb::CouponValidityKind::Absolute as i32,
            valid_from: Some(timestamp(now - chrono::Duration::days(1))),
            valid_until: Some(timestamp(now + chrono::Duration::days(days))),
            ..Default::default()
        }),
        ..amount_off(0, 0)
    }
}

/// Grants `quantity` of `template` to each of `members` (staff); answers the coupon ids.
pub async fn grant(
    h: &H,
    t: &Tenant,
    template: &str,
    members: &[String],
    quantity: i32,
) -> Vec<String> {
    coupons(h)
        .grant_coupons(with(
            pb::GrantCouponsRequest {
                template_id: template.into(),
                quantity_per_member: quantity,
                member_ids: members.to_vec(),
                grant_key: id(),
                reason: "测试发券".into(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .coupons
        .into_iter()
        .map(|c| c.coupon_id)
        .collect()
}

async fn count(h: &H, sql: &str) -> i64 {
    h.scalar(sql, vec![]).await
}

/// CouponExpiring events in the outbox, in the order written.
pub async fn expiring_events(h: &H) -> Vec<ev::CouponExpiring> {
    let b = h.db.db.get_database_backend();
    let rows =
        h.db.db
            .query_all_raw(Statement::from_string(
                b,
                "SELECT payload FROM siyu_outbox WHERE subject = 'membership.coupon_expiring' \
             ORDER BY seq",
            ))
            .await
            .unwrap();
    rows.iter()
        .map(|r| {
            let bytes: Vec<u8> = r.try_get_by_index(0).unwrap();
            let env = ev::EventEnvelope::decode(bytes.as_slice()).unwrap();
            assert_eq!(env.r#type, "siyu.events.v1.CouponExpiring");
            ev::CouponExpiring::decode(env.payload.unwrap().value.as_slice()).unwrap()
        })
        .collect()
}

async fn due_coupons_expire_once(h: H) {
    let t = Tenant::new(&h).await;
    let mut members = Vec::new();
    for _ in 0..3 {
        members.push(t.member(&h).await.0);
    }
    let short = published(&h, &t, ending_in(&h, 2)).await;
    let long = published(&h, &t, amount_off(0, 0)).await;
    let ending = grant(&h, &t, &short, &members, 2).await;
    grant(&h, &t, &long, &members, 1).await;
    // One of them is locked by a pending order: it stays with the order when it ends.
    coupons(&h)
        .lock_coupons(with(
            pb::LockCouponsRequest {
                member_id: members[0].clone(),
                coupon_ids: vec![ending[0].clone()],
                order_id: id(),
                context: Some(order(20_000)),
                revive: false,
            },
            &t.service,
        ))
        .await
        .unwrap();
    h.advance_days(3);
    // Reads already say EXPIRED before any job ran.
    assert_eq!(
        coupon(&h, &t.admin, &ending[1]).await.status,
        pb::CouponStatus::Expired as i32
    );
    assert_eq!(
        count(&h, "SELECT COUNT(*) FROM mem_coupons WHERE status = 5").await,
        0
    );
    let (one, two) = (app(&h), app(&h));
    let (x, y) = tokio::join!(one.expire_due_coupons(), two.expire_due_coupons());
    assert_eq!(
        x.unwrap() + y.unwrap(),
        5,
        "each ended coupon moved by one runner"
    );
    assert_eq!(
        count(&h, "SELECT COUNT(*) FROM mem_coupons WHERE status = 5").await,
        5
    );
    assert_eq!(
        count(&h, "SELECT COUNT(*) FROM mem_coupons WHERE status = 3").await,
        1
    );
    assert_eq!(
        count(&h, "SELECT COUNT(*) FROM mem_coupons WHERE status = 2").await,
        3
    );
    assert_eq!(one.expire_due_coupons().await.unwrap(), 0);
    assert_eq!(
        coupon(&h, &t.admin, &ending[1]).await.status,
        pb::CouponStatus::Expired as i32
    );
    // Stats count them as before: expired, never issued again.
    let stats = coupons(&h)
        .get_coupon_template_stats(with(
            pb::GetCouponTemplateStatsRequest {
                template_id: short.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stats.issued_count, stats.expired_count), (6, 5));
}

#[tokio::test]
async fn due_coupons_expire_once_under_two_runners() {
    due_coupons_expire_once(H::pg().await).await;
}

#[tokio::test]
async fn on_sqlite_due_coupons_expire_once_under_two_runners() {
    due_coupons_expire_once(H::sqlite().await).await;
}

#[tokio::test]
async fn reminders_go_out_once_per_member_and_day_listing_each_coupon_once() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (a, _) = t.member(&h).await;
    let (b, _) = t.member(&h).await;
    let soon = published(&h, &t, ending_in(&h, 2)).await;
    let later = published(&h, &t, ending_in(&h, 10)).await;
    let a_soon = grant(&h, &t, &soon, std::slice::from_ref(&a), 2).await;
    let a_later = grant(&h, &t, &later, std::slice::from_ref(&a), 1).await;
    grant(&h, &t, &soon, std::slice::from_ref(&b), 1).await;
    let (one, two) = (app(&h), app(&h));
    let (x, y) = tokio::join!(one.remind_expiring_coupons(), two.remind_expiring_coupons());
    assert_eq!(x.unwrap() + y.unwrap(), 2, "one reminder per member");
    let sent = expiring_events(&h).await;
    let mut seen: Vec<(String, usize, i32)> = sent
        .iter()
        .map(|e| (e.member_id.clone(), e.coupons.len(), e.days_ahead))
        .collect();
    seen.sort();
    let mut want = vec![(a.clone(), 2, 2), (b.clone(), 1, 2)];
    want.sort();
    assert_eq!(seen, want);
    let listed: Vec<String> = sent
        .iter()
        .find(|e| e.member_id == a)
        .unwrap()
        .coupons
        .iter()
        .map(|c| c.coupon_id.clone())
        .collect();
    let mut expected = a_soon.clone();
    expected.sort();
    let mut listed_sorted = listed.clone();
    listed_sorted.sort();
    assert_eq!(listed_sorted, expected);
    // The same day: nothing again, even for a coupon granted meanwhile.
    assert_eq!(one.remind_expiring_coupons().await.unwrap(), 0);
    let fresh = grant(&h, &t, &soon, std::slice::from_ref(&a), 1).await;
    assert_eq!(one.remind_expiring_coupons().await.unwrap(), 0);
    // The next day the new coupon alone; the ones listed yesterday are not listed again.
    h.advance_days(1);
    let (x, y) = tokio::join!(one.remind_expiring_coupons(), two.remind_expiring_coupons());
    assert_eq!(x.unwrap() + y.unwrap(), 1);
    let last = expiring_events(&h).await.pop().unwrap();
    assert_eq!(last.member_id, a);
    assert_eq!(last.days_ahead, 1);
    assert_eq!(
        last.coupons
            .iter()
            .map(|c| c.coupon_id.clone())
            .collect::<Vec<_>>(),
        fresh
    );
    // A week on, the short ones have ended and the 10-day one enters the window.
    h.advance_days(7);
    let pass = one.run_coupon_expiry_pass().await.unwrap();
    assert_eq!((pass.expired, pass.reminders), (4, 1));
    let last = expiring_events(&h).await.pop().unwrap();
    assert_eq!(
        (last.member_id.as_str(), last.days_ahead, last.coupons.len()),
        (a.as_str(), 2, 1)
    );
    assert_eq!(last.coupons[0].coupon_id, a_later[0]);
    assert_eq!(two.run_coupon_expiry_pass().await.unwrap().reminders, 0);
    assert_eq!(
        count(&h, "SELECT COUNT(*) FROM mem_coupon_reminders").await,
        4
    );
}

#[tokio::test]
async fn the_leased_job_expires_coupons_in_the_background() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let (a, _) = t.member(&h).await;
    let short = published(&h, &t, ending_in(&h, 1)).await;
    grant(&h, &t, &short, std::slice::from_ref(&a), 3).await;
    h.advance_days(2);
    // Two replicas, each with its own lease owner, passing every 50 ms.
    let (stop, rx) = tokio::sync::watch::channel(false);
    let runners: Vec<_> = (0..2)
        .map(|i| {
            let lease = siyu_store::Lease::new(
                h.db.db.clone(),
                Arc::new(h.clock.clone()),
                siyu_membership::app::coupons::jobs::EXPIRY_LEASE,
                &format!("runner-{i}"),
                Duration::from_secs(300),
            );
            tokio::spawn(app(&h).run_coupon_expiry(lease, Duration::from_millis(50), rx.clone()))
        })
        .collect();
    siyu_testkit::wait_until(Duration::from_secs(20), || async {
        count(&h, "SELECT COUNT(*) FROM mem_coupons WHERE status = 5").await == 3
    })
    .await
    .unwrap();
    stop.send(true).unwrap();
    for r in runners {
        r.await.unwrap();
    }
    assert_eq!(
        count(&h, "SELECT COUNT(*) FROM mem_coupons WHERE status = 2").await,
        0
    );
}
