//! Every tamper is refused, in both directions: callbacks and answers the client must refuse,
//! requests the sandbox must refuse with 401 SIGN_ERROR.

use serde_json::json;
use siyu_wechatpay::error::SignatureError;
use siyu_wechatpay::sign::{canonical_request, nonce};
use siyu_wechatpay::{PlatformKeys, WechatPayError};

use super::support::PayTest;

fn signature_error(error: WechatPayError) -> SignatureError {
    match error {
        WechatPayError::Signature(e) => e,
        other => panic!("expected a signature error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_genuine_callback_is_refused_once_tampered_stale_foreign_or_undecryptable() {
    let t = PayTest::start().await;
    let prepay = t
        .client
        .jsapi_prepay(&t.order("SIYU20261207101", 990))
        .await
        .unwrap();
    t.pay(&prepay.prepay_id).await;
    let genuine = t.received(1).await.remove(0);
    assert!(genuine.verdict.is_ok());

    // Body changed after signing (one character of the ciphertext, or re-serialised JSON).
    let tampered = String::from_utf8(genuine.body.to_vec()).unwrap().replacen(
        "\"summary\":\"支付成功\"",
        "\"summary\":\"支付成功 \"",
        1,
    );
    let error = t
        .client
        .verify_notification(&genuine.headers, tampered.as_bytes())
        .unwrap_err();
    assert_eq!(signature_error(error), SignatureError::Mismatch);
    let reserialised = serde_json::to_vec_pretty(
        &serde_json::from_slice::<serde_json::Value>(&genuine.body).unwrap(),
    )
    .unwrap();
    let error = t
        .client
        .verify_notification(&genuine.headers, &reserialised)
        .unwrap_err();
    assert_eq!(signature_error(error), SignatureError::Mismatch);

    // A wrong APIv3 key fails decryption after a valid signature.
    let mut merchant = t.merchant.clone();
    merchant.apiv3_key = "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ".into();
    let keys = PayTest::certificate_keys(&t.http, &t.sandbox).await;
    let wrong_key = PayTest::client_for(&t.sandbox, &merchant, t.clock.clone(), keys);
    assert!(matches!(
        wrong_key.verify_notification(&genuine.headers, &genuine.body),
        Err(WechatPayError::Decrypt)
    ));

    // An unknown serial: a merchant that trusts no platform certificate.
    let no_keys = PayTest::client_for(
        &t.sandbox,
        &t.merchant,
        t.clock.clone(),
        PlatformKeys::new(),
    );
    let error = no_keys
        .verify_notification(&genuine.headers, &genuine.body)
        .unwrap_err();
    assert!(matches!(
        signature_error(error),
        SignatureError::UnknownSerial(_)
    ));

    // Five minutes later the same (replayed) callback is stale.
    t.advance(300);
    let error = t
        .client
        .verify_notification(&genuine.headers, &genuine.body)
        .unwrap_err();
    assert_eq!(signature_error(error), SignatureError::Expired);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_callback_is_refused_and_the_correct_copy_follows() {
    let t = PayTest::start().await;
    let prepay = t
        .client
        .jsapi_prepay(&t.order("SIYU20261207102", 100))
        .await
        .unwrap();
    let (status, _) = t
        .control(
            "/transactions/pay",
            json!({ "prepay_id": prepay.prepay_id, "probe": true }),
        )
        .await;
    assert_eq!(status, 200);
    let received = t.received(2).await;
    let probe_signature = received[0].headers["wechatpay-signature"].to_str().unwrap();
    assert!(probe_signature.starts_with("WECHATPAY/SIGNTEST/"));
    assert!(received[0].verdict.as_ref().unwrap_err().contains("Probe"));
    assert!(
        received[1].verdict.is_ok(),
        "the resent copy is correctly signed"
    );
    // The sandbox saw 400 for the probe and 204 for the copy.
    for _ in 0..100 {
        let log = t.notifications().await;
        if log["notifications"][0]["acknowledged"] == true {
            assert_eq!(log["notifications"][0]["probe_acknowledged"], false);
            let statuses: Vec<u64> = log["notifications"][0]["attempts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["status"].as_u64().unwrap())
                .collect();
            assert_eq!(statuses, [400, 204]);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the copy was never acknowledged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_with_a_probe_or_a_wrong_key_are_refused() {
    let t = PayTest::start().await;
    let (status, _) = t
        .control(
            "/probes",
            json!({ "mchid": t.merchant.mchid, "answers": 1 }),
        )
        .await;
    assert_eq!(status, 204);
    let error = t
        .client
        .query_by_out_trade_no("SIYU_UNKNOWN_1")
        .await
        .unwrap_err();
    // An error answer is not verified; ask for a signed one.
    assert!(error.api().is_some());
    let order = t.order("SIYU20261207103", 100);
    let error = t.client.jsapi_prepay(&order).await.unwrap_err();
    assert_eq!(signature_error(error), SignatureError::Probe);
    t.client.jsapi_prepay(&order).await.unwrap();

    // The right serial with the wrong key: every answer fails to verify.
    let cert = &t.platform().await.certificates[0];
    let stranger = <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_pem(
        include_str!("../../../keys/stranger.key.pem"),
    )
    .unwrap();
    let mut keys = PlatformKeys::new();
    keys.add_key(&cert.serial_no, rsa::RsaPublicKey::from(&stranger));
    let fooled = PayTest::client_for(&t.sandbox, &t.merchant, t.clock.clone(), keys);
    let error = fooled
        .query_by_out_trade_no("SIYU20261207103")
        .await
        .unwrap_err();
    assert_eq!(signature_error(error), SignatureError::Mismatch);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amount_mismatch_in_a_valid_callback_is_surfaced() {
    let t = PayTest::start().await;
    let prepay = t
        .client
        .jsapi_prepay(&t.order("SIYU20261207104", 500))
        .await
        .unwrap();
    t.pay(&prepay.prepay_id).await;
    let transaction = t.received(1).await[0]
        .verdict
        .clone()
        .unwrap()
        .transaction()
        .unwrap();
    // The local order says 5.01 yuan: a verified notification for 5.00 must not mark it paid.
    let error = transaction
        .ensure_matches(
            &t.merchant.mchid,
            super::support::APPID,
            "SIYU20261207104",
            501,
        )
        .unwrap_err();
    match error {
        WechatPayError::Mismatch {
            field,
            expected,
            actual,
        } => {
            assert_eq!(
                (field, expected.as_str(), actual.as_str()),
                ("amount.total", "501", "500")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        transaction
            .ensure_matches("1900000999", super::support::APPID, "SIYU20261207104", 500)
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_refuses_bad_request_signatures_with_sign_error() {
    let t = PayTest::start().await;
    let path = "/v3/pay/transactions/jsapi";
    let body = serde_json::to_string(&t.order("SIYU20261207105", 100)).unwrap();
    let signer = t.signer();
    let sign_with = |ts: i64, message_body: &str, order: &str| {
        let n = nonce();
        let signature = signer.sign(&canonical_request("POST", path, ts, &n, message_body));
        let (m, s) = (&t.merchant.mchid, &t.merchant.serial_no);
        match order {
            // The PHP SDK's parameter order: accepted, order does not matter.
            "php" => format!(
                r#"WECHATPAY2-SHA256-RSA2048 mchid="{m}",serial_no="{s}",timestamp="{ts}",nonce_str="{n}",signature="{signature}""#
            ),
            _ => format!(
                r#"WECHATPAY2-SHA256-RSA2048 mchid="{m}",nonce_str="{n}",timestamp="{ts}",serial_no="{s}",signature="{signature}""#
            ),
        }
    };
    let now = t.now();
    let refused = |(status, answer): (u16, serde_json::Value)| {
        assert_eq!(
            (status, answer["code"].as_str()),
            (401, Some("SIGN_ERROR")),
            "{answer}"
        );
    };
    // Body changed after signing (a space), a CRLF message, a millisecond timestamp,
    // a timestamp 6 minutes old, a missing header, another scheme.
    refused(
        t.raw(
            "POST",
            path,
            &format!("{body} "),
            Some(sign_with(now, &body, "go")),
        )
        .await,
    );
    let crlf = {
        let n = nonce();
        let signature = signer.sign(&format!("POST\r\n{path}\r\n{now}\r\n{n}\r\n{body}\r\n"));
        format!(
            r#"WECHATPAY2-SHA256-RSA2048 mchid="{}",nonce_str="{n}",timestamp="{now}",serial_no="{}",signature="{signature}""#,
            t.merchant.mchid, t.merchant.serial_no
        )
    };
    refused(t.raw("POST", path, &body, Some(crlf)).await);
    refused(
        t.raw(
            "POST",
            path,
            &body,
            Some(sign_with(now * 1000, &body, "go")),
        )
        .await,
    );
    refused(
        t.raw("POST", path, &body, Some(sign_with(now - 360, &body, "go")))
            .await,
    );
    refused(t.raw("POST", path, &body, None).await);
    refused(
        t.raw(
            "POST",
            path,
            &body,
            Some(
                sign_with(now, &body, "go")
                    .replace("WECHATPAY2-SHA256-RSA2048", "WECHATPAY2-SM2-WITH-SM3"),
            ),
        )
        .await,
    );
    // A wrong serial_no.
    refused(
        t.raw(
            "POST",
            path,
            &body,
            Some(sign_with(now, &body, "go").replace(
                &t.merchant.serial_no,
                "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
            )),
        )
        .await,
    );
    // A request signed by another key.
    let stranger = siyu_wechatpay::sign::MerchantSigner::from_pem(
        &t.merchant.mchid,
        &t.merchant.serial_no,
        include_str!("../../../keys/stranger.key.pem"),
    )
    .unwrap();
    refused(
        t.raw(
            "POST",
            path,
            &body,
            Some(stranger.authorization("POST", path, &body, now, &nonce())),
        )
        .await,
    );
    // An unknown merchant.
    let (status, answer) = t
        .raw(
            "POST",
            path,
            &body,
            Some(sign_with(now, &body, "go").replace(
                &format!("mchid=\"{}\"", t.merchant.mchid),
                "mchid=\"1900000999\"",
            )),
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("MCH_NOT_EXISTS"))
    );
    // The genuine request, parameters in PHP order, is accepted.
    let (status, answer) = t
        .raw("POST", path, &body, Some(sign_with(now, &body, "php")))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["prepay_id"].is_string());
    // The request log records WeChat Pay's status and code.
    let log = t
        .sandbox
        .control()
        .unwrap()
        .requests(Some(path))
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|r| r.status == 401 && r.code.as_deref() == Some("SIGN_ERROR"))
    );
    assert_eq!(
        log.last().map(|r| (r.status, r.code.clone())),
        Some((200, None))
    );
}
