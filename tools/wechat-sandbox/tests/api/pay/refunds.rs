//! Refunds: accepted as PROCESSING, settled by a REFUND.* callback, idempotent by
//! out_refund_no, bounded by the paid amount, paced by the 1-minute rule, with faults.

use serde_json::json;
use siyu_wechatpay::model::{RefundAmountRequest, RefundRequest, RefundStatus, TradeState};

use super::support::{PayTest, assert_api_error};

async fn paid(t: &PayTest, out_trade_no: &str, total: i64) -> String {
    let prepay = t
        .client
        .jsapi_prepay(&t.order(out_trade_no, total))
        .await
        .unwrap();
    let paid = t.pay(&prepay.prepay_id).await;
    t.received(1).await;
    paid["transaction_id"].as_str().unwrap().to_owned()
}

fn refund(
    t: &PayTest,
    transaction_id: &str,
    out_refund_no: &str,
    amount: i64,
    total: i64,
) -> RefundRequest {
    RefundRequest {
        transaction_id: Some(transaction_id.into()),
        out_trade_no: None,
        out_refund_no: out_refund_no.into(),
        reason: Some("商品已售完".into()),
        notify_url: Some(t.notify_url.clone()),
        amount: RefundAmountRequest {
            refund: amount,
            total,
            currency: "CNY".into(),
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_is_accepted_then_settled_by_callback() {
    let t = PayTest::start().await;
    let transaction_id = paid(&t, "SIYU20261207301", 1000).await;
    let accepted = t
        .client
        .refund(&refund(&t, &transaction_id, "R301-1", 300, 1000))
        .await
        .unwrap();
    assert_eq!(accepted.status, RefundStatus::Processing);
    assert_eq!((accepted.amount.refund, accepted.amount.total), (300, 1000));

    let callback = t.received(2).await[1].verdict.clone().unwrap();
    assert_eq!(callback.envelope.event_type, "REFUND.SUCCESS");
    assert_eq!(callback.envelope.resource.associated_data, "refund");
    let settled = callback.refund().unwrap();
    assert_eq!(
        (
            settled.status,
            settled.out_refund_no.as_str(),
            settled.amount.refund
        ),
        (RefundStatus::Success, "R301-1", 300)
    );
    assert_eq!(
        t.client.query_refund("R301-1").await.unwrap().status,
        RefundStatus::Success
    );
    assert_eq!(
        t.client
            .query_by_out_trade_no("SIYU20261207301")
            .await
            .unwrap()
            .trade_state,
        TradeState::Refund
    );

    // The same out_refund_no refunds once: a retry gets the same refund.
    let again = t
        .client
        .refund(&refund(&t, &transaction_id, "R301-1", 300, 1000))
        .await
        .unwrap();
    assert_eq!(again.refund_id, accepted.refund_id);
    // A second refund on the order within a minute is rate limited.
    assert_api_error(
        t.client
            .refund(&refund(&t, &transaction_id, "R301-2", 100, 1000))
            .await,
        429,
        "FREQUENCY_LIMITED",
    );
    t.advance(61);
    assert_api_error(
        t.client
            .refund(&refund(&t, &transaction_id, "R301-2", 701, 1000))
            .await,
        400,
        "INVALID_REQUEST",
    );
    assert_api_error(
        t.client
            .refund(&refund(&t, &transaction_id, "R301-2", 100, 999))
            .await,
        400,
        "PARAM_ERROR",
    );
    let rest = t
        .client
        .refund(&refund(&t, &transaction_id, "R301-2", 700, 1000))
        .await
        .unwrap();
    assert_eq!(rest.status, RefundStatus::Processing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_refund_can_end_abnormal_or_closed() {
    let t = PayTest::start().await;
    let transaction_id = paid(&t, "SIYU20261207302", 1000).await;
    let (status, _) = t
        .control(
            "/refunds/outcome",
            json!({ "mchid": t.merchant.mchid, "outcome": "HOLD" }),
        )
        .await;
    assert_eq!(status, 204);
    t.client
        .refund(&refund(&t, &transaction_id, "R302-1", 400, 1000))
        .await
        .unwrap();
    assert_eq!(
        t.client.query_refund("R302-1").await.unwrap().status,
        RefundStatus::Processing
    );
    let (status, body) = t
        .control(
            "/refunds/complete",
            json!({ "mchid": t.merchant.mchid, "out_refund_no": "R302-1", "status": "ABNORMAL" }),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ABNORMAL")));
    let callback = t.received(2).await[1].verdict.clone().unwrap();
    assert_eq!(callback.envelope.event_type, "REFUND.ABNORMAL");
    assert_eq!(callback.refund().unwrap().status, RefundStatus::Abnormal);

    t.advance(61);
    t.client
        .refund(&refund(&t, &transaction_id, "R302-2", 600, 1000))
        .await
        .unwrap();
    t.control(
        "/refunds/complete",
        json!({ "mchid": t.merchant.mchid, "out_refund_no": "R302-2", "status": "CLOSED" }),
    )
    .await;
    assert_eq!(
        t.received(3).await[2]
            .verdict
            .clone()
            .unwrap()
            .envelope
            .event_type,
        "REFUND.CLOSED"
    );
    // A closed refund frees its amount: refunding it again under a new number works.
    t.advance(61);
    t.client
        .refund(&refund(&t, &transaction_id, "R302-3", 600, 1000))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_refund_faults_answer_their_codes() {
    let t = PayTest::start().await;
    let transaction_id = paid(&t, "SIYU20261207303", 1000).await;
    let (status, _) = t
        .control(
            "/refunds/fault",
            json!({ "mchid": t.merchant.mchid, "code": "NOT_ENOUGH" }),
        )
        .await;
    assert_eq!(status, 204);
    assert_api_error(
        t.client
            .refund(&refund(&t, &transaction_id, "R303-1", 100, 1000))
            .await,
        403,
        "NOT_ENOUGH",
    );
    assert_api_error(
        t.client.query_refund("R303-1").await,
        404,
        "RESOURCE_NOT_EXISTS",
    );
    // A 500 after the refund was accepted: the query shows it, so a retry must reuse the number.
    t.control(
        "/refunds/fault",
        json!({ "mchid": t.merchant.mchid, "code": "SYSTEM_ERROR", "accept": true }),
    )
    .await;
    let error = t
        .client
        .refund(&refund(&t, &transaction_id, "R303-1", 100, 1000))
        .await
        .unwrap_err();
    assert!(error.api().unwrap().is_retryable());
    assert_eq!(
        t.client.query_refund("R303-1").await.unwrap().amount.refund,
        100
    );
    let retried = t
        .client
        .refund(&refund(&t, &transaction_id, "R303-1", 100, 1000))
        .await
        .unwrap();
    assert_eq!(retried.out_refund_no, "R303-1");
    let (status, _) = t
        .control(
            "/refunds/fault",
            json!({ "mchid": t.merchant.mchid, "code": "NOPE" }),
        )
        .await;
    assert_eq!(status, 400);
}
