//! Orders' events as the orders service will publish them, for journeys that need a paid and
//! settled order before that service exists: `EventEnvelope`s carrying `OrderPaid` and
//! `OrderSettled`, published on the suite's bus.
//!
//! The messages are written with a few lines of protobuf wire format rather than `prost`, which
//! this crate does not depend on; the field numbers are those of `proto/siyu/events/v1`.

use siyu_store::{Bus, BusMessage};

use crate::support::{Tenant, World};

/// A protobuf message under construction.
#[derive(Default)]
struct Wire(Vec<u8>);

impl Wire {
    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.0.push((value as u8 & 0x7f) | 0x80);
            value >>= 7;
        }
        self.0.push(value as u8);
    }

    /// A varint field (wire type 0).
    fn int(mut self, field: u32, value: u64) -> Self {
        self.varint(u64::from(field << 3));
        self.varint(value);
        self
    }

    /// A length-delimited field (wire type 2): a string, bytes or an embedded message.
    fn bytes(mut self, field: u32, value: &[u8]) -> Self {
        self.varint(u64::from((field << 3) | 2));
        self.varint(value.len() as u64);
        self.0.extend_from_slice(value);
        self
    }

    fn text(self, field: u32, value: &str) -> Self {
        self.bytes(field, value.as_bytes())
    }
}

/// `OrderSnapshot` of a goods order (`kind` 1) by `buyer`, one line of `cash_fen` for `sku`.
fn snapshot(order: &str, buyer: &str, sku: &str, cash_fen: u64) -> Vec<u8> {
    let money = Wire::default().int(1, cash_fen).text(2, "CNY").0;
    let line = Wire::default()
        .text(1, "line-1")
        .text(2, sku)
        .int(6, 1)
        .bytes(14, &money)
        .0;
    Wire::default()
        .text(1, order)
        .text(4, buyer)
        .bytes(9, &line)
        .int(14, 1)
        .0
}

/// An `EventEnvelope` from orders carrying `siyu.events.v1.<type_name>`.
fn envelope(tenant: &Tenant, type_name: &str, payload: &[u8]) -> Vec<u8> {
    let any = Wire::default()
        .text(
            1,
            &format!("type.googleapis.com/siyu.events.v1.{type_name}"),
        )
        .bytes(2, payload)
        .0;
    Wire::default()
        .text(1, &siyu_core::id::new_string())
        .text(2, &tenant.id)
        .text(3, &format!("siyu.events.v1.{type_name}"))
        .text(5, "orders")
        .bytes(9, &any)
        .0
}

/// Publishes OrderPaid, then OrderSettled, of a goods order of one line of `cash_fen` bought
/// by `buyer`, as orders does when the payment lands and the after-sale window closes.
pub async fn paid_and_settled(world: &World, tenant: &Tenant, buyer: &str, cash_fen: u64) {
    let bus = Bus::connect(&siyu_testkit::env::nats_url(), world.bus.clone())
        .await
        .unwrap();
    let order = siyu_core::id::new_string();
    let order_snapshot = snapshot(&order, buyer, "sku-serum", cash_fen);
    // OrderPaid { order = 1 } and OrderSettled { order = 1 }.
    let paid = Wire::default().bytes(1, &order_snapshot).0;
    for (subject, type_name) in [
        ("orders.order_paid", "OrderPaid"),
        ("orders.order_settled", "OrderSettled"),
    ] {
        bus.publish(BusMessage {
            id: siyu_core::id::new_string(),
            subject: subject.into(),
            headers: Default::default(),
            payload: envelope(tenant, type_name, &paid),
        })
        .await
        .unwrap();
    }
}
