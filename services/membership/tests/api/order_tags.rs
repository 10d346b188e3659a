//! The system tags computed from orders' events on the real NATS bus: purchase stage and RFM
//! buckets follow OrderPaid and OrderRefunded exactly once per order — each event delivered
//! twice, a refund before its payment — segments select on them, and the nightly pass moves
//! recency bands with time alone and gives members who never ordered `purchase_none`.

use std::time::Duration;

use prost::Message;
use sea_orm::Value;
use siyu_proto::events::v1 as ev;
use siyu_proto::membership::v1 as pb;
use siyu_store::Bus;
use uuid::Uuid;

use crate::bus_events;
use crate::harness::{H, Tenant, with};
use crate::order_events::money;
use crate::segments::{has_tags, segments, tags};

/// A goods order snapshot of `member`: one line of `cash`, `refunded` back so far.
fn snapshot(order: Uuid, member: &str, cash: i64, refunded: i64) -> ev::OrderSnapshot {
    ev::OrderSnapshot {
        order_id: order.to_string(),
        member_id: member.into(),
        kind: ev::OrderKind::Goods as i32,
        lines: vec![ev::OrderEventLine {
            order_line_id: siyu_core::id::new_string(),
            quantity: 1,
            cash_amount: money(cash),
            ..Default::default()
        }],
        amounts: Some(ev::OrderEventAmounts {
            paid_amount: money(cash),
            refunded_amount: money(refunded),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn paid(t: &Tenant, order: Uuid, member: &str, cash: i64) -> Vec<u8> {
    let e = ev::OrderPaid {
        order: Some(snapshot(order, member, cash, 0)),
        ..Default::default()
    };
    bus_events::envelope(
        t,
        "orders",
        &siyu_core::id::new_string(),
        "OrderPaid",
        e.encode_to_vec(),
    )
}

fn refunded(t: &Tenant, order: Uuid, member: &str, cash: i64, back: i64, full: bool) -> Vec<u8> {
    let e = ev::OrderRefunded {
        order: Some(snapshot(order, member, cash, back)),
        refund_id: siyu_core::id::new_string(),
        amount: money(back),
        full_refund: full,
        ..Default::default()
    };
    bus_events::envelope(
        t,
        "orders",
        &siyu_core::id::new_string(),
        "OrderRefunded",
        e.encode_to_vec(),
    )
}

/// Publishes `body` twice (a redelivery, as far as the inbox can tell).
async fn twice(bus: &Bus, subject: &str, body: &[u8]) {
    bus_events::publish(bus, subject, body).await;
    bus_events::publish(bus, subject, body).await;
}

/// The system tag codes `member` carries, sorted.
async fn codes(h: &H, member: &str) -> Vec<String> {
    let mut out = Vec::new();
    for code in [
        "purchase_none",
        "purchase_first",
        "purchase_repeat",
        "rfm_r_1",
        "rfm_r_2",
        "rfm_r_3",
        "rfm_r_4",
        "rfm_r_5",
        "rfm_f_1",
        "rfm_f_2",
        "rfm_f_3",
        "rfm_f_4",
        "rfm_f_5",
        "rfm_m_1",
        "rfm_m_2",
        "rfm_m_3",
        "rfm_m_4",
        "rfm_m_5",
    ] {
        let n = h
            .scalar(
                "SELECT COUNT(*) FROM mem_member_tags mt JOIN mem_tags t ON t.tenant = mt.tenant \
                 AND t.id = mt.tag_id WHERE mt.member_id = $1 AND t.code = $2",
                vec![
                    Value::Uuid(Some(member.parse().unwrap())),
                    Value::String(Some(code.into())),
                ],
            )
            .await;
        if n > 0 {
            out.push(code.to_owned());
        }
    }
    out
}

/// Waits until `member` carries exactly `want`.
async fn until_codes(h: &H, member: &str, want: &[&str]) {
    let mut want: Vec<String> = want.iter().map(|s| (*s).to_owned()).collect();
    want.sort();
    let ok = siyu_testkit::wait_until(Duration::from_secs(30), || async {
        let mut got = codes(h, member).await;
        got.sort();
        got == want
    })
    .await;
    if ok.is_err() {
        panic!(
            "{member} carries {:?}, not {want:?}",
            codes(h, member).await
        );
    }
}

/// The system tag of `code`.
async fn system_tag(h: &H, t: &Tenant, code: &str) -> String {
    tags(h)
        .list_tags(with(
            pb::ListTagsRequest {
                kind: pb::TagKind::System as i32,
                group: String::new(),
                page: Some(siyu_proto::common::v1::PageRequest {
                    page_size: 50,
                    page_token: String::new(),
                }),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .tags
        .into_iter()
        .find(|tag| tag.code == code)
        .unwrap()
        .tag_id
}

#[tokio::test]
async fn purchase_tags_follow_paid_and_refunded_orders_once_each() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    let (other, _) = t.member(&h).await;

    // ¥120.50 paid, delivered twice: first purchase, bought today, once, ¥100–500.
    let first = siyu_core::id::new();
    twice(&bus, "orders.order_paid", &paid(&t, first, &member, 12_050)).await;
    until_codes(
        &h,
        &member,
        &["purchase_first", "rfm_r_5", "rfm_f_1", "rfm_m_2"],
    )
    .await;

    // A second order's partial refund arrives before its payment, both twice: ¥400 paid,
    // ¥100 back — two orders, ¥420.50 net.
    let second = siyu_core::id::new();
    twice(
        &bus,
        "orders.order_refunded",
        &refunded(&t, second, &member, 40_000, 10_000, false),
    )
    .await;
    bus_events::handled(&h, bus_events::ORDERS, 2).await;
    assert_eq!(
        codes(&h, &member).await,
        ["purchase_first", "rfm_r_5", "rfm_f_1", "rfm_m_2"].map(String::from),
        "a refund alone is no purchase"
    );
    twice(
        &bus,
        "orders.order_paid",
        &paid(&t, second, &member, 40_000),
    )
    .await;
    until_codes(
        &h,
        &member,
        &["purchase_repeat", "rfm_r_5", "rfm_f_2", "rfm_m_2"],
    )
    .await;
    assert_eq!(
        h.scalar(
            "SELECT amount_365d FROM mem_purchase_stats WHERE member_id = $1",
            vec![Value::Uuid(Some(member.parse().unwrap()))],
        )
        .await,
        42_050
    );

    // Segments select on system tags.
    let repeat = system_tag(&h, &t, "purchase_repeat").await;
    let preview = segments(&h)
        .preview_segment(with(
            pb::PreviewSegmentRequest {
                expression: Some(has_tags(&[&repeat], false)),
                scope_store_id: String::new(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(preview.member_count, 1);
    assert_eq!(preview.sample_member_ids, vec![member.clone()]);

    // The first order refunded in full, twice: one order counts again.
    twice(
        &bus,
        "orders.order_refunded",
        &refunded(&t, first, &member, 12_050, 12_050, true),
    )
    .await;
    until_codes(
        &h,
        &member,
        &["purchase_first", "rfm_r_5", "rfm_f_1", "rfm_m_2"],
    )
    .await;
    // The member shown carries the same tags as segments see.
    let shown = h
        .members()
        .get_member(with(
            pb::GetMemberRequest {
                member_id: member.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .member
        .unwrap()
        .tag_ids;
    assert_eq!(shown.len(), 4);
    assert!(!shown.contains(&repeat));
    assert!(codes(&h, &other).await.is_empty(), "no order, no event");
}

#[tokio::test]
async fn the_nightly_pass_moves_recency_with_time_and_tags_members_who_never_ordered() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    let (never, _) = t.member(&h).await;
    let order = siyu_core::id::new();
    bus_events::publish(&bus, "orders.order_paid", &paid(&t, order, &member, 60_000)).await;
    until_codes(
        &h,
        &member,
        &["purchase_first", "rfm_r_5", "rfm_f_1", "rfm_m_3"],
    )
    .await;
    assert!(codes(&h, &never).await.is_empty());

    // 31 days on: the pass at midnight moves the member to R4 and tags the other.
    h.advance_days(31);
    until_codes(
        &h,
        &member,
        &["purchase_first", "rfm_r_4", "rfm_f_1", "rfm_m_3"],
    )
    .await;
    until_codes(&h, &never, &["purchase_none"]).await;
    // A year and more on, the order is outside the window: R1, F1, M1, still a first buyer.
    h.advance_days(340);
    until_codes(
        &h,
        &member,
        &["purchase_first", "rfm_r_1", "rfm_f_1", "rfm_m_1"],
    )
    .await;
    // One pass chain per tenant: a single job waiting, none failed.
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM siyu_jobs WHERE kind = 'membership.rfm_nightly' \
             AND status = 'pending'",
            vec![],
        )
        .await,
        1
    );
    assert_eq!(
        h.scalar(
            "SELECT COUNT(*) FROM siyu_jobs WHERE kind LIKE 'membership.%' AND status = 'failed'",
            vec![],
        )
        .await,
        0
    );
}

#[tokio::test]
async fn other_kinds_unknown_members_and_garbage_tag_nobody() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    let mut top_up = ev::OrderPaid {
        order: Some(snapshot(siyu_core::id::new(), &member, 50_000, 0)),
        ..Default::default()
    };
    if let Some(o) = top_up.order.as_mut() {
        o.kind = ev::OrderKind::StoredValueTopUp as i32;
    }
    let bodies = [
        bus_events::envelope(
            &t,
            "orders",
            &siyu_core::id::new_string(),
            "OrderPaid",
            top_up.encode_to_vec(),
        ),
        // A member of no tenant's, and one whose id is not an id.
        paid(
            &t,
            siyu_core::id::new(),
            &siyu_core::id::new_string(),
            9_900,
        ),
        paid(&t, siyu_core::id::new(), "not-a-member-id", 9_900),
        bus_events::envelope(
            &t,
            "orders",
            &siyu_core::id::new_string(),
            "OrderRefunded",
            vec![0xff, 0xff, 0xff],
        ),
    ];
    for body in &bodies {
        bus_events::publish(&bus, "orders.order_paid", body).await;
    }
    bus_events::handled(&h, bus_events::ORDERS, 4).await;
    assert!(codes(&h, &member).await.is_empty());
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM mem_tag_orders", vec![])
            .await,
        0,
        "nothing recorded"
    );
}

/// Hands `body` to the orders' consumer as a replica would.
async fn handle(app: &siyu_membership::app::App, body: &[u8]) {
    siyu_membership::events::consume::handle_for(app, bus_events::ORDERS, body, "m")
        .await
        .unwrap();
}

#[tokio::test]
async fn purchase_tags_and_the_nightly_pass_on_sqlite() {
    let h = H::sqlite().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    let (never, _) = t.member(&h).await;
    let app = siyu_membership::app::App::new(h.db.db.clone(), std::sync::Arc::new(h.clock.clone()));
    let first = siyu_core::id::new();
    let body = paid(&t, first, &member, 12_050);
    handle(&app, &body).await;
    handle(&app, &body).await;
    let second = siyu_core::id::new();
    handle(&app, &refunded(&t, second, &member, 40_000, 10_000, false)).await;
    handle(&app, &paid(&t, second, &member, 40_000)).await;
    handle(&app, &paid(&t, second, &member, 40_000)).await;
    until_codes(
        &h,
        &member,
        &["purchase_repeat", "rfm_r_5", "rfm_f_2", "rfm_m_2"],
    )
    .await;
    h.advance_days(31);
    let pass = app.rfm_pass(&h.db.db, t.id).await.unwrap().unwrap();
    assert_eq!(pass.buyers, 1);
    assert!(
        app.rfm_pass(&h.db.db, t.id).await.unwrap().is_none(),
        "not due again"
    );
    until_codes(
        &h,
        &member,
        &["purchase_repeat", "rfm_r_4", "rfm_f_2", "rfm_m_2"],
    )
    .await;
    until_codes(&h, &never, &["purchase_none"]).await;
}
