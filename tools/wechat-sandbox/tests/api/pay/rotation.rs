//! Key changes: a platform certificate rotation (listed 24 h before it signs) and the switch
//! from certificates to the WeChat Pay public key, with both accepted during the switch.

use siyu_wechatpay::error::SignatureError;
use siyu_wechatpay::{PlatformKeys, WechatPayError};

use super::support::PayTest;

const PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_certificate_is_listed_a_day_before_it_signs() {
    let t = PayTest::start().await;
    let stale = PayTest::client_for(
        &t.sandbox,
        &t.merchant,
        t.clock.clone(),
        PayTest::certificate_keys(&t.http, &t.sandbox).await,
    );
    let (status, view) = t
        .control("/platform/rotate-certificate", serde_json::json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(view["certificates"].as_array().unwrap().len(), 2);

    // Still signed by the old certificate, so the list verifies and the new one is learnt.
    let serials = t.client.refresh_certificates().await.unwrap();
    assert_eq!(serials.len(), 2);
    assert_eq!(t.client.key_serials().len(), 2);

    t.advance(24 * 3600);
    t.client
        .jsapi_prepay(&t.order("SIYU20261207501", 100))
        .await
        .unwrap();
    let error = stale
        .query_by_out_trade_no("SIYU20261207501")
        .await
        .unwrap_err();
    match error {
        WechatPayError::Signature(SignatureError::UnknownSerial(serial)) => {
            assert_eq!(serial, view["certificates"][1]["serial_no"])
        }
        other => panic!("{other:?}"),
    }
    let (status, _) = t
        .control("/platform/rotate-certificate", serde_json::json!({}))
        .await;
    assert_eq!(status, 409, "the sandbox ships two test certificates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_and_public_key_are_both_accepted_during_the_switch() {
    let t = PayTest::start().await;
    let view = t.platform().await;
    let cert_serial = view.certificates[0].serial_no.clone();
    let (status, _) = t
        .control("/platform/enable-public-key", serde_json::json!({}))
        .await;
    assert_eq!(status, 200);

    // Callbacks now come signed with the public key: a certificate-only client refuses them.
    let prepay = t
        .client
        .jsapi_prepay(&t.order("SIYU20261207502", 100))
        .await
        .unwrap();
    t.pay(&prepay.prepay_id).await;
    let first = t.received(1).await.remove(0);
    assert_eq!(first.headers["wechatpay-serial"], PUBLIC_KEY_ID);
    assert!(first.verdict.unwrap_err().contains("UnknownSerial"));

    // The merchant adds the public key beside the certificate.
    t.client.update_keys(|keys| {
        keys.add_public_key_pem(PUBLIC_KEY_ID, &view.public_key_pem)
            .unwrap()
    });
    let resent = first.body.clone();
    let verified = t
        .client
        .verify_notification(&first.headers, &resent)
        .unwrap();
    assert_eq!(
        verified.transaction().unwrap().out_trade_no,
        "SIYU20261207502"
    );

    // Answers: a client naming the public key gets it; one naming the certificate gets that.
    t.client
        .query_by_out_trade_no("SIYU20261207502")
        .await
        .unwrap();
    let mut cert_only = PlatformKeys::new();
    cert_only
        .add_certificate_pem(&view.certificates[0].pem)
        .unwrap();
    let legacy = PayTest::client_for(&t.sandbox, &t.merchant, t.clock.clone(), cert_only);
    legacy
        .query_by_out_trade_no("SIYU20261207502")
        .await
        .unwrap();
    assert_eq!(legacy.key_serials(), std::slice::from_ref(&cert_serial));

    // Certificates withdrawn: an empty list, and everything signed with the public key.
    let (status, _) = t
        .control("/platform/revoke-certificates", serde_json::json!({}))
        .await;
    assert_eq!(status, 200);
    assert!(t.client.refresh_certificates().await.unwrap().is_empty());
    let error = legacy
        .query_by_out_trade_no("SIYU20261207502")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            WechatPayError::Signature(SignatureError::UnknownSerial(_))
        ),
        "{error:?}"
    );
    t.client.update_keys(|keys| {
        keys.remove(&cert_serial);
    });
    t.client
        .query_by_out_trade_no("SIYU20261207502")
        .await
        .unwrap();
}
