//! The bus on NATS JetStream and in memory: publish/consume/ack, redelivery after nak or ack
//! wait, and de-duplication by message id.

use std::collections::BTreeMap;
use std::time::Duration;

use siyu_store::{BusMessage, ConsumerConfig};

use crate::per_backend;
use crate::support::{Kind, TestBus};

fn msg(id: &str, subject: &str) -> BusMessage {
    let mut headers = BTreeMap::new();
    headers.insert("siyu-event-type".to_owned(), subject.to_owned());
    BusMessage {
        id: id.to_owned(),
        subject: subject.to_owned(),
        headers,
        payload: id.as_bytes().to_vec(),
    }
}

async fn publish_consume_ack(kind: Kind) {
    let t = TestBus::new(kind).await;
    for id in ["m1", "m2", "m3"] {
        assert!(
            !t.bus
                .publish(msg(id, "orders.paid"))
                .await
                .unwrap()
                .duplicate
        );
    }
    t.bus.publish(msg("other", "catalog.stock")).await.unwrap();
    let mut sub = t
        .bus
        .subscribe(ConsumerConfig::new("orders-reader", "orders.>"))
        .await
        .unwrap();
    for id in ["m1", "m2", "m3"] {
        let d = sub
            .next_within(Duration::from_secs(5))
            .await
            .unwrap()
            .expect("a delivery");
        assert_eq!(d.message.id, id);
        assert_eq!(d.message.subject, "orders.paid");
        assert_eq!(d.message.payload, id.as_bytes());
        assert_eq!(
            d.message.headers.get("siyu-event-type").map(String::as_str),
            Some("orders.paid")
        );
        assert_eq!(d.delivered, 1);
        d.ack().await.unwrap();
    }
    assert!(
        sub.next_within(Duration::from_millis(500))
            .await
            .unwrap()
            .is_none(),
        "acked or filtered message came back"
    );
    t.cleanup().await;
}
per_backend!(publish_consume_ack);

async fn nakd_message_is_redelivered(kind: Kind) {
    let t = TestBus::new(kind).await;
    t.bus.publish(msg("n1", "orders.paid")).await.unwrap();
    let mut sub = t
        .bus
        .subscribe(ConsumerConfig::new("reader", ""))
        .await
        .unwrap();
    let first = sub
        .next_within(Duration::from_secs(5))
        .await
        .unwrap()
        .expect("first delivery");
    assert_eq!(first.delivered, 1);
    first.nak(None).await.unwrap();
    let again = sub
        .next_within(Duration::from_secs(5))
        .await
        .unwrap()
        .expect("redelivery after nak");
    assert_eq!(again.message.id, "n1");
    assert_eq!(again.delivered, 2);
    again.ack().await.unwrap();
    assert!(
        sub.next_within(Duration::from_millis(500))
            .await
            .unwrap()
            .is_none()
    );
    t.cleanup().await;
}
per_backend!(nakd_message_is_redelivered);

async fn unacked_message_is_redelivered_after_ack_wait(kind: Kind) {
    let t = TestBus::new(kind).await;
    t.bus.publish(msg("u1", "orders.paid")).await.unwrap();
    let mut config = ConsumerConfig::new("slow-reader", "");
    config.ack_wait = Duration::from_secs(1);
    let mut sub = t.bus.subscribe(config).await.unwrap();
    let first = sub
        .next_within(Duration::from_secs(5))
        .await
        .unwrap()
        .expect("first delivery");
    drop(first); // a consumer that crashed before acking
    let again = sub
        .next_within(Duration::from_secs(10))
        .await
        .unwrap()
        .expect("redelivery after ack wait");
    assert_eq!(again.message.id, "u1");
    assert!(again.delivered >= 2);
    again.ack().await.unwrap();
    t.cleanup().await;
}
per_backend!(unacked_message_is_redelivered_after_ack_wait);

async fn duplicate_message_id_is_stored_once(kind: Kind) {
    let t = TestBus::new(kind).await;
    assert!(
        !t.bus
            .publish(msg("d1", "orders.paid"))
            .await
            .unwrap()
            .duplicate
    );
    // Another process publishing the same id (a relay retried after a crash).
    let other = t.reconnect().await;
    assert!(
        other
            .publish(msg("d1", "orders.paid"))
            .await
            .unwrap()
            .duplicate
    );
    let mut sub = t
        .bus
        .subscribe(ConsumerConfig::new("reader", ""))
        .await
        .unwrap();
    let d = sub
        .next_within(Duration::from_secs(5))
        .await
        .unwrap()
        .expect("one delivery");
    assert_eq!(d.message.id, "d1");
    d.ack().await.unwrap();
    assert!(
        sub.next_within(Duration::from_millis(500))
            .await
            .unwrap()
            .is_none(),
        "duplicate was stored"
    );
    t.cleanup().await;
}
per_backend!(duplicate_message_id_is_stored_once);
