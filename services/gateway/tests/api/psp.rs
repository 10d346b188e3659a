//! PSP callbacks (WeChat Pay notifications) reach the owning service byte for byte, with the
//! gateway's own service token, and are answered in WeChat Pay's form.

use std::sync::atomic::Ordering;

use crate::support::{Backend, TestApp};

const PATH: &str = "/psp/wechatpay/v1/notify/rk_0123456789abcdef";

/// A notification body exactly as WeChat sends it: not ours to parse or re-encode.
const BODY: &[u8] = br#"{"id":"EV-2018022511223320873","create_time":"2015-05-20T13:29:35+08:00","resource_type":"encrypt-resource","event_type":"TRANSACTION.SUCCESS","resource":{"algorithm":"AEAD_AES_256_GCM","ciphertext":"...","nonce":"fdasflkja484w","associated_data":""}}  "#;

async fn notify(app: &TestApp, body: &'static [u8]) -> reqwest::Response {
    app.http
        .post(app.url(PATH))
        .header("content-type", "application/json")
        .header("wechatpay-timestamp", "1554208460")
        .header("wechatpay-nonce", "593BEC0C930BF1AFEB40B4A08C8FB242")
        .header("wechatpay-signature", "c2lnbmF0dXJl")
        .header("wechatpay-serial", "PUB_KEY_ID_0114232134912410000000000")
        // A bearer token from the caller is never forwarded on a raw route.
        .bearer_auth("not-a-token")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn notifications_reach_the_service_untouched_with_the_gateway_token() {
    let app = TestApp::spawn(Backend::Memory).await;
    for _ in 0..2 {
        let response = notify(&app, BODY).await;
        assert_eq!(response.status(), 200);
        assert!(response.bytes().await.unwrap().is_empty());
    }
    let seen = app.identity.seen.notifications.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    let n = &seen[0];
    assert_eq!(n.body, BODY, "the body must arrive byte for byte");
    assert_eq!(n.route_key, "rk_0123456789abcdef");
    assert_eq!(n.wechatpay_timestamp, "1554208460");
    assert_eq!(n.wechatpay_nonce, "593BEC0C930BF1AFEB40B4A08C8FB242");
    assert_eq!(n.wechatpay_signature, "c2lnbmF0dXJl");
    assert_eq!(n.wechatpay_serial, "PUB_KEY_ID_0114232134912410000000000");
    assert_eq!(n.wechatpay_signature_type, "");
    assert_eq!(
        app.identity.last_metadata()["authorization"],
        "Bearer service-token-0"
    );
    // One token serves both notifications.
    assert_eq!(
        app.identity.seen.service_token_calls.load(Ordering::SeqCst),
        1
    );
}

#[tokio::test]
async fn refusals_are_answered_so_that_wechat_retries() {
    let app = TestApp::spawn(Backend::Memory).await;
    let response = notify(&app, b"bad-signature").await;
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"code": "FAIL", "message": "PAYMENT_SIGNATURE_INVALID"})
    );

    let big: &'static [u8] = Box::leak(vec![b'x'; 70 * 1024].into_boxed_slice());
    let response = notify(&app, big).await;
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "FAIL");
}
