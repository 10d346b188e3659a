//! Coupons in the checkout saga — lock → use | release, restore after a refund, revival — and
//! the invariants under concurrency: issued ≤ quota, held ≤ the member's limit, one coupon
//! locked by one order.

use std::sync::Arc;

use futures::future::join_all;
use siyu_proto::membership::v1 as pb;
use tonic::Code;

use crate::coupons::{amount_off, claim, coupon, coupons, order, published, template};
use crate::harness::{H, Tenant, id, reason, refused, with};

fn lock(member: &str, coupon_ids: &[&str], order_id: &str, revive: bool) -> pb::LockCouponsRequest {
    pb::LockCouponsRequest {
        member_id: member.into(),
        coupon_ids: coupon_ids.iter().map(|c| (*c).to_owned()).collect(),
        order_id: order_id.into(),
        context: Some(order(20_000)),
        revive,
    }
}

fn release(order_id: &str) -> pb::ReleaseCouponsRequest {
    pb::ReleaseCouponsRequest {
        order_id: order_id.into(),
        reason: "ORDER_CANCELLED".into(),
    }
}

#[tokio::test]
async fn a_locked_coupon_is_used_once_and_release_after_use_changes_nothing() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let tpl = published(&h, &t, amount_off(0, 0)).await;
    let (m, consumer) = t.member(&h).await;
    let cp = claim(&h, &consumer, &tpl).await.unwrap();
    let other = claim(&h, &consumer, &tpl).await.unwrap();
    let order_id = id();
    let mut c = coupons(&h);
    let locked = c
        .lock_coupons(with(
            lock(&m, &[&cp.coupon_id], &order_id, false),
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .coupons;
    assert_eq!(locked[0].status, pb::CouponStatus::Locked as i32);
    assert_eq!(locked[0].order_id, order_id);
    // The same lock again answers the locked coupons; other coupons for the order mismatch.
    let again = c
        .lock_coupons(with(
            lock(&m, &[&cp.coupon_id], &order_id, false),
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .coupons;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].status, pb::CouponStatus::Locked as i32);
    refused(
        c.lock_coupons(with(
            lock(&m, &[&other.coupon_id], &order_id, false),
            &t.service,
        ))
        .await,
        Code::AlreadyExists,
        "LOCK_MISMATCH",
    );
    // Locked by this order, the coupon is unusable for another.
    let s = refused(
        c.lock_coupons(with(lock(&m, &[&cp.coupon_id], &id(), false), &t.service))
            .await,
        Code::FailedPrecondition,
        "COUPON_UNAVAILABLE",
    );
    assert_eq!(crate::harness::meta(&s, "coupon_id"), cp.coupon_id);
    let used = c
        .use_coupons(with(
            pb::UseCouponsRequest {
                order_id: order_id.clone(),
            },
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .coupons;
    assert_eq!(used[0].status, pb::CouponStatus::Used as i32);
    let repeat = c
        .use_coupons(with(
            pb::UseCouponsRequest {
                order_id: order_id.clone(),
            },
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .coupons;
    assert_eq!(repeat.len(), 1);
    refused(
        c.release_coupons(with(release(&order_id), &t.service))
            .await,
        Code::FailedPrecondition,
        "COUPONS_ALREADY_USED",
    );
    assert_eq!(
        coupon(&h, &t.admin, &cp.coupon_id).await.status,
        pb::CouponStatus::Used as i32
    );
    // An order with nothing locked releases and uses nothing.
    let none = c
        .release_coupons(with(release(&id()), &t.service))
        .await
        .unwrap()
        .into_inner()
        .coupons;
    assert!(none.is_empty());
    // A full refund gives it back, once per refund.
    let refund = id();
    let restore = || pb::RestoreCouponsRequest {
        order_id: order_id.clone(),
        refund_id: refund.clone(),
    };
    let restored = c
        .restore_coupons(with(restore(), &t.service))
        .await
        .unwrap()
        .into_inner()
        .restored;
    assert_eq!(restored.len(), 1);
    assert_eq!(restored[0].status, pb::CouponStatus::Available as i32);
    let twice = c
        .restore_coupons(with(restore(), &t.service))
        .await
        .unwrap()
        .into_inner()
        .restored;
    assert_eq!(twice.len(), 1);
    let other_refund = c
        .restore_coupons(with(
            pb::RestoreCouponsRequest {
                order_id: order_id.clone(),
                refund_id: id(),
            },
            &t.service,
        ))
        .await
        .unwrap()
        .into_inner()
        .restored;
    assert!(other_refund.is_empty());
}

#[tokio::test]
async fn a_released_lock_is_refused_again_unless_revived() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let tpl = published(&h, &t, amount_off(0, 0)).await;
    let (m, consumer) = t.member(&h).await;
    let cp = claim(&h, &consumer, &tpl).await.unwrap();
    let order_id = id();
    let mut c = coupons(&h);
    c.lock_coupons(with(
        lock(&m, &[&cp.coupon_id], &order_id, false),
        &t.service,
    ))
    .await
    .unwrap();
    let released = c
        .release_coupons(with(release(&order_id), &t.service))
        .await
        .unwrap()
        .into_inner()
        .coupons;
    assert_eq!(released[0].status, pb::CouponStatus::Available as i32);
    refused(
        c.lock_coupons(with(
            lock(&m, &[&cp.coupon_id], &order_id, false),
            &t.service,
        ))
        .await,
        Code::FailedPrecondition,
        "COUPONS_ALREADY_RELEASED",
    );
    refused(
        c.use_coupons(with(
            pb::UseCouponsRequest {
                order_id: order_id.clone(),
            },
            &t.service,
        ))
        .await,
        Code::FailedPrecondition,
        "COUPONS_NOT_LOCKED",
    );
    // 16 revivals at once: one takes the coupon again, the others find it locked for the order.
    let c = Arc::new(coupons(&h));
    let attempts = join_all((0..16).map(|_| {
        let mut c = (*c).clone();
        let r = with(lock(&m, &[&cp.coupon_id], &order_id, true), &t.service);
        async move { c.lock_coupons(r).await }
    }))
    .await;
    for a in &attempts {
        let coupons = a.as_ref().unwrap().get_ref().coupons.clone();
        assert_eq!(coupons[0].status, pb::CouponStatus::Locked as i32);
    }
    let attempt = h
        .scalar(
            "SELECT CAST(attempt AS BIGINT) FROM mem_coupon_locks WHERE order_id = $1",
            vec![uuid::Uuid::parse_str(&order_id).unwrap().into()],
        )
        .await;
    assert_eq!(attempt, 2, "the revival applied once");
    // A coupon used by another order meanwhile refuses the revival.
    let mut c = coupons(&h);
    c.release_coupons(with(release(&order_id), &t.service))
        .await
        .unwrap();
    let thief = id();
    c.lock_coupons(with(lock(&m, &[&cp.coupon_id], &thief, false), &t.service))
        .await
        .unwrap();
    refused(
        c.lock_coupons(with(
            lock(&m, &[&cp.coupon_id], &order_id, true),
            &t.service,
        ))
        .await,
        Code::FailedPrecondition,
        "COUPON_UNAVAILABLE",
    );
}

#[tokio::test]
async fn exclusive_coupons_do_not_stack_and_thresholds_are_rechecked() {
    let h = H::pg().await;
    let t = Tenant::new(&h).await;
    let mut solo = amount_off(0, 0);
    solo.rule.as_mut().unwrap().stacking = pb::CouponStacking::Exclusive as i32;
    let solo = published(&h, &t, solo).await;
    let (m, consumer) = t.member(&h).await;
    let a = claim(&h, &consumer, &solo).await.unwrap();
    let b = claim(&h, &consumer, &solo).await.unwrap();
    let mut c = coupons(&h);
    let s = refused(
        c.lock_coupons(with(
            lock(&m, &[&a.coupon_id, &b.coupon_id], &id(), false),
            &t.service,
        ))
        .await,
        Code::FailedPrecondition,
        "COUPON_NOT_APPLICABLE",
    );
    assert_eq!(crate::harness::meta(&s, "reason"), "STACKING_CONFLICT");
    let mut small = lock(&m, &[&a.coupon_id], &id(), false);
    small.context = Some(order(5_000));
    let s = refused(
        c.lock_coupons(with(small, &t.service)).await,
        Code::FailedPrecondition,
        "COUPON_NOT_APPLICABLE",
    );
    assert_eq!(crate::harness::meta(&s, "reason"), "THRESHOLD_NOT_MET");
    // Nothing was locked by the refusals.
    assert_eq!(
        coupon(&h, &t.admin, &a.coupon_id).await.status,
        pb::CouponStatus::Available as i32
    );
}

#[tokio::test]
async fn sixty_four_claims_of_a_quota_of_one_issue_exactly_one_coupon() {
    quota_of_one(H::pg().await, 64).await;
}

#[tokio::test]
async fn on_sqlite_claims_of_a_quota_of_one_issue_exactly_one_coupon() {
    quota_of_one(H::sqlite().await, 16).await;
}

async fn quota_of_one(h: H, n: usize) {
    let t = Tenant::new(&h).await;
    let tpl = published(&h, &t, amount_off(1, 0)).await;
    let mut consumers = Vec::new();
    for _ in 0..n {
        consumers.push(t.member(&h).await.1);
    }
    let results = join_all(consumers.iter().map(|c| claim(&h, c, &tpl))).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1);
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(
            (r.code(), reason(r).as_str()),
            (Code::ResourceExhausted, "COUPON_QUOTA_EXHAUSTED"),
            "{r:?}"
        );
    }
    assert_eq!(template(&h, &t.admin, &tpl).await.issued_count, 1);
    let rows = h.scalar("SELECT COUNT(*) FROM mem_coupons", vec![]).await;
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn one_members_concurrent_claims_stop_at_the_limit() {
    member_limit(H::pg().await).await;
}

#[tokio::test]
async fn on_sqlite_one_members_concurrent_claims_stop_at_the_limit() {
    member_limit(H::sqlite().await).await;
}

async fn member_limit(h: H) {
    let t = Tenant::new(&h).await;
    let tpl = published(&h, &t, amount_off(0, 3)).await;
    let (m, consumer) = t.member(&h).await;
    let results = join_all((0..32).map(|_| claim(&h, &consumer, &tpl))).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 3);
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(reason(r), "COUPON_LIMIT_REACHED", "{r:?}");
    }
    let held = h
        .scalar(
            "SELECT COUNT(*) FROM mem_coupons WHERE member_id = $1",
            vec![uuid::Uuid::parse_str(&m).unwrap().into()],
        )
        .await;
    assert_eq!(held, 3);
}

#[tokio::test]
async fn one_coupon_locked_by_sixteen_orders_at_once_goes_to_one() {
    one_coupon_one_order(H::pg().await).await;
}

#[tokio::test]
async fn on_sqlite_one_coupon_locked_by_sixteen_orders_at_once_goes_to_one() {
    one_coupon_one_order(H::sqlite().await).await;
}

async fn one_coupon_one_order(h: H) {
    let t = Tenant::new(&h).await;
    let tpl = published(&h, &t, amount_off(0, 0)).await;
    let (m, consumer) = t.member(&h).await;
    let cp = claim(&h, &consumer, &tpl).await.unwrap();
    let c = coupons(&h);
    let results = join_all((0..16).map(|_| {
        let mut c = c.clone();
        let r = with(lock(&m, &[&cp.coupon_id], &id(), false), &t.service);
        async move { c.lock_coupons(r).await }
    }))
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(
            (r.code(), reason(r).as_str()),
            (Code::FailedPrecondition, "COUPON_UNAVAILABLE"),
            "{r:?}"
        );
    }
    // One order, two callers with different coupons at once: one lock, one mismatch.
    let other = claim(&h, &consumer, &tpl).await.unwrap();
    let third = claim(&h, &consumer, &tpl).await.unwrap();
    let order_id = id();
    let both = join_all([&other.coupon_id, &third.coupon_id].map(|cid| {
        let mut c = c.clone();
        let r = with(lock(&m, &[cid], &order_id, false), &t.service);
        async move { c.lock_coupons(r).await }
    }))
    .await;
    assert_eq!(both.iter().filter(|r| r.is_ok()).count(), 1);
    let lost = both.iter().find_map(|r| r.as_ref().err()).unwrap();
    assert_eq!(reason(lost), "LOCK_MISMATCH");
}
