//! The happy path and the order lifecycle: prepay → requestPayment → pay → callback → query;
//! failed attempts, close, close-after-pay, prepay refresh after 2 hours, duplicates.

use base64::Engine as _;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::sha2::Sha256;
use rsa::signature::Verifier as _;
use serde_json::json;
use siyu_wechatpay::model::TradeState;
use siyu_wechatpay::sign::pay_sign_message;

use super::support::{APPID, OPENID, PayTest, assert_api_error};

fn merchant_public_key(pem: &str) -> VerifyingKey<Sha256> {
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(pem).unwrap();
    VerifyingKey::new(rsa::RsaPublicKey::from(&private))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepay_pay_callback_and_query_end_to_end() {
    let t = PayTest::start().await;
    let order = t.order("SIYU20261207001", 2590);
    let prepay = t.client.jsapi_prepay(&order).await.unwrap();
    assert!(
        prepay.prepay_id.starts_with("wx") && prepay.prepay_id.len() == 36,
        "{prepay:?}"
    );

    // The mini program's parameters verify with the merchant key over the 4-line message.
    let params = t.client.request_payment(APPID, &prepay.prepay_id);
    assert_eq!(params.package, format!("prepay_id={}", prepay.prepay_id));
    assert_eq!(params.sign_type, "RSA");
    assert_eq!(params.time_stamp, t.now().to_string());
    let message = pay_sign_message(
        APPID,
        &params.time_stamp,
        &params.nonce_str,
        &params.package,
    );
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&params.pay_sign)
        .unwrap();
    let key = merchant_public_key(t.merchant.private_key_pem.as_deref().unwrap());
    key.verify(
        message.as_bytes(),
        &Signature::try_from(raw.as_slice()).unwrap(),
    )
    .unwrap();

    // Unpaid: NOTPAY, no payment facts, no transaction id to query by.
    let unpaid = t
        .client
        .query_by_out_trade_no("SIYU20261207001")
        .await
        .unwrap();
    assert_eq!(unpaid.trade_state, TradeState::NotPay);
    assert!(
        unpaid.transaction_id.is_none() && unpaid.payer.is_none() && unpaid.success_time.is_none()
    );
    assert!(unpaid.attach.is_none(), "attach is echoed only once paid");

    let paid = t.pay(&prepay.prepay_id).await;
    let received = t.received(1).await;
    let verified = received[0].verdict.clone().unwrap();
    assert_eq!(verified.envelope.event_type, "TRANSACTION.SUCCESS");
    assert_eq!(verified.envelope.resource.associated_data, "transaction");
    let transaction = verified.transaction().unwrap();
    transaction
        .ensure_matches(&t.merchant.mchid, APPID, "SIYU20261207001", 2590)
        .unwrap();
    assert_eq!(transaction.trade_state, TradeState::Success);
    assert_eq!(transaction.payer.as_ref().unwrap().openid, OPENID);
    assert_eq!(transaction.attach.as_deref(), Some("store=42"));
    assert_eq!(
        transaction.transaction_id.as_deref(),
        paid["transaction_id"].as_str()
    );

    let by_no = t
        .client
        .query_by_out_trade_no("SIYU20261207001")
        .await
        .unwrap();
    assert_eq!(by_no.trade_state, TradeState::Success);
    let id = by_no.transaction_id.clone().unwrap();
    let by_id = t.client.query_by_transaction_id(&id).await.unwrap();
    assert_eq!(by_id, by_no);

    // The notify endpoint acknowledged it once; the sandbox stopped there.
    let log = t.notifications().await;
    assert_eq!(log["notifications"][0]["acknowledged"], true);
    assert_eq!(
        log["notifications"][0]["attempts"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_attempt_stays_notpay_then_close_is_final() {
    let t = PayTest::start().await;
    let prepay = t
        .client
        .jsapi_prepay(&t.order("SIYU20261207002", 100))
        .await
        .unwrap();
    let (status, body) = t
        .control(
            "/transactions/fail",
            json!({ "prepay_id": prepay.prepay_id }),
        )
        .await;
    assert_eq!(
        (status, body["trade_state"].as_str()),
        (200, Some("NOTPAY"))
    );
    let (status, _) = t
        .control(
            "/transactions/abandon",
            json!({ "prepay_id": prepay.prepay_id }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        t.notifications().await["notifications"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "no callback for a failure"
    );

    t.client.close("SIYU20261207002").await.unwrap();
    t.client.close("SIYU20261207002").await.unwrap(); // re-entrant
    let closed = t
        .client
        .query_by_out_trade_no("SIYU20261207002")
        .await
        .unwrap();
    assert_eq!(closed.trade_state, TradeState::Closed);
    let (status, _) = t
        .control(
            "/transactions/pay",
            json!({ "prepay_id": prepay.prepay_id }),
        )
        .await;
    assert_eq!(status, 409, "a closed order cannot be paid");
    assert_api_error(
        t.client
            .jsapi_prepay(&t.order("SIYU20261207002", 100))
            .await,
        400,
        "ORDER_CLOSED",
    );
    // A mistyped out_trade_no still answers 204, as observed in production.
    t.client.close("SIYU_NEVER_ORDERED").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_paid_order_is_refused_and_the_payment_stands() {
    let t = PayTest::start().await;
    let prepay = t
        .client
        .jsapi_prepay(&t.order("SIYU20261207003", 100))
        .await
        .unwrap();
    t.pay(&prepay.prepay_id).await;
    assert_api_error(t.client.close("SIYU20261207003").await, 400, "ORDERPAID");
    assert_eq!(
        t.client
            .query_by_out_trade_no("SIYU20261207003")
            .await
            .unwrap()
            .trade_state,
        TradeState::Success
    );
    assert!(t.received(1).await[0].verdict.is_ok());
    assert_api_error(
        t.client
            .jsapi_prepay(&t.order("SIYU20261207003", 100))
            .await,
        400,
        "ORDERPAID",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_prepay_id_is_refreshed_by_an_identical_prepay() {
    let t = PayTest::start().await;
    let order = t.order("SIYU20261207004", 100);
    let first = t.client.jsapi_prepay(&order).await.unwrap();
    assert_eq!(
        t.client.jsapi_prepay(&order).await.unwrap(),
        first,
        "same prepay_id within 2 h"
    );
    // Re-entry with other parameters is refused.
    assert_api_error(
        t.client
            .jsapi_prepay(&t.order("SIYU20261207004", 101))
            .await,
        403,
        "OUT_TRADE_NO_USED",
    );

    t.advance(2 * 3600);
    let (status, _) = t
        .control("/transactions/pay", json!({ "prepay_id": first.prepay_id }))
        .await;
    assert_eq!(status, 409, "a 2-hour-old prepay_id cannot be paid");
    let fresh = t.client.jsapi_prepay(&order).await.unwrap();
    assert_ne!(fresh, first);
    t.pay(&fresh.prepay_id).await;
    assert_eq!(
        t.client
            .query_by_out_trade_no("SIYU20261207004")
            .await
            .unwrap()
            .trade_state,
        TradeState::Success
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_past_time_expire_is_closed() {
    let t = PayTest::start().await;
    let mut order = t.order("SIYU20261207005", 100);
    // Less than a minute ahead is raised to creation + 1 minute.
    order.time_expire = Some("2026-12-07T10:00:30+08:00".into());
    let prepay = t.client.jsapi_prepay(&order).await.unwrap();
    t.advance(59);
    assert_eq!(
        t.client
            .query_by_out_trade_no("SIYU20261207005")
            .await
            .unwrap()
            .trade_state,
        TradeState::NotPay
    );
    t.advance(1);
    assert_eq!(
        t.client
            .query_by_out_trade_no("SIYU20261207005")
            .await
            .unwrap()
            .trade_state,
        TradeState::Closed
    );
    let (status, _) = t
        .control(
            "/transactions/pay",
            json!({ "prepay_id": prepay.prepay_id }),
        )
        .await;
    assert_eq!(status, 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicated_callback_arrives_twice_with_one_id() {
    let t = PayTest::start().await;
    let prepay = t
        .client
        .jsapi_prepay(&t.order("SIYU20261207006", 100))
        .await
        .unwrap();
    let (status, _) = t
        .control(
            "/transactions/pay",
            json!({ "prepay_id": prepay.prepay_id, "duplicate": true }),
        )
        .await;
    assert_eq!(status, 200);
    let received = t.received(2).await;
    let a = received[0].verdict.clone().unwrap();
    let b = received[1].verdict.clone().unwrap();
    assert_eq!(a.envelope.id, b.envelope.id);
    assert_eq!(a.plaintext, b.plaintext);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_callbacks_can_be_released_out_of_order() {
    let t = PayTest::start().await;
    let (status, _) = t
        .control("/notifications/hold", json!({ "mchid": t.merchant.mchid }))
        .await;
    assert_eq!(status, 204);
    for no in ["SIYU20261207007", "SIYU20261207008"] {
        let prepay = t.client.jsapi_prepay(&t.order(no, 100)).await.unwrap();
        t.pay(&prepay.prepay_id).await;
    }
    assert!(
        t.received.lock().unwrap().is_empty(),
        "held callbacks are not sent"
    );
    let (status, _) = t
        .control(
            "/notifications/release",
            json!({ "mchid": t.merchant.mchid, "reverse": true }),
        )
        .await;
    assert_eq!(status, 204);
    let received = t.received(2).await;
    let order_nos: Vec<String> = received
        .iter()
        .map(|r| {
            r.verdict
                .clone()
                .unwrap()
                .transaction()
                .unwrap()
                .out_trade_no
        })
        .collect();
    assert_eq!(order_nos, ["SIYU20261207008", "SIYU20261207007"]);
}
