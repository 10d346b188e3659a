//! WeChat Pay end to end against the sandbox: prepay, callbacks through the inbox, refusals.

use base64::Engine as _;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::sha2::Sha256;
use rsa::signature::Verifier as _;
use siyu_proto::payments::v1 as pb;
use uuid::Uuid;

use super::pay_harness::{P, reason, with};

pub(crate) async fn prepaid(p: &P, fen: i64) -> (Uuid, Uuid, pb::CreatePaymentResponse) {
    let user = siyu_core::id::new();
    let (order, _) = p.order(user, fen).await;
    let answer = p
        .payments()
        .create_payment(with(
            pb::CreatePaymentRequest {
                order_id: order.to_string(),
                app_id: String::new(),
            },
            &p.consumer(user),
        ))
        .await
        .unwrap()
        .into_inner();
    (user, order, answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_prepay_makes_the_order_paid_once() {
    let p = P::start().await;
    p.forward_callbacks(true);
    let (_, order, answer) = prepaid(&p, 1999).await;
    let payment = answer.payment.unwrap();
    let params = answer.wechat_pay_params.unwrap();
    assert_eq!(payment.status, pb::PaymentStatus::Pending as i32);
    assert!(!payment.prepay_id.is_empty());
    assert_eq!(params.package, format!("prepay_id={}", payment.prepay_id));
    // paySign verifies with the merchant's public key.
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(p.merchant.private_key_pem.as_deref().unwrap())
        .or_else(|_| {
            use rsa::pkcs1::DecodeRsaPrivateKey as _;
            rsa::RsaPrivateKey::from_pkcs1_pem(p.merchant.private_key_pem.as_deref().unwrap())
        })
        .unwrap();
    let verifying = VerifyingKey::<Sha256>::new(key.to_public_key());
    let message = format!(
        "{}\n{}\n{}\n{}\n",
        params.app_id, params.time_stamp, params.nonce_str, params.package
    );
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&params.pay_sign)
        .unwrap();
    verifying
        .verify(
            message.as_bytes(),
            &Signature::try_from(raw.as_slice()).unwrap(),
        )
        .unwrap();

    p.control.pay(&payment.prepay_id).await.unwrap();
    p.captured(1).await;
    for _ in 0..200 {
        if p.order_status(order).await == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(p.order_status(order).await, 2);
    assert_eq!(p.paid_entries(order).await, 1);
    let got = p
        .payments()
        .get_payment(with(
            pb::GetPaymentRequest {
                payment_id: payment.payment_id.clone(),
            },
            &p.service(),
        ))
        .await
        .unwrap()
        .into_inner()
        .payment
        .unwrap();
    assert_eq!(got.status, pb::PaymentStatus::Succeeded as i32);
    assert!(!got.psp_transaction_id.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_deliveries_apply_once() {
    let p = P::start().await;
    let (_, order, answer) = prepaid(&p, 500).await;
    p.control
        .pay(&answer.payment.unwrap().prepay_id)
        .await
        .unwrap();
    let callback = p.captured(1).await[0].clone();
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (mut client, request, token) =
            (p.notify_client(), callback.request(), p.gateway_token());
        tasks.push(tokio::spawn(async move {
            client
                .handle_wechat_pay_notification(with(request, &token))
                .await
                .unwrap()
                .into_inner()
                .outcome
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let applied = outcomes
        .iter()
        .filter(|o| **o == pb::NotificationOutcome::Applied as i32)
        .count();
    let duplicate = outcomes
        .iter()
        .filter(|o| **o == pb::NotificationOutcome::Duplicate as i32)
        .count();
    assert_eq!((applied, duplicate), (1, 9), "{outcomes:?}");
    assert_eq!(p.order_status(order).await, 2);
    assert_eq!(p.paid_entries(order).await, 1);
    assert_eq!(
        p.scalar("SELECT delivery_count FROM pay_notifications", vec![])
            .await,
        10
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_notifications_change_nothing() {
    let p = P::start().await;
    let (_, order, answer) = prepaid(&p, 500).await;
    p.control
        .pay(&answer.payment.unwrap().prepay_id)
        .await
        .unwrap();
    let good = p.captured(1).await[0].clone();
    let mut client = p.notify_client();
    let gateway = p.gateway_token();
    let refused = |r: pb::HandleWechatPayNotificationRequest, token: String| {
        let mut client = client.clone();
        async move {
            client
                .handle_wechat_pay_notification(with(r, &token))
                .await
                .expect_err("refused")
        }
    };

    let mut tampered = good.request();
    tampered.body[10] ^= 1;
    let s = refused(tampered, gateway.clone()).await;
    assert_eq!(
        (s.code(), reason(&s).as_str()),
        (tonic::Code::Unauthenticated, "PAYMENT_SIGNATURE_INVALID")
    );

    let mut probe = good.request();
    probe.wechatpay_signature = format!("WECHATPAY/SIGNTEST/{}", probe.wechatpay_signature);
    let s = refused(probe, gateway.clone()).await;
    assert_eq!(reason(&s), "PAYMENT_SIGNATURE_INVALID");

    let mut serial = good.request();
    serial.wechatpay_serial = "0000000000000000000000000000000000000000".into();
    let s = refused(serial, gateway.clone()).await;
    assert_eq!(reason(&s), "PAYMENT_SIGNATURE_INVALID");

    let mut stale = good.request();
    stale.wechatpay_timestamp = (super::pay_harness::START - 400).to_string();
    let s = refused(stale, gateway.clone()).await;
    assert_eq!(
        (s.code(), reason(&s).as_str()),
        (tonic::Code::Unauthenticated, "PAYMENT_NOTIFICATION_STALE")
    );

    let mut route = good.request();
    route.route_key = "UnknownRouteKey0000000000000000X".into();
    let s = refused(route, gateway.clone()).await;
    assert_eq!(
        (s.code(), reason(&s).as_str()),
        (tonic::Code::NotFound, "NOTIFY_ROUTE_UNKNOWN")
    );

    let mut missing = good.request();
    missing.wechatpay_nonce.clear();
    let s = refused(missing, gateway.clone()).await;
    assert_eq!(
        (s.code(), reason(&s).as_str()),
        (
            tonic::Code::InvalidArgument,
            "PAYMENT_NOTIFICATION_MALFORMED"
        )
    );

    let not_gateway = p.token(
        siyu_core::TenantId(Uuid::nil()),
        siyu_core::PrincipalKind::Service,
        "jobs",
        &["psp.notify"],
    );
    let s = refused(good.request(), not_gateway).await;
    assert_eq!(s.code(), tonic::Code::PermissionDenied);

    assert_eq!(p.order_status(order).await, 1);
    assert_eq!(
        p.scalar("SELECT COUNT(*) FROM pay_notifications", vec![])
            .await,
        0
    );

    // The genuine one still applies.
    let ok = client
        .handle_wechat_pay_notification(with(good.request(), &gateway))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.outcome, pb::NotificationOutcome::Applied as i32);
    assert_eq!(p.order_status(order).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amount_mismatch_is_flagged_without_effect() {
    let p = P::start().await;
    let (_, order, answer) = prepaid(&p, 500).await;
    let payment = answer.payment.unwrap();
    p.exec("UPDATE pay_payments SET amount_fen = 600", vec![])
        .await;
    p.control.pay(&payment.prepay_id).await.unwrap();
    let good = p.captured(1).await[0].clone();
    let answer = p
        .notify_client()
        .handle_wechat_pay_notification(with(good.request(), &p.gateway_token()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        answer.outcome,
        pb::NotificationOutcome::AmountMismatch as i32
    );
    assert_eq!(p.order_status(order).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_finds_the_success_and_close_stops_an_attempt() {
    let p = P::start().await;
    let (_, order, answer) = prepaid(&p, 800).await;
    let payment = answer.payment.unwrap();
    p.control.pay(&payment.prepay_id).await.unwrap();
    let queried = p
        .payments()
        .query_payment(with(
            pb::QueryPaymentRequest {
                payment_id: payment.payment_id.clone(),
            },
            &p.service(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(queried.changed);
    assert_eq!(
        queried.payment.unwrap().status,
        pb::PaymentStatus::Succeeded as i32
    );
    assert_eq!(p.order_status(order).await, 2);

    let (_, _, other) = prepaid(&p, 300).await;
    let closed = p
        .payments()
        .close_payment(with(
            pb::ClosePaymentRequest {
                payment_id: other.payment.unwrap().payment_id,
                reason: "test".into(),
            },
            &p.service(),
        ))
        .await
        .unwrap()
        .into_inner()
        .payment
        .unwrap();
    assert_eq!(closed.status, pb::PaymentStatus::Closed as i32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_queries_a_payment_at_most_every_five_seconds() {
    let p = P::start().await;
    let (user, _, answer) = prepaid(&p, 800).await;
    let id = answer.payment.unwrap().payment_id;
    let query = |token: String| {
        let mut payments = p.payments();
        let id = id.clone();
        async move {
            payments
                .query_payment(with(pb::QueryPaymentRequest { payment_id: id }, &token))
                .await
        }
    };
    query(p.consumer(user)).await.unwrap();
    let refused = query(p.consumer(user)).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
    assert_eq!(reason(&refused), "QUERY_RATE_LIMITED");
    // Services (the jobs, identity) are not limited.
    query(p.service()).await.unwrap();
    p.clock.advance(chrono::Duration::seconds(5));
    query(p.consumer(user)).await.unwrap();
}
