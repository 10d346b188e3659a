//! UsersMerged and UsersMergeReversed on the real NATS bus for what a member owns besides its
//! balances: unused coupons, manual tags, commission (entries and available balance) and
//! invitees go to the kept member once — delivered twice and by many handlers at once — and the
//! reversal gives back what the kept member still has.

use futures::future::join_all;
use prost::Message;
use sea_orm::Value;
use siyu_proto::events::v1 as ev;
use siyu_proto::membership::v1 as pb;
use siyu_store::Bus;
use uuid::Uuid;

use crate::bus_events;
use crate::coupons::{amount_off, coupons, published};
use crate::distribution::{code_of, enrol_invited};
use crate::harness::{H, Tenant, with};
use crate::segments::{new_tag, tag};

fn envelope(t: &Tenant, type_name: &str, payload: Vec<u8>) -> Vec<u8> {
    bus_events::envelope(
        t,
        "identity",
        &siyu_core::id::new_string(),
        type_name,
        payload,
    )
}

async fn publish(bus: &Bus, subject: &str, body: &[u8]) {
    bus_events::publish(bus, &format!("identity.{subject}"), body).await;
}

fn merged(t: &Tenant, merge: Uuid, kept: Uuid, gone: Uuid) -> Vec<u8> {
    let e = ev::UsersMerged {
        merge_id: merge.to_string(),
        kept_user_id: kept.to_string(),
        merged_user_id: gone.to_string(),
        reason: "phone_bind".into(),
        ..Default::default()
    };
    envelope(t, "UsersMerged", e.encode_to_vec())
}

fn reversed(t: &Tenant, merge: Uuid, kept: Uuid, gone: Uuid) -> Vec<u8> {
    let e = ev::UsersMergeReversed {
        merge_id: merge.to_string(),
        kept_user_id: kept.to_string(),
        merged_user_id: gone.to_string(),
        ..Default::default()
    };
    envelope(t, "UsersMergeReversed", e.encode_to_vec())
}

async fn member(h: &H, t: &Tenant, id: &str) -> pb::Member {
    h.members()
        .get_member(with(
            pb::GetMemberRequest {
                member_id: id.into(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap()
}

fn uuid_of(s: &str) -> Value {
    Value::Uuid(Some(s.parse().unwrap()))
}

async fn available_coupons(h: &H, member: &str) -> i64 {
    h.scalar(
        "SELECT COUNT(*) FROM mem_coupons WHERE member_id = $1 AND status = 2",
        vec![uuid_of(member)],
    )
    .await
}

async fn commission(h: &H, member: &str) -> (i64, i64) {
    let available = h
        .scalar(
            "SELECT CAST(COALESCE(SUM(available), 0) AS BIGINT) FROM mem_commission_balances \
             WHERE member_id = $1",
            vec![uuid_of(member)],
        )
        .await;
    let entries = h
        .scalar(
            "SELECT COUNT(*) FROM mem_commission_entries WHERE member_id = $1",
            vec![uuid_of(member)],
        )
        .await;
    (available, entries)
}

async fn inviter(h: &H, t: &Tenant, invitee: &str) -> String {
    member(h, t, invitee).await.inviter_member_id
}

/// Commission `gone` earned on an order and has settled: one entry and ¥12 available.
async fn settled_commission(h: &H, t: &Tenant, gone: &str, buyer: &str) {
    let db = &h.db.db;
    let backend = sea_orm::ConnectionTrait::get_database_backend(db);
    for (sql, values) in [
        (
            "INSERT INTO mem_commission_entries (tenant, id, member_id, buyer_member_id, \
             order_id, order_line_id, sku_id, level, base_amount, stored_value_counts, rate_bps, \
             amount, status, created_at_ms) VALUES ($1, $2, $3, $4, $5, 'l1', 'sku', 1, 12000, \
             FALSE, 1000, 1200, 3, 0)",
            vec![
                Value::Uuid(Some(t.id.0)),
                Value::Uuid(Some(siyu_core::id::new())),
                uuid_of(gone),
                uuid_of(buyer),
                Value::Uuid(Some(siyu_core::id::new())),
            ],
        ),
        (
            "INSERT INTO mem_commission_balances (tenant, member_id, available, updated_at_ms) \
             VALUES ($1, $2, 1200, 0)",
            vec![Value::Uuid(Some(t.id.0)), uuid_of(gone)],
        ),
    ] {
        sea_orm::ConnectionTrait::execute_raw(
            db,
            sea_orm::Statement::from_sql_and_values(backend, sql, values),
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_merge_moves_coupons_tags_commission_and_invitees_and_its_reversal_gives_them_back() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    let (kept, _) = t.member(&h).await;
    let (gone, gone_token) = t.member(&h).await;
    // Three coupons for the merged member, one of them revoked: two unused.
    let tpl = published(&h, &t, amount_off(0, 0)).await;
    let granted = coupons(&h)
        .grant_coupons(with(
            pb::GrantCouponsRequest {
                template_id: tpl,
                quantity_per_member: 3,
                member_ids: vec![gone.clone()],
                grant_key: "gift".into(),
                reason: "compensation".into(),
                ..Default::default()
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    coupons(&h)
        .revoke_coupon(with(
            pb::RevokeCouponRequest {
                coupon_id: granted.coupons[0].coupon_id.clone(),
                reason: "误发".into(),
            },
            &t.admin,
        ))
        .await
        .unwrap();
    // Tags: both carry VIP, only the merged one 老客.
    let vip = new_tag(&h, &t.admin, "VIP").await.tag_id;
    let regular = new_tag(&h, &t.admin, "老客").await.tag_id;
    tag(&h, &t.admin, &[kept.clone(), gone.clone()], &[&vip]).await;
    tag(&h, &t.admin, std::slice::from_ref(&gone), &[&regular]).await;
    // An invitee and settled commission of the merged member.
    let (invitee, _, applied) = enrol_invited(&h, &t, &code_of(&h, &gone_token).await).await;
    assert!(applied);
    settled_commission(&h, &t, &gone, &invitee.member_id).await;

    let (kept_user, gone_user) = (
        member(&h, &t, &kept).await.user_id.parse().unwrap(),
        member(&h, &t, &gone).await.user_id.parse().unwrap(),
    );
    let merge = siyu_core::id::new();
    let body = merged(&t, merge, kept_user, gone_user);
    publish(&bus, "users_merged", &body).await;
    publish(&bus, "users_merged", &body).await;
    bus_events::handled(&h, bus_events::IDENTITY, 1).await;
    // Distinct events of the same merge handled at once: still once.
    let app =
        || siyu_membership::app::App::new(h.db.db.clone(), std::sync::Arc::new(h.clock.clone()));
    let bodies: Vec<Vec<u8>> = (0..6)
        .map(|_| merged(&t, merge, kept_user, gone_user))
        .collect();
    join_all(bodies.iter().map(|b| {
        let app = app();
        async move {
            siyu_membership::events::consume::handle_for(&app, "membership-identity", b, "m")
                .await
                .unwrap();
        }
    }))
    .await;

    assert_eq!(
        available_coupons(&h, &kept).await,
        2,
        "the unused coupons moved"
    );
    assert_eq!(available_coupons(&h, &gone).await, 0);
    let mut kept_tags = member(&h, &t, &kept).await.tag_ids;
    kept_tags.sort();
    let mut both = vec![vip.clone(), regular.clone()];
    both.sort();
    assert_eq!(kept_tags, both);
    assert!(member(&h, &t, &gone).await.tag_ids.is_empty());
    assert_eq!(inviter(&h, &t, &invitee.member_id).await, kept);
    assert_eq!(commission(&h, &kept).await, (1_200, 1));
    assert_eq!(commission(&h, &gone).await, (0, 0));

    // The kept member uses up one moved coupon (revoked here) before the reversal.
    let moved: Vec<String> = granted.coupons[1..]
        .iter()
        .map(|c| c.coupon_id.clone())
        .collect();
    coupons(&h)
        .revoke_coupon(with(
            pb::RevokeCouponRequest {
                coupon_id: moved[0].clone(),
                reason: "已使用".into(),
            },
            &t.admin,
        ))
        .await
        .unwrap();
    let body = reversed(&t, merge, kept_user, gone_user);
    publish(&bus, "users_merge_reversed", &body).await;
    publish(&bus, "users_merge_reversed", &body).await;
    bus_events::handled(&h, bus_events::IDENTITY, 8).await;
    let bodies: Vec<Vec<u8>> = (0..6)
        .map(|_| reversed(&t, merge, kept_user, gone_user))
        .collect();
    join_all(bodies.iter().map(|b| {
        let app = app();
        async move {
            siyu_membership::events::consume::handle_for(&app, "membership-identity", b, "m")
                .await
                .unwrap();
        }
    }))
    .await;

    assert_eq!(
        available_coupons(&h, &gone).await,
        1,
        "what is left comes back"
    );
    assert_eq!(available_coupons(&h, &kept).await, 0);
    assert_eq!(member(&h, &t, &kept).await.tag_ids, vec![vip.clone()]);
    let mut gone_tags = member(&h, &t, &gone).await.tag_ids;
    gone_tags.sort();
    assert_eq!(gone_tags, both);
    assert_eq!(inviter(&h, &t, &invitee.member_id).await, gone);
    assert_eq!(commission(&h, &gone).await, (1_200, 1));
    assert_eq!(commission(&h, &kept).await, (0, 0));
    assert_eq!(
        member(&h, &t, &gone).await.status,
        pb::MemberStatus::Active as i32
    );
}
