//! The events membership receives and rightly leaves alone, on the real NATS bus, each delivered
//! twice and out of order: UserRegistered (enrolment is explicit), OrderCreated (no purchase
//! yet), OrderCompleted and the after-sale cases (money moves only with the OrderRefunded that
//! follows) — handled, recorded in the inbox, and nothing of the member changes.

use prost::Message;
use sea_orm::Value;
use siyu_proto::events::v1 as ev;

use crate::bus_events;
use crate::harness::{H, Tenant};
use crate::order_events::money;

fn order(
    t: &Tenant,
    type_name: &str,
    member: &str,
    payload: impl Fn(ev::OrderSnapshot) -> Vec<u8>,
) -> Vec<u8> {
    let snapshot = ev::OrderSnapshot {
        order_id: siyu_core::id::new_string(),
        member_id: member.into(),
        kind: ev::OrderKind::Goods as i32,
        lines: vec![ev::OrderEventLine {
            order_line_id: siyu_core::id::new_string(),
            quantity: 1,
            cash_amount: money(50_000),
            ..Default::default()
        }],
        ..Default::default()
    };
    bus_events::envelope(
        t,
        "orders",
        &siyu_core::id::new_string(),
        type_name,
        payload(snapshot),
    )
}

#[tokio::test]
async fn registrations_unpaid_completed_orders_and_after_sales_change_nothing() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    let (member, _) = t.member(&h).await;
    let registered = bus_events::envelope(
        &t,
        "identity",
        &siyu_core::id::new_string(),
        "UserRegistered",
        ev::UserRegistered {
            user_id: siyu_core::id::new_string(),
            login_method: "wechat_mini_program".into(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    let created = order(&t, "OrderCreated", &member, |o| {
        ev::OrderCreated {
            order: Some(o),
            ..Default::default()
        }
        .encode_to_vec()
    });
    let completed = order(&t, "OrderCompleted", &member, |o| {
        ev::OrderCompleted {
            order: Some(o),
            ..Default::default()
        }
        .encode_to_vec()
    });
    let opened = order(&t, "AfterSaleOpened", &member, |_| {
        ev::AfterSaleOpened {
            after_sale_id: siyu_core::id::new_string(),
            ..Default::default()
        }
        .encode_to_vec()
    });
    let closed = order(&t, "AfterSaleClosed", &member, |_| {
        ev::AfterSaleClosed {
            after_sale_id: siyu_core::id::new_string(),
            ..Default::default()
        }
        .encode_to_vec()
    });
    let tenant = || vec![Value::Uuid(Some(t.id.0))];
    let tables = [
        "mem_members",
        "mem_entries",
        "mem_tag_orders",
        "mem_order_earnings",
        "mem_member_tags",
        "mem_growth_changes",
    ];
    let mut before = Vec::new();
    for table in tables {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE tenant = $1");
        before.push(h.scalar(&sql, tenant()).await);
    }
    // Out of order (closed before opened, completed before created), each twice.
    for body in [
        &closed, &completed, &opened, &created, &closed, &completed, &opened, &created,
    ] {
        bus_events::publish(&bus, "orders.order_event", body).await;
    }
    bus_events::publish(&bus, "identity.user_registered", &registered).await;
    bus_events::publish(&bus, "identity.user_registered", &registered).await;
    bus_events::handled(&h, bus_events::ORDERS, 4).await;
    bus_events::handled(&h, bus_events::IDENTITY, 1).await;
    for (table, was) in tables.iter().zip(before) {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE tenant = $1");
        assert_eq!(h.scalar(&sql, tenant()).await, was, "{table}");
    }
    assert_eq!(t.balances(&h, &member).await.points_available, 0);
}
