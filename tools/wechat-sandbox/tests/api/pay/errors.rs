//! Bad input to the emulated endpoints answers WeChat Pay's status and code.

use serde_json::{Value, json};

use super::support::{APPID, PayTest, assert_api_error};

/// Sends `body` to the prepay endpoint, correctly signed; returns status and code.
async fn prepay_raw(t: &PayTest, body: &Value) -> (u16, String, Value) {
    let path = "/v3/pay/transactions/jsapi";
    let text = body.to_string();
    let (status, answer) = t
        .raw(
            "POST",
            path,
            &text,
            Some(t.authorization("POST", path, &text)),
        )
        .await;
    (
        status,
        answer["code"].as_str().unwrap_or_default().to_owned(),
        answer,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepay_validation_answers_param_error_and_friends() {
    let t = PayTest::start().await;
    let good = serde_json::to_value(t.order("SIYU20261207201", 100)).unwrap();
    let with = |pointer: &str, value: Value| {
        // Sets the field, creating it when the good request leaves it out (time_expire).
        let mut body = good.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        body.pointer_mut(parent)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert(key.to_owned(), value);
        body
    };
    let without = |field: &str| {
        let mut body = good.clone();
        let (parent, key) = field.rsplit_once('/').unwrap();
        body.pointer_mut(if parent.is_empty() { "" } else { parent })
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove(key);
        body
    };
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "out_trade_no too short",
            with("/out_trade_no", json!("T1234")),
            400,
            "PARAM_ERROR",
        ),
        (
            "out_trade_no charset",
            with("/out_trade_no", json!("SIYU#2026")),
            400,
            "PARAM_ERROR",
        ),
        (
            "amount zero",
            with("/amount/total", json!(0)),
            400,
            "PARAM_ERROR",
        ),
        (
            "amount in yuan",
            with("/amount/total", json!(1.5)),
            400,
            "PARAM_ERROR",
        ),
        (
            "currency",
            with("/amount/currency", json!("USD")),
            400,
            "PARAM_ERROR",
        ),
        ("no openid", without("/payer/openid"), 400, "PARAM_ERROR"),
        (
            "no description",
            without("/description"),
            400,
            "PARAM_ERROR",
        ),
        (
            "notify_url with query",
            with("/notify_url", json!("https://shop.example/notify?a=1")),
            400,
            "PARAM_ERROR",
        ),
        (
            "bad time_expire",
            with("/time_expire", json!("tomorrow")),
            400,
            "PARAM_ERROR",
        ),
        (
            "mchid mismatch",
            with("/mchid", json!("1900000999")),
            400,
            "INVALID_REQUEST",
        ),
        (
            "unbound appid",
            with("/appid", json!("wxnotbound00000001")),
            400,
            "APPID_MCHID_NOT_MATCH",
        ),
    ];
    for (name, body, status, code) in cases {
        let (got_status, got_code, answer) = prepay_raw(&t, &body).await;
        assert_eq!(
            (got_status, got_code.as_str()),
            (status, code),
            "{name}: {answer}"
        );
        assert!(answer["message"].is_string(), "{name}: {answer}");
    }
    let (status, code, answer) = prepay_raw(&t, &json!("not an object")).await;
    assert_eq!((status, code.as_str()), (400, "PARAM_ERROR"), "{answer}");
    let (_, _, answer) = prepay_raw(&t, &without("/payer/openid")).await;
    assert_eq!(answer["detail"]["field"], "payer/openid");
    // None of them created an order.
    assert_api_error(
        t.client.query_by_out_trade_no("SIYU20261207201").await,
        404,
        "ORDER_NOT_EXIST",
    );
    assert_eq!(APPID, t.order("x", 1).appid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_and_refunds_of_missing_things_answer_404() {
    let t = PayTest::start().await;
    assert_api_error(
        t.client.query_by_out_trade_no("SIYU_NOT_THERE").await,
        404,
        "ORDER_NOT_EXIST",
    );
    assert_api_error(
        t.client
            .query_by_transaction_id("4200000000000000000000000000")
            .await,
        404,
        "ORDER_NOT_EXIST",
    );
    assert_api_error(
        t.client.query_refund("R_NOT_THERE").await,
        404,
        "RESOURCE_NOT_EXISTS",
    );
    // Query without the mchid parameter.
    let path = "/v3/pay/transactions/out-trade-no/SIYU_NOT_THERE";
    let (status, answer) = t
        .raw("GET", path, "", Some(t.authorization("GET", path, "")))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("PARAM_ERROR"))
    );
    // An unpaid order has no transaction_id and cannot be refunded.
    t.client
        .jsapi_prepay(&t.order("SIYU20261207202", 100))
        .await
        .unwrap();
    let refund = siyu_wechatpay::model::RefundRequest {
        transaction_id: None,
        out_trade_no: Some("SIYU20261207202".into()),
        out_refund_no: "R20261207202".into(),
        reason: None,
        notify_url: None,
        amount: siyu_wechatpay::model::RefundAmountRequest {
            refund: 100,
            total: 100,
            currency: "CNY".into(),
        },
    };
    assert_api_error(t.client.refund(&refund).await, 404, "RESOURCE_NOT_EXISTS");
    let mut both = refund.clone();
    both.transaction_id = Some("4200000000000000000000000000".into());
    assert_api_error(t.client.refund(&both).await, 400, "PARAM_ERROR");
    let mut unknown = refund.clone();
    unknown.out_trade_no = Some("SIYU_NOT_THERE".into());
    assert_api_error(t.client.refund(&unknown).await, 404, "RESOURCE_NOT_EXISTS");
}
