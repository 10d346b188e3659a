//! Payments that succeed for an order no longer waiting for them, against the WeChat sandbox:
//! a payment after the cancellation revives the order (or is refunded under ALWAYS_REFUND), a
//! second payment of a paid order is refunded — each resolved once, however many resolvers run.

use sea_orm::Value;
use siyu_proto::orders::v1 as opb;
use siyu_proto::orders::v1::order_settings_service_client::OrderSettingsServiceClient;
use siyu_proto::payments::v1 as pb;
use uuid::Uuid;

use super::pay_harness::{P, with};
use super::payments::prepaid;

/// `TimelineEntryKind` numbers.
const REVIVED: i64 = 10;
const LATE_PAYMENT_REFUNDED: i64 = 11;

async fn wait<F, Fut>(done: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..500 {
        if done().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("condition not reached");
}

async fn payment(p: &P, id: &str) -> pb::Payment {
    p.payments()
        .get_payment(with(
            pb::GetPaymentRequest {
                payment_id: id.to_owned(),
            },
            &p.service(),
        ))
        .await
        .unwrap()
        .into_inner()
        .payment
        .unwrap()
}

async fn count(p: &P, sql: &str, order: Uuid) -> i64 {
    p.scalar(sql, vec![Value::Uuid(Some(order))]).await
}

/// The order's timeline entries of `kind`.
async fn entries(p: &P, order: Uuid, kind: i64) -> i64 {
    p.scalar(
        "SELECT COUNT(*) FROM ord_timeline WHERE order_id = $1 AND kind = $2",
        vec![Value::Uuid(Some(order)), kind.into()],
    )
    .await
}

/// A prepaid order whose cancellation won locally while the payer was paying at WeChat; the
/// payment is then made and its callback delivered. Answers (order, payment id).
async fn paid_after_cancellation(p: &P) -> (Uuid, String) {
    let (_, order, answer) = prepaid(p, 1500).await;
    let payment = answer.payment.unwrap();
    p.exec(
        "UPDATE ord_orders SET status = 7 WHERE id = $1",
        vec![Value::Uuid(Some(order))],
    )
    .await;
    p.control.pay(&payment.prepay_id).await.unwrap();
    let late_task = "SELECT COUNT(*) FROM ord_tasks WHERE order_id = $1 AND kind LIKE 'late:%'";
    wait(|| async { count(p, late_task, order).await == 1 }).await;
    let recorded = self::payment(p, &payment.payment_id).await;
    assert_eq!(recorded.status, pb::PaymentStatus::Succeeded as i32);
    assert_eq!(
        recorded.late_payment.unwrap().resolution,
        pb::LatePaymentResolution::Pending as i32
    );
    (order, payment.payment_id)
}

/// Two job passes at once, as a second replica and a retry would run them.
async fn two_passes(p: &P) {
    let app = p.app.app();
    let (a, b) = tokio::join!(Box::pin(app.run_jobs_pass()), Box::pin(app.run_jobs_pass()));
    a.unwrap();
    b.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_after_cancellation_revives_the_order_once() {
    let p = P::start().await;
    p.forward_callbacks(true);
    let (order, payment_id) = paid_after_cancellation(&p).await;
    assert_eq!(p.order_status(order).await, 7, "cancelled until resolved");

    two_passes(&p).await;
    two_passes(&p).await;
    assert_eq!(p.order_status(order).await, 2, "revived to PAID");
    assert_eq!(entries(&p, order, REVIVED).await, 1);
    // One fresh database per test: every OrderPaid in the outbox is this order's.
    let paid = p
        .scalar(
            "SELECT COUNT(*) FROM siyu_outbox WHERE subject = 'orders.order_paid'",
            vec![],
        )
        .await;
    assert_eq!(paid, 1, "one OrderPaid (revived)");
    let late = payment(&p, &payment_id).await.late_payment.unwrap();
    assert_eq!(late.resolution, pb::LatePaymentResolution::Revived as i32);
    assert!(late.resolved_at.is_some());
    assert!(late.refund_id.is_empty());
    assert_eq!(
        count(&p, "SELECT paid_fen FROM ord_orders WHERE id = $1", order).await,
        1500
    );
    let refunds = "SELECT COUNT(*) FROM pay_refunds WHERE order_id = $1";
    assert_eq!(count(&p, refunds, order).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_always_refund_a_late_payment_is_refunded_once() {
    let p = P::start().await;
    p.forward_callbacks(true);
    OrderSettingsServiceClient::new(p.channel.clone())
        .update_order_settings(with(
            opb::UpdateOrderSettingsRequest {
                settings: Some(opb::OrderSettings {
                    late_payment_policy: opb::LatePaymentPolicy::AlwaysRefund as i32,
                    ..opb::OrderSettings::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["late_payment_policy".into()],
                }),
                expected_version: 0,
            },
            &p.staff(p.tenant, &["tenant_admin"]),
        ))
        .await
        .unwrap();
    let (order, payment_id) = paid_after_cancellation(&p).await;

    two_passes(&p).await;
    let late = payment(&p, &payment_id).await.late_payment.unwrap();
    assert_eq!(late.resolution, pb::LatePaymentResolution::Refunded as i32);
    assert_eq!(late.revive_failure_reason, "LATE_PAYMENT_POLICY");
    let refunds = "SELECT COUNT(*) FROM pay_refunds WHERE order_id = $1";
    assert_eq!(count(&p, refunds, order).await, 1, "one refund");
    // WeChat refunds and calls back; the refund succeeds, the order stays cancelled and owes
    // nothing: the money was never the order's.
    let succeeded = "SELECT COUNT(*) FROM pay_refunds WHERE order_id = $1 AND status = 3";
    wait(|| async { count(&p, succeeded, order).await == 1 }).await;
    two_passes(&p).await;
    assert_eq!(p.order_status(order).await, 7);
    assert_eq!(entries(&p, order, LATE_PAYMENT_REFUNDED).await, 1);
    assert_eq!(entries(&p, order, REVIVED).await, 0);
    assert_eq!(
        count(
            &p,
            "SELECT refunded_fen FROM ord_orders WHERE id = $1",
            order
        )
        .await,
        0
    );
    let refund = p
        .scalar(
            "SELECT cash_fen FROM pay_refunds WHERE order_id = $1 AND reason = 3",
            vec![Value::Uuid(Some(order))],
        )
        .await;
    assert_eq!(refund, 1500);
    assert!(!late.refund_id.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_payment_of_a_paid_order_is_refunded() {
    let p = P::start().await;
    p.forward_callbacks(true);
    let (user, order, first) = prepaid(&p, 800).await;
    let first = first.payment.unwrap();
    // The first attempt looks closed here but is still open at WeChat (its close was lost).
    p.exec(
        "UPDATE pay_payments SET status = 5 WHERE id = $1",
        vec![Value::Uuid(Some(first.payment_id.parse::<Uuid>().unwrap()))],
    )
    .await;
    let second = p
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
        .into_inner()
        .payment
        .unwrap();
    assert_ne!(second.prepay_id, first.prepay_id);
    p.control.pay(&second.prepay_id).await.unwrap();
    wait(|| async { p.order_status(order).await == 2 }).await;
    // The payer pays the old prepay too.
    p.control.pay(&first.prepay_id).await.unwrap();
    let late_task = "SELECT COUNT(*) FROM ord_tasks WHERE order_id = $1 AND kind LIKE 'late:%'";
    wait(|| async { count(&p, late_task, order).await == 1 }).await;

    two_passes(&p).await;
    let late = payment(&p, &first.payment_id).await.late_payment.unwrap();
    assert_eq!(
        late.resolution,
        pb::LatePaymentResolution::DuplicateRefunded as i32
    );
    let succeeded =
        "SELECT COUNT(*) FROM pay_refunds WHERE order_id = $1 AND status = 3 AND reason = 4";
    wait(|| async { count(&p, succeeded, order).await == 1 }).await;
    // The order keeps the payment that paid it.
    assert_eq!(p.order_status(order).await, 2);
    assert_eq!(
        count(
            &p,
            "SELECT refunded_fen FROM ord_orders WHERE id = $1",
            order
        )
        .await,
        0
    );
    assert_eq!(p.paid_entries(order).await, 1);
}
