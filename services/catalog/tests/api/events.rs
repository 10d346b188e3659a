//! Orders' events consumed from the bus: OrderPaid confirms, OrderCancelled (unpaid) releases,
//! OrderRefunded lines with restock put units back; the same event delivered twice (same
//! envelope id, new bus message id) and two events for the same order apply once.

use std::time::Duration;

use prost::Message;
use siyu_proto::events::v1 as ev;
use siyu_store::{Bus, BusMessage};
use uuid::Uuid;

use crate::harness::{H, Tenant, reserve_req, with};

fn envelope(tenant: &Tenant, id: Uuid, ty: &str, payload: Vec<u8>) -> Vec<u8> {
    ev::EventEnvelope {
        id: id.to_string(),
        tenant_id: tenant.id.to_string(),
        r#type: format!("siyu.events.v1.{ty}"),
        source: "orders".into(),
        payload: Some(prost_types::Any {
            type_url: format!("type.googleapis.com/siyu.events.v1.{ty}"),
            value: payload,
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

/// Publishes `body` under a fresh bus message id (a redelivery, as far as the inbox can tell).
async fn publish(bus: &Bus, subject: &str, body: &[u8]) {
    bus.publish(BusMessage {
        id: siyu_core::id::new_string(),
        subject: subject.into(),
        headers: Default::default(),
        payload: body.to_vec(),
    })
    .await
    .unwrap();
}

fn order(id: Uuid) -> Option<ev::OrderSnapshot> {
    Some(ev::OrderSnapshot {
        order_id: id.to_string(),
        ..Default::default()
    })
}

async fn stock(h: &H, sku: Uuid) -> (i64, i64) {
    let v = || vec![sea_orm::Value::Uuid(Some(sku))];
    (
        h.scalar("SELECT on_hand FROM inv_stock WHERE sku_id = $1", v())
            .await,
        h.scalar("SELECT reserved FROM inv_stock WHERE sku_id = $1", v())
            .await,
    )
}

async fn until(h: &H, sku: Uuid, want: (i64, i64)) {
    siyu_testkit::wait_until(Duration::from_secs(20), || async {
        stock(h, sku).await == want
    })
    .await
    .unwrap_or_else(|_| panic!("stock never reached {want:?}"));
}

async fn movements(h: &H, order: Uuid) -> i64 {
    h.scalar(
        "SELECT COUNT(*) FROM inv_movements WHERE order_id = $1",
        vec![order.to_string().into()],
    )
    .await
}

#[tokio::test]
async fn order_events_confirm_release_and_restock_exactly_once() {
    let (h, bus) = H::pg_with_bus().await;
    let t = Tenant::new(&h).await;
    let store = t.store(&h, 31.2).await;
    let sku = h.sku(t.id).await;
    t.receive(&h, store, sku, 10).await;
    let (paid, cancelled) = (siyu_core::id::new(), siyu_core::id::new());
    for (o, q) in [(paid, 3), (cancelled, 2)] {
        h.client()
            .reserve_stock(with(reserve_req(o, store, &[(sku, q)]), &t.service))
            .await
            .unwrap();
    }
    until(&h, sku, (10, 5)).await;

    // OrderPaid, delivered twice with the same envelope id, plus a second OrderPaid event for
    // the same order (a PSP duplicate): one SALE movement, stock drops once.
    let paid_event = envelope(
        &t,
        siyu_core::id::new(),
        "OrderPaid",
        ev::OrderPaid {
            order: order(paid),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    publish(&bus, "orders.order_paid", &paid_event).await;
    publish(&bus, "orders.order_paid", &paid_event).await;
    let again = envelope(
        &t,
        siyu_core::id::new(),
        "OrderPaid",
        ev::OrderPaid {
            order: order(paid),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    publish(&bus, "orders.order_paid", &again).await;
    until(&h, sku, (7, 2)).await;

    // OrderCancelled (unpaid), twice: the hold of 2 is released once.
    let cancel = envelope(
        &t,
        siyu_core::id::new(),
        "OrderCancelled",
        ev::OrderCancelled {
            order: order(cancelled),
            was_paid: false,
            ..Default::default()
        }
        .encode_to_vec(),
    );
    publish(&bus, "orders.order_cancelled", &cancel).await;
    publish(&bus, "orders.order_cancelled", &cancel).await;
    until(&h, sku, (7, 0)).await;

    // OrderRefunded with a restock line of 2, twice: on hand back up by 2 once; a line without
    // restock changes nothing.
    let refund = envelope(
        &t,
        siyu_core::id::new(),
        "OrderRefunded",
        ev::OrderRefunded {
            order: order(paid),
            refund_id: "rf-1".into(),
            lines: vec![
                ev::OrderRefundedLine {
                    sku_id: sku.to_string(),
                    quantity: 2,
                    restock: true,
                    location_id: store.to_string(),
                    ..Default::default()
                },
                ev::OrderRefundedLine {
                    sku_id: sku.to_string(),
                    quantity: 1,
                    restock: false,
                    location_id: store.to_string(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
        .encode_to_vec(),
    );
    publish(&bus, "orders.order_refunded", &refund).await;
    publish(&bus, "orders.order_refunded", &refund).await;
    until(&h, sku, (9, 0)).await;

    // A marker event published last: once it is applied, every earlier delivery was handled
    // (one consumer, in order), so the counts below are final.
    let marker_order = siyu_core::id::new();
    h.client()
        .reserve_stock(with(
            reserve_req(marker_order, store, &[(sku, 1)]),
            &t.service,
        ))
        .await
        .unwrap();
    let marker = envelope(
        &t,
        siyu_core::id::new(),
        "OrderCancelled",
        ev::OrderCancelled {
            order: order(marker_order),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    publish(&bus, "orders.order_cancelled", &marker).await;
    until(&h, sku, (9, 0)).await;
    assert_eq!(
        movements(&h, paid).await,
        2,
        "one SALE and one RETURN for the paid order"
    );
    assert_eq!(
        movements(&h, cancelled).await,
        0,
        "a release moves no on-hand"
    );
    crate::harness::assert_invariants(&h).await;
    let _ = bus.delete_stream().await;
}
