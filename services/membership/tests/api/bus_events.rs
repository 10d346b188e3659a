//! Events on the real bus for the consumer tests: envelopes as the producing services write
//! them, publishing under fresh bus message ids (a redelivery, as far as the inbox can tell),
//! and waiting until a consumer's inbox has handled so many.

use std::time::Duration;

use prost::Message;
use siyu_proto::events::v1 as ev;
use siyu_store::{Bus, BusMessage};

use crate::harness::{H, Tenant};

/// The inbox consumer of orders' events.
pub const ORDERS: &str = "membership-orders";
/// The inbox consumer of identity's events.
pub const IDENTITY: &str = "membership-identity";

/// An `EventEnvelope` of `t` from `source`, with event id `event`, carrying
/// `siyu.events.v1.<type_name>`.
pub fn envelope(
    t: &Tenant,
    source: &str,
    event: &str,
    type_name: &str,
    payload: Vec<u8>,
) -> Vec<u8> {
    ev::EventEnvelope {
        id: event.to_owned(),
        tenant_id: t.id.to_string(),
        r#type: format!("siyu.events.v1.{type_name}"),
        source: source.into(),
        payload: Some(prost_types::Any {
            type_url: format!("type.googleapis.com/siyu.events.v1.{type_name}"),
            value: payload,
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

/// Publishes `body` on `subject` under a fresh bus message id.
pub async fn publish(bus: &Bus, subject: &str, body: &[u8]) {
    bus.publish(BusMessage {
        id: siyu_core::id::new_string(),
        subject: subject.into(),
        headers: Default::default(),
        payload: body.to_vec(),
    })
    .await
    .unwrap();
}

/// Waits (up to 20 s) until `consumer` has handled at least `n` messages.
pub async fn handled(h: &H, consumer: &str, n: i64) {
    let sql = format!("SELECT COUNT(*) FROM siyu_inbox WHERE consumer = '{consumer}'");
    siyu_testkit::wait_until(Duration::from_secs(20), || async {
        h.scalar(&sql, vec![]).await >= n
    })
    .await
    .unwrap_or_else(|_| panic!("{n} events were never handled by {consumer}"));
}
