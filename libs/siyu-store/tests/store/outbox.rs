//! The outbox: rolled back → never published; committed → published exactly once, across a
//! relay restart, with the event id as the message id.

use std::time::Duration;

use sea_orm::TransactionTrait;
use siyu_core::TenantId;
use siyu_store::outbox::{self, OutgoingEvent, TraceContext};
use siyu_store::{ConsumerConfig, OutboxRelay};

use crate::per_backend;
use crate::support::{Kind, TestBus, TestDb, clock};

fn event(tag: &str) -> OutgoingEvent {
    OutgoingEvent {
        tenant: Some(TenantId(siyu_core::id::new())),
        event_type: "orders.order_paid".into(),
        subject: "orders.order_paid".into(),
        source: "orders".into(),
        occurred_at: clock().now(),
        trace: TraceContext {
            traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
            tracestate: None,
        },
        payload: tag.as_bytes().to_vec(),
    }
}

async fn rolled_back_event_is_never_published(kind: Kind) {
    let tdb = TestDb::new(kind).await;
    let tbus = TestBus::new(kind).await;
    let mut sub = tbus
        .bus
        .subscribe(ConsumerConfig::new("reader", "orders.>"))
        .await
        .unwrap();

    let txn = tdb.db.begin().await.unwrap();
    outbox::enqueue(&txn, event("rolled-back")).await.unwrap();
    txn.rollback().await.unwrap();

    let txn = tdb.db.begin().await.unwrap();
    let committed = outbox::enqueue(&txn, event("committed")).await.unwrap();
    txn.commit().await.unwrap();

    let relay = OutboxRelay::new(tdb.db.clone(), tbus.bus.clone(), clock());
    assert_eq!(relay.drain().await.unwrap(), 1);
    assert_eq!(outbox::pending_count(&tdb.db).await.unwrap(), 0);

    let got = sub
        .next_within(Duration::from_secs(5))
        .await
        .unwrap()
        .expect("committed event");
    assert_eq!(got.message.id, committed.to_string());
    assert_eq!(got.message.payload, b"committed");
    assert_eq!(
        got.message
            .headers
            .get(outbox::HEADER_TYPE)
            .map(String::as_str),
        Some("orders.order_paid")
    );
    assert!(got.message.headers.contains_key(outbox::HEADER_TRACEPARENT));
    got.ack().await.unwrap();
    assert!(
        sub.next_within(Duration::from_millis(500))
            .await
            .unwrap()
            .is_none(),
        "rolled-back event leaked"
    );
    tbus.cleanup().await;
}
per_backend!(rolled_back_event_is_never_published);

async fn committed_event_survives_a_relay_restart(kind: Kind) {
    let tdb = TestDb::new(kind).await;
    let tbus = TestBus::new(kind).await;

    // A relay exists while the event commits, then goes away before publishing (a crash).
    let first = OutboxRelay::new(tdb.db.clone(), tbus.bus.clone(), clock());
    let waker = first.waker();
    let txn = tdb.db.begin().await.unwrap();
    let id = outbox::enqueue(&txn, event("survivor")).await.unwrap();
    txn.commit().await.unwrap();
    waker.wake();
    drop(first);
    assert_eq!(outbox::pending_count(&tdb.db).await.unwrap(), 1);

    // A new process: its own pool, bus handle and relay, running in the background.
    let db2 = tdb.another_pool().await;
    let bus2 = tbus.reconnect().await;
    let relay =
        OutboxRelay::new(db2, bus2.clone(), clock()).with_poll_interval(Duration::from_millis(100));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(relay.run(async move {
        let _ = stopped.await;
    }));

    let mut sub = bus2
        .subscribe(ConsumerConfig::new("reader", ""))
        .await
        .unwrap();
    let got = sub
        .next_within(Duration::from_secs(10))
        .await
        .unwrap()
        .expect("event published after restart");
    assert_eq!(
        got.message.id,
        id.to_string(),
        "message id must be the event id"
    );
    got.ack().await.unwrap();
    crate::support::wait_until(Duration::from_secs(5), || async {
        outbox::pending_count(&tdb.db).await.unwrap() == 0
    })
    .await;
    stop.send(()).unwrap();
    task.await.unwrap();
    assert!(
        sub.next_within(Duration::from_millis(500))
            .await
            .unwrap()
            .is_none(),
        "published twice"
    );
    tbus.cleanup().await;
}
per_backend!(committed_event_survives_a_relay_restart);

async fn republish_after_crash_is_deduplicated(kind: Kind) {
    let tdb = TestDb::new(kind).await;
    let tbus = TestBus::new(kind).await;
    let txn = tdb.db.begin().await.unwrap();
    let id = outbox::enqueue(&txn, event("once")).await.unwrap();
    txn.commit().await.unwrap();

    // Simulate a relay that published, then died before marking the row published.
    let msg = siyu_store::BusMessage {
        id: id.to_string(),
        subject: "orders.order_paid".into(),
        headers: Default::default(),
        payload: b"once".to_vec(),
    };
    assert!(!tbus.bus.publish(msg).await.unwrap().duplicate);
    OutboxRelay::new(tdb.db.clone(), tbus.bus.clone(), clock())
        .drain()
        .await
        .unwrap();

    let mut sub = tbus
        .bus
        .subscribe(ConsumerConfig::new("reader", ""))
        .await
        .unwrap();
    let got = sub
        .next_within(Duration::from_secs(5))
        .await
        .unwrap()
        .expect("one delivery");
    assert_eq!(got.message.id, id.to_string());
    got.ack().await.unwrap();
    assert!(
        sub.next_within(Duration::from_millis(500))
            .await
            .unwrap()
            .is_none(),
        "duplicate delivered"
    );
    tbus.cleanup().await;
}
per_backend!(republish_after_crash_is_deduplicated);

async fn waker_publishes_without_waiting_for_the_poll(kind: Kind) {
    let tdb = TestDb::new(kind).await;
    let tbus = TestBus::new(kind).await;
    let txn = tdb.db.begin().await.unwrap();
    let marker_id = outbox::enqueue(&txn, event("marker")).await.unwrap();
    txn.commit().await.unwrap();
    let relay = OutboxRelay::new(tdb.db.clone(), tbus.bus.clone(), clock())
        .with_poll_interval(Duration::from_secs(3600));
    let waker = relay.waker();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(relay.run(async move {
        let _ = stopped.await;
    }));
    let mut sub = tbus
        .bus
        .subscribe(ConsumerConfig::new("reader", ""))
        .await
        .unwrap();
    // The relay's first pass publishes the marker; once it is seen, the relay is idle and only
    // a wake-up (or the one-hour poll) makes it look again.
    let marker = sub
        .next_within(Duration::from_secs(10))
        .await
        .unwrap()
        .expect("marker published");
    assert_eq!(marker.message.id, marker_id.to_string());
    marker.ack().await.unwrap();

    let txn = tdb.db.begin().await.unwrap();
    let id = outbox::enqueue(&txn, event("woken")).await.unwrap();
    txn.commit().await.unwrap();
    waker.wake();
    let got = sub
        .next_within(Duration::from_secs(10))
        .await
        .unwrap()
        .expect("published after wake");
    assert_eq!(got.message.id, id.to_string());
    stop.send(()).unwrap();
    task.await.unwrap();
    tbus.cleanup().await;
}
per_backend!(waker_publishes_without_waiting_for_the_poll);

/// A batch is sent before its acknowledgements are awaited: the stream must still hold every
/// event once, in the order they were committed, across several batches.
async fn batches_publish_every_event_once_in_order(kind: Kind) {
    let tdb = TestDb::new(kind).await;
    let tbus = TestBus::new(kind).await;
    let mut sub = tbus
        .bus
        .subscribe(ConsumerConfig::new("reader", "orders.>"))
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..250 {
        let txn = tdb.db.begin().await.unwrap();
        ids.push(
            outbox::enqueue(&txn, event(&format!("e{i}")))
                .await
                .unwrap()
                .to_string(),
        );
        txn.commit().await.unwrap();
    }
    let relay = OutboxRelay::new(tdb.db.clone(), tbus.bus.clone(), clock()).with_batch(100);
    assert_eq!(relay.drain().await.unwrap(), 250);
    assert_eq!(outbox::pending_count(&tdb.db).await.unwrap(), 0);
    // A second pass finds nothing: every row of every batch was marked.
    assert_eq!(relay.drain().await.unwrap(), 0);
    let mut got = Vec::new();
    while let Some(d) = sub.next_within(Duration::from_secs(2)).await.unwrap() {
        got.push(d.message.id.clone());
        d.ack().await.unwrap();
        if got.len() == ids.len() {
            break;
        }
    }
    assert_eq!(got, ids);
    assert!(
        sub.next_within(Duration::from_millis(300))
            .await
            .unwrap()
            .is_none(),
        "nothing published twice"
    );
    tbus.cleanup().await;
}
per_backend!(batches_publish_every_event_once_in_order);
