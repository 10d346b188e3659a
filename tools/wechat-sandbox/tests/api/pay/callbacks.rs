//! Callback delivery: retried on WeChat's (scaled) schedule until acknowledged, resent on
//! demand with the same id.

use serde_json::json;

use super::support::PayTest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_notify_url_is_retried_on_the_schedule() {
    let t = PayTest::start().await;
    let mut order = t.order("SIYU20261207601", 100);
    // Port 9 (discard) on loopback: nothing listens, every attempt is refused.
    order.notify_url = "http://127.0.0.1:9/pay/notify".into();
    let prepay = t.client.jsapi_prepay(&order).await.unwrap();
    t.pay(&prepay.prepay_id).await;
    for _ in 0..500 {
        let log = t.notifications().await;
        let attempts = log["notifications"][0]["attempts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if attempts.len() >= 4 {
            assert!(
                attempts
                    .iter()
                    .all(|a| a["status"].is_null() && a["error"].is_string())
            );
            assert_eq!(log["notifications"][0]["acknowledged"], false);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the callback was not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_callback_keeps_its_id_and_verifies_again() {
    let t = PayTest::start().await;
    let prepay = t
        .client
        .jsapi_prepay(&t.order("SIYU20261207602", 100))
        .await
        .unwrap();
    t.pay(&prepay.prepay_id).await;
    let first = t.received(1).await[0].verdict.clone().unwrap();
    let (status, _) = t
        .control("/notifications/resend", json!({ "id": first.envelope.id }))
        .await;
    assert_eq!(status, 204);
    let second = t.received(2).await[1].verdict.clone().unwrap();
    assert_eq!(second.envelope.id, first.envelope.id);
    assert_eq!(second.plaintext, first.plaintext);
    let (status, _) = t
        .control("/notifications/resend", json!({ "id": "nope" }))
        .await;
    assert_eq!(status, 404);
}
