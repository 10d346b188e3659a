//! Orders' events consumed from the real bus by two replicas: OrderPaid with an attribution
//! becomes an attributed order, OrderRefunded reduces its GMV; the same event delivered twice
//! (same envelope id, new bus message id), a refund delivered before its payment, and a
//! second OrderPaid for the same order count once.

use std::sync::Arc;
use std::time::Duration;

use siyu_auth::SigningKey;
use siyu_content::settings::Settings;
use siyu_content::{Application, Overrides};
use siyu_proto::common::v1 as common;
use siyu_proto::content::v1 as pb;
use siyu_store::{Bus, BusConfig, BusMessage};

use crate::harness::{H, Tenant};
use crate::share_links::{content_link, create, funnel, order_event};

/// A replica on `h`'s database consuming from `bus`, with its jobs running.
async fn consumer(h: &H, bus: &BusConfig) -> Application {
    let key = SigningKey::ed25519_from_seed("k1", &[7u8; 32]).unwrap();
    let mut s = Settings {
        database: siyu_config::DatabaseSettings::new(h.db.url()),
        ..Settings::default()
    };
    s.server.grpc_addr = "127.0.0.1:0".parse().unwrap();
    s.server.admin_addr = "127.0.0.1:0".parse().unwrap();
    s.bus.url = siyu_testkit::env::nats_url().into();
    s.bus.subject_prefix.clone_from(&bus.subject_prefix);
    s.bus.stream.clone_from(&bus.stream);
    s.content.run_jobs = true;
    s.content.jobs_interval_secs = 1;
    Application::build_with(
        s,
        Overrides {
            clock: Some(Arc::new(h.clock.clone())),
            jwks: Some(SigningKey::jwks([&key])),
            guests: None,
        },
    )
    .await
    .unwrap()
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

/// (orders, GMV) of the funnel's only content row, once the consumers have caught up.
async fn until(h: &H, token: &str, want: (i64, i64)) {
    let got = || async {
        let r = funnel(h, token, pb::FunnelDimension::Content).await;
        r.rows
            .first()
            .map(|r| (r.orders, r.gmv.clone().unwrap_or_default().minor_units))
    };
    siyu_testkit::wait_until(Duration::from_secs(20), || async {
        got().await == Some(want)
    })
    .await
    .unwrap_or_else(|_| panic!("the funnel never reached (orders, GMV) {want:?}"));
}

#[tokio::test]
async fn order_events_on_the_bus_are_attributed_once() {
    let h = H::pg().await;
    let (bus, config) = siyu_testkit::test_bus().await.unwrap();
    let replicas = [consumer(&h, &config).await, consumer(&h, &config).await];
    let t = Tenant::new(&h);
    let article = h.article(&t.admin, "穿搭指南", &[]).await;
    let link = create(&h, &t.admin, content_link(&article.content_id))
        .await
        .share_link
        .unwrap();
    let attribution = common::Attribution {
        share_link_id: link.share_link_id.clone(),
        content_id: article.content_id.clone(),
        scene_code: link.scene_code.clone(),
        ..Default::default()
    };

    // o-1: paid, delivered twice, then a second OrderPaid event for the same order.
    let paid = order_event(t.id, "OrderPaid", "o-1", &attribution, None, 10_000);
    publish(&bus, "orders.order_paid", &paid).await;
    publish(&bus, "orders.order_paid", &paid).await;
    let again = order_event(t.id, "OrderPaid", "o-1", &attribution, None, 10_000);
    publish(&bus, "orders.order_paid", &again).await;
    until(&h, &t.admin, (1, 10_000)).await;

    // o-2: its refund arrives before its payment, twice; then the payment.
    let refund = order_event(
        t.id,
        "OrderRefunded",
        "o-2",
        &attribution,
        Some(("r-2", 1_500)),
        0,
    );
    publish(&bus, "orders.order_refunded", &refund).await;
    publish(&bus, "orders.order_refunded", &refund).await;
    let paid2 = order_event(t.id, "OrderPaid", "o-2", &attribution, None, 5_000);
    publish(&bus, "orders.order_paid", &paid2).await;
    until(&h, &t.admin, (2, 13_500)).await;

    // Nothing more arrives late.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM cnt_attributed_orders", vec![])
            .await,
        2
    );
    assert_eq!(
        h.scalar("SELECT COUNT(*) FROM cnt_attributed_refunds", vec![])
            .await,
        1
    );
    let by_link = funnel(&h, &t.admin, pb::FunnelDimension::ShareLink).await;
    assert_eq!(by_link.rows[0].key, link.share_link_id);
    assert_eq!(by_link.rows[0].orders, 2);
    for r in replicas {
        r.stop().await.unwrap();
    }
}
