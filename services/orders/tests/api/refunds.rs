//! Refunds end to end against the WeChat sandbox: concurrent requests never take more units
//! than a line has, approved cases refund through WeChat and its callbacks, and RefundService's
//! refusals.

use base64::Engine as _;
use prost::Message as _;
use sea_orm::Value;
use siyu_core::{Clock as _, PrincipalKind, TenantId};
use siyu_proto::common::v1::Money;
use siyu_proto::orders::v1 as opb;
use siyu_proto::orders::v1::after_sale_service_client::AfterSaleServiceClient;
use siyu_proto::payments::v1 as pb;
use siyu_proto::payments::v1::refund_service_client::RefundServiceClient;
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use super::pay_harness::{P, reason, with};

/// Three units at 10 yuan each.
const PAID: i64 = 3000;

struct Shipped {
    user: Uuid,
    order: Uuid,
    line: Uuid,
}

fn cny(fen: i64) -> Option<Money> {
    Some(Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

fn cases(p: &P) -> AfterSaleServiceClient<Channel> {
    AfterSaleServiceClient::new(p.channel.clone())
}

fn refunds(p: &P) -> RefundServiceClient<Channel> {
    RefundServiceClient::new(p.channel.clone())
}

/// An order of one line of three units paid with WeChat Pay in the sandbox, then shipped.
async fn shipped(p: &P) -> Shipped {
    let user = siyu_core::id::new();
    let (order, _) = p.order(user, PAID).await;
    let payment = p
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
    p.control.pay(&payment.prepay_id).await.unwrap();
    wait(|| async { p.order_status(order).await == 2 }).await;
    let line = siyu_core::id::new();
    let sku = siyu_core::id::new();
    let priced = opb::PricedLine {
        sku_id: sku.to_string(),
        quantity: 3,
        unit_price: cny(1000),
        subtotal: cny(PAID),
        net_amount: cny(PAID),
        cash_amount: cny(PAID),
        ..opb::PricedLine::default()
    };
    p.exec(
        "INSERT INTO ord_order_lines (tenant, order_id, line_no, id, sku_id, quantity, net_fen,
             priced)
         VALUES ($1, $2, 1, $3, $4, 3, $5, $6)",
        vec![
            Value::Uuid(Some(p.tenant.0)),
            Value::Uuid(Some(order)),
            Value::Uuid(Some(line)),
            Value::Uuid(Some(sku)),
            PAID.into(),
            base64::engine::general_purpose::STANDARD
                .encode(priced.encode_to_vec())
                .into(),
        ],
    )
    .await;
    let week = p.clock.now().timestamp_millis() + 7 * 86_400_000;
    p.exec(
        "UPDATE ord_orders SET status = 4, after_sale_deadline_ms = $2 WHERE id = $1",
        vec![Value::Uuid(Some(order)), week.into()],
    )
    .await;
    Shipped { user, order, line }
}

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

fn one_unit(s: &Shipped) -> opb::RequestAfterSaleRequest {
    opb::RequestAfterSaleRequest {
        order_id: s.order.to_string(),
        kind: opb::AfterSaleKind::RefundOnly as i32,
        lines: vec![opb::AfterSaleLineInput {
            order_line_id: s.line.to_string(),
            quantity: 1,
        }],
        reason: 1,
        ..opb::RequestAfterSaleRequest::default()
    }
}

async fn line_counters(p: &P, line: Uuid) -> (i64, i64, i64) {
    let v = || vec![Value::Uuid(Some(line))];
    (
        p.scalar(
            "SELECT refunded_quantity FROM ord_order_lines WHERE id = $1",
            v(),
        )
        .await,
        p.scalar(
            "SELECT in_after_sale_quantity FROM ord_order_lines WHERE id = $1",
            v(),
        )
        .await,
        p.scalar(
            "SELECT refunded_fen FROM ord_order_lines WHERE id = $1",
            v(),
        )
        .await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_requests_for_three_units_refund_three_through_wechat() {
    let p = P::start().await;
    p.forward_callbacks(true);
    let s = shipped(&p).await;
    let token = p.consumer(s.user);
    let mut calls = Vec::new();
    for _ in 0..16 {
        let mut client = cases(&p);
        let request = with(one_unit(&s), &token);
        calls.push(tokio::spawn(async move {
            client.request_after_sale(request).await
        }));
    }
    let mut opened = Vec::new();
    let mut refused = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(answer) => opened.push(answer.into_inner().after_sale.unwrap()),
            Err(status) => {
                assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
                assert_eq!(reason(&status), "REFUND_EXCEEDS_PAID");
                refused += 1;
            }
        }
    }
    assert_eq!((opened.len(), refused), (3, 13));
    assert_eq!(line_counters(&p, s.line).await, (0, 3, 0));

    // After shipment a case waits for review; approved, each refunds one unit through WeChat.
    let partner = p.token(
        p.tenant,
        PrincipalKind::Partner,
        "partner-1",
        &["aftersales.write"],
    );
    let order = || vec![Value::Uuid(Some(s.order))];
    for (n, case) in opened.iter().enumerate() {
        assert_eq!(case.status, opb::AfterSaleStatus::Requested as i32);
        // WeChat takes one refund of a payment a minute (the task's backoff waits it out).
        p.sandbox_clock.advance(chrono::Duration::seconds(61));
        p.clock.advance(chrono::Duration::seconds(61));
        cases(&p)
            .approve_after_sale(with(
                opb::ApproveAfterSaleRequest {
                    after_sale_id: case.after_sale_id.clone(),
                    ..opb::ApproveAfterSaleRequest::default()
                },
                &partner,
            ))
            .await
            .unwrap();
        let done = i64::try_from(n + 1).unwrap();
        wait(|| async {
            p.scalar(
                "SELECT COUNT(*) FROM pay_refunds WHERE order_id = $1 AND status = 3",
                order(),
            )
            .await
                == done
        })
        .await;
    }
    wait(|| async {
        p.scalar(
            "SELECT COUNT(*) FROM pay_refunds WHERE order_id = $1 AND status = 3",
            order(),
        )
        .await
            == 3
    })
    .await;
    assert_eq!(line_counters(&p, s.line).await, (3, 0, PAID));
    let refunded = p
        .scalar("SELECT refunded_fen FROM ord_orders WHERE id = $1", order())
        .await;
    assert_eq!(refunded, PAID);
    // Everything refunded: the order is CLOSED and fully refunded.
    assert_eq!(p.order_status(s.order).await, 8);
    let state = p
        .scalar(
            "SELECT after_sale_state FROM ord_orders WHERE id = $1",
            order(),
        )
        .await;
    assert_eq!(state, 4);
    // One REFUNDED entry per refund, one OrderRefunded and one AfterSaleClosed each.
    let entries = p
        .scalar(
            "SELECT COUNT(*) FROM ord_timeline WHERE order_id = $1 AND kind = 16",
            order(),
        )
        .await;
    assert_eq!(entries, 3);
    for subject in ["orders.order_refunded", "orders.after_sale_closed"] {
        let n = p
            .scalar(
                "SELECT COUNT(*) FROM siyu_outbox WHERE subject = $1",
                vec![subject.into()],
            )
            .await;
        assert_eq!(n, 3, "{subject}");
    }

    // The consumer reads the refunds; each is SUCCEEDED with its PSP refund and steps.
    let list = refunds(&p)
        .list_refunds(with(
            pb::ListRefundsRequest {
                order_id: s.order.to_string(),
                ..pb::ListRefundsRequest::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner()
        .refunds;
    assert_eq!(list.len(), 3);
    for r in &list {
        assert_eq!(r.status, pb::RefundStatus::Succeeded as i32);
        assert_eq!(r.psp_status, pb::PspRefundStatus::Success as i32);
        assert!(!r.psp_refund_id.is_empty());
        assert_eq!(r.cash_amount.as_ref().unwrap().minor_units, 1000);
        assert_eq!(r.lines.len(), 1);
        assert_eq!(r.compensation.len(), 8);
    }
    let cash: i64 = list
        .iter()
        .map(|r| r.cash_amount.as_ref().unwrap().minor_units)
        .sum();
    assert_eq!(cash, PAID);

    // A fourth request finds nothing left.
    let status = cases(&p)
        .request_after_sale(with(one_unit(&s), &token))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "REFUND_EXCEEDS_PAID");

    // (d) Another consumer, another tenant's consumer and staff: no such refund.
    let id = list[0].refund_id.clone();
    let other = TenantId(siyu_core::id::new());
    let strangers = [
        p.consumer(siyu_core::id::new()),
        p.token(other, PrincipalKind::Consumer, &s.user.to_string(), &[]),
        p.staff(other, &["tenant_admin"]),
    ];
    for stranger in strangers {
        let status = refunds(&p)
            .get_refund(with(
                pb::GetRefundRequest {
                    refund_id: id.clone(),
                },
                &stranger,
            ))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(reason(&status), "REFUND_NOT_FOUND");
    }
    // Staff of the tenant read it, and a SUCCEEDED refund is not retryable.
    let staff = p.staff(p.tenant, &["tenant_admin"]);
    let got = refunds(&p)
        .get_refund(with(
            pb::GetRefundRequest {
                refund_id: id.clone(),
            },
            &staff,
        ))
        .await
        .unwrap()
        .into_inner()
        .refund
        .unwrap();
    assert_eq!(got.refund_id, id);
    let status = refunds(&p)
        .retry_refund(with(
            pb::RetryRefundRequest {
                refund_id: id.clone(),
                note: String::new(),
            },
            &staff,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "REFUND_NOT_RETRYABLE");
}

fn field(s: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    s.get_details_bad_request()
        .and_then(|b| b.field_violations.first().map(|v| v.field.clone()))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_service_refuses_bad_input() {
    let p = P::start().await;
    let staff = p.staff(p.tenant, &["tenant_admin"]);
    let consumer = p.consumer(siyu_core::id::new());
    let unknown = siyu_core::id::new_string();
    let bad = |s: tonic::Status, reason_: &str, field_: &str| {
        assert_eq!(
            s.code(),
            if reason_ == "INVALID_ARGUMENT" {
                Code::InvalidArgument
            } else {
                Code::NotFound
            },
            "{s:?}"
        );
        assert_eq!(reason(&s), reason_);
        assert_eq!(field(&s), field_);
    };
    let mut client = refunds(&p);
    for (id, why, at) in [
        ("", "INVALID_ARGUMENT", "refund_id"),
        ("nope", "INVALID_ARGUMENT", "refund_id"),
        (unknown.as_str(), "REFUND_NOT_FOUND", ""),
    ] {
        let get = pb::GetRefundRequest {
            refund_id: id.into(),
        };
        bad(
            client.get_refund(with(get, &staff)).await.unwrap_err(),
            why,
            at,
        );
        let query = pb::QueryRefundRequest {
            refund_id: id.into(),
        };
        bad(
            client.query_refund(with(query, &staff)).await.unwrap_err(),
            why,
            at,
        );
        let retry = pb::RetryRefundRequest {
            refund_id: id.into(),
            note: String::new(),
        };
        let mut r = with(retry, &staff);
        r.metadata_mut().insert(
            "x-idempotency-key",
            siyu_core::id::new_string().parse().unwrap(),
        );
        bad(client.retry_refund(r).await.unwrap_err(), why, at);
    }
    let long = pb::RetryRefundRequest {
        refund_id: unknown.clone(),
        note: "x".repeat(201),
    };
    let mut r = with(long, &staff);
    r.metadata_mut().insert(
        "x-idempotency-key",
        siyu_core::id::new_string().parse().unwrap(),
    );
    bad(
        client.retry_refund(r).await.unwrap_err(),
        "INVALID_ARGUMENT",
        "note",
    );
    // Lists: a consumer names an order; ids, enums, the range and the page token are checked.
    let cases: [(pb::ListRefundsRequest, &str, &str); 5] = [
        (
            pb::ListRefundsRequest::default(),
            "order_id",
            consumer.as_str(),
        ),
        (
            pb::ListRefundsRequest {
                order_id: "x".into(),
                ..Default::default()
            },
            "order_id",
            staff.as_str(),
        ),
        (
            pb::ListRefundsRequest {
                statuses: vec![9],
                ..Default::default()
            },
            "statuses[0]",
            staff.as_str(),
        ),
        (
            pb::ListRefundsRequest {
                created_from: Some(prost_types::Timestamp {
                    seconds: 10,
                    nanos: 0,
                }),
                created_to: Some(prost_types::Timestamp {
                    seconds: 5,
                    nanos: 0,
                }),
                ..Default::default()
            },
            "created_to",
            staff.as_str(),
        ),
        (
            pb::ListRefundsRequest {
                page: Some(siyu_proto::common::v1::PageRequest {
                    page_size: 20,
                    page_token: "garbage".into(),
                }),
                ..Default::default()
            },
            "page.page_token",
            staff.as_str(),
        ),
    ];
    for (request, at, token) in cases {
        let s = client.list_refunds(with(request, token)).await.unwrap_err();
        bad(s, "INVALID_ARGUMENT", at);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_refund_needs_attention_until_retried() {
    let p = P::start().await;
    p.forward_callbacks(true);
    let s = shipped(&p).await;
    let case = cases(&p)
        .request_after_sale(with(one_unit(&s), &p.consumer(s.user)))
        .await
        .unwrap()
        .into_inner()
        .after_sale
        .unwrap();
    // WeChat accepts the refund and keeps it PROCESSING.
    p.control
        .set_refund_outcome(&p.merchant.mchid, "HOLD")
        .await
        .unwrap();
    let partner = p.token(
        p.tenant,
        PrincipalKind::Partner,
        "partner-1",
        &["aftersales.write"],
    );
    let approved = cases(&p)
        .approve_after_sale(with(
            opb::ApproveAfterSaleRequest {
                after_sale_id: case.after_sale_id.clone(),
                ..opb::ApproveAfterSaleRequest::default()
            },
            &partner,
        ))
        .await
        .unwrap()
        .into_inner()
        .after_sale
        .unwrap();
    let id: Uuid = approved.refund_id.parse().unwrap();
    let refund_status = |column: &'static str| {
        let p = &p;
        async move {
            p.scalar(
                &format!("SELECT {column} FROM pay_refunds WHERE id = $1"),
                vec![Value::Uuid(Some(id))],
            )
            .await
        }
    };
    wait(|| async { refund_status("psp_status").await == 3 }).await;
    let staff = p.staff(p.tenant, &["customer_service"]);
    let queried = refunds(&p)
        .query_refund(with(
            pb::QueryRefundRequest {
                refund_id: id.to_string(),
            },
            &staff,
        ))
        .await
        .unwrap()
        .into_inner();
    let refund = queried.refund.unwrap();
    assert_eq!(refund.status, pb::RefundStatus::Processing as i32);
    assert_eq!(refund.psp_status, pb::PspRefundStatus::Processing as i32);
    assert!(!queried.changed);

    // WeChat closes it: the refund needs a person, the case says why, nothing was refunded.
    p.control
        .complete_refund(&p.merchant.mchid, &refund.refund_no, "CLOSED")
        .await
        .unwrap();
    wait(|| async { refund_status("status").await == 4 }).await;
    assert_eq!(refund_status("psp_status").await, 6);
    let issue = p
        .scalar(
            "SELECT COUNT(*) FROM ord_after_sales WHERE id = $1 AND refund_issue = 'PSP_REFUND_CLOSED'",
            vec![Value::Uuid(Some(case.after_sale_id.parse::<Uuid>().unwrap()))],
        )
        .await;
    assert_eq!(issue, 1);
    assert_eq!(line_counters(&p, s.line).await, (0, 1, 0));

    // RetryRefund resubmits it under its number; WeChat answers CLOSED again and the refund
    // is back to NEEDS_ATTENTION, its units still held by the case.
    let mut retry = with(
        pb::RetryRefundRequest {
            refund_id: id.to_string(),
            note: "商户平台已处理".into(),
        },
        &staff,
    );
    retry.metadata_mut().insert(
        "x-idempotency-key",
        siyu_core::id::new_string().parse().unwrap(),
    );
    let retried = refunds(&p)
        .retry_refund(retry)
        .await
        .unwrap()
        .into_inner()
        .refund
        .unwrap();
    assert_eq!(retried.status, pb::RefundStatus::Processing as i32);
    assert_eq!(retried.psp_status, pb::PspRefundStatus::NotSubmitted as i32);
    wait(|| async { refund_status("status").await == 4 }).await;
    assert_eq!(refund_status("psp_status").await, 6);
    assert_eq!(line_counters(&p, s.line).await, (0, 1, 0));
    let refunded = p
        .scalar(
            "SELECT refunded_fen FROM ord_orders WHERE id = $1",
            vec![Value::Uuid(Some(s.order))],
        )
        .await;
    assert_eq!(refunded, 0);
}
