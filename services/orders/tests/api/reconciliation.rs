//! Reconciliation against the WeChat sandbox: a day paid and refunded there, its bill imported
//! and matched with nothing to report; then every mismatch kind made by a local change, found
//! with its amounts, closed AUTO_MATCHED once fixed, and resolved by staff exactly once; one
//! import and one run under concurrent requests and concurrent job passes.

use std::sync::Arc;

use base64::Engine as _;
use prost::Message as _;
use sea_orm::Value;
use siyu_core::{Clock as _, PrincipalKind};
use siyu_orders::app::App;
use siyu_orders::app::payments::merchant::{Answer, MerchantCredentials, Merchants, PayDirectory};
use siyu_proto::common::v1::Money;
use siyu_proto::orders::v1 as opb;
use siyu_proto::orders::v1::after_sale_service_client::AfterSaleServiceClient;
use siyu_proto::payments::v1 as pb;
use siyu_proto::payments::v1::reconciliation_service_client::ReconciliationServiceClient;
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use super::pay_harness::{APPID, OPENID, P, reason, with};

pub const DAY: &str = "2026-12-07";
const WECHAT: i32 = pb::PaymentProvider::WechatPayJsapi as i32;

pub fn rec(p: &P) -> ReconciliationServiceClient<Channel> {
    ReconciliationServiceClient::new(p.channel.clone())
}

fn cny(fen: i64) -> Option<Money> {
    Some(Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

pub async fn wait<F, Fut>(done: F)
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

/// A paid order: (order, payment, out_trade_no).
pub struct Paid {
    pub user: Uuid,
    pub order: Uuid,
    pub payment: Uuid,
    pub out_trade_no: String,
}

/// An order of `fen` paid with WeChat Pay in the sandbox (callbacks forwarded).
pub async fn paid(p: &P, fen: i64) -> Paid {
    let user = siyu_core::id::new();
    let (order, _) = p.order(user, fen).await;
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
    Paid {
        user,
        order,
        payment: payment.payment_id.parse().unwrap(),
        out_trade_no: payment.out_trade_no,
    }
}

/// Refunds one of the paid order's three units through an approved after-sale case; answers
/// the refund's out_refund_no once WeChat returned the money.
async fn refund_one_unit(p: &P, o: &Paid, unit_fen: i64) -> String {
    let line = siyu_core::id::new();
    let sku = siyu_core::id::new();
    let priced = opb::PricedLine {
        sku_id: sku.to_string(),
        quantity: 3,
        unit_price: cny(unit_fen),
        subtotal: cny(unit_fen * 3),
        net_amount: cny(unit_fen * 3),
        cash_amount: cny(unit_fen * 3),
        ..opb::PricedLine::default()
    };
    p.exec(
        "INSERT INTO ord_order_lines (tenant, order_id, line_no, id, sku_id, quantity, net_fen,
             priced)
         VALUES ($1, $2, 1, $3, $4, 3, $5, $6)",
        vec![
            Value::Uuid(Some(p.tenant.0)),
            Value::Uuid(Some(o.order)),
            Value::Uuid(Some(line)),
            Value::Uuid(Some(sku)),
            (unit_fen * 3).into(),
            base64::engine::general_purpose::STANDARD
                .encode(priced.encode_to_vec())
                .into(),
        ],
    )
    .await;
    let week = p.clock.now().timestamp_millis() + 7 * 86_400_000;
    p.exec(
        "UPDATE ord_orders SET status = 4, after_sale_deadline_ms = $2 WHERE id = $1",
        vec![Value::Uuid(Some(o.order)), week.into()],
    )
    .await;
    let mut cases = AfterSaleServiceClient::new(p.channel.clone());
    let case = cases
        .request_after_sale(with(
            opb::RequestAfterSaleRequest {
                order_id: o.order.to_string(),
                kind: opb::AfterSaleKind::RefundOnly as i32,
                lines: vec![opb::AfterSaleLineInput {
                    order_line_id: line.to_string(),
                    quantity: 1,
                }],
                reason: 1,
                ..opb::RequestAfterSaleRequest::default()
            },
            &p.consumer(o.user),
        ))
        .await
        .unwrap()
        .into_inner()
        .after_sale
        .unwrap();
    let partner = p.token(
        p.tenant,
        PrincipalKind::Partner,
        "partner-1",
        &["aftersales.write"],
    );
    // WeChat takes one refund of a payment a minute.
    p.sandbox_clock.advance(chrono::Duration::seconds(61));
    p.clock.advance(chrono::Duration::seconds(61));
    cases
        .approve_after_sale(with(
            opb::ApproveAfterSaleRequest {
                after_sale_id: case.after_sale_id.clone(),
                ..opb::ApproveAfterSaleRequest::default()
            },
            &partner,
        ))
        .await
        .unwrap();
    let order = || vec![Value::Uuid(Some(o.order))];
    wait(|| async {
        p.scalar(
            "SELECT COUNT(*) FROM pay_refunds WHERE order_id = $1 AND status = 3",
            order(),
        )
        .await
            == 1
    })
    .await;
    let b = p.db.db.get_database_backend();
    use sea_orm::ConnectionTrait as _;
    let row =
        p.db.db
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                b,
                "SELECT refund_no FROM pay_refunds WHERE order_id = $1",
                order(),
            ))
            .await
            .unwrap()
            .unwrap();
    row.try_get_by_index::<String>(0).unwrap()
}

/// Both clocks a day and an hour on: the day's bill is ready.
pub fn next_day(p: &P) {
    let by = chrono::Duration::hours(25);
    p.clock.advance(by);
    p.sandbox_clock.advance(by);
}

pub fn admin(p: &P) -> String {
    p.staff(p.tenant, &["tenant_admin"])
}

/// Imports `DAY` and waits until it is IMPORTED.
pub async fn import(p: &P, token: &str) -> pb::BillImport {
    let import = rec(p)
        .import_bill(with(
            pb::ImportBillRequest {
                provider: WECHAT,
                bill_date: DAY.into(),
                replace: false,
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .bill_import
        .unwrap();
    let id = import.bill_import_id.clone();
    for _ in 0..500 {
        let got = rec(p)
            .get_bill_import(with(
                pb::GetBillImportRequest {
                    bill_import_id: id.clone(),
                },
                token,
            ))
            .await
            .unwrap()
            .into_inner()
            .bill_import
            .unwrap();
        if got.status != pb::BillImportStatus::Downloading as i32 {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("import still downloading");
}

/// Runs `DAY` and waits until the run is done.
pub async fn run(p: &P, token: &str) -> pb::ReconciliationRun {
    let run = rec(p)
        .run_reconciliation(with(
            pb::RunReconciliationRequest {
                provider: WECHAT,
                bill_date: DAY.into(),
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .run
        .unwrap();
    assert_eq!(run.status, pb::ReconciliationRunStatus::Running as i32);
    finished(p, &run.run_id, token).await
}

async fn finished(p: &P, id: &str, token: &str) -> pb::ReconciliationRun {
    for _ in 0..500 {
        let got = rec(p)
            .get_reconciliation_run(with(
                pb::GetReconciliationRunRequest { run_id: id.into() },
                token,
            ))
            .await
            .unwrap()
            .into_inner()
            .run
            .unwrap();
        if got.status != pb::ReconciliationRunStatus::Running as i32 {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("run still running");
}

async fn mismatches(p: &P, token: &str, include_resolved: bool) -> Vec<pb::Mismatch> {
    rec(p)
        .list_mismatches(with(
            pb::ListMismatchesRequest {
                include_resolved,
                ..pb::ListMismatchesRequest::default()
            },
            token,
        ))
        .await
        .unwrap()
        .into_inner()
        .mismatches
}

fn amount(m: Option<&Money>) -> Option<i64> {
    m.map(|m| m.minor_units)
}

async fn set(p: &P, sql: &str, id: Uuid) {
    p.exec(sql, vec![Value::Uuid(Some(id))]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_day_matches_then_each_mismatch_is_found_closed_and_resolved() {
    let p = P::start().await;
    p.forward_callbacks(true);
    let a = paid(&p, 1000).await;
    let b = paid(&p, 2000).await;
    let c = paid(&p, 3000).await;
    let e = paid(&p, 800).await;
    let refund_no = refund_one_unit(&p, &c, 1000).await;
    next_day(&p);
    let staff = admin(&p);

    let import = import(&p, &staff).await;
    assert_eq!(
        import.status,
        pb::BillImportStatus::Imported as i32,
        "{import:?}"
    );
    assert_eq!((import.payment_row_count, import.refund_row_count), (4, 1));
    assert_eq!(amount(import.payment_total.as_ref()), Some(6800));
    assert_eq!(amount(import.refund_total.as_ref()), Some(1000));
    // 0.6% of 6800 − 0.6% of 1000 fen = 34.8 fen.
    assert_eq!(amount(import.fee_total.as_ref()), Some(35));
    assert_eq!(import.file_sha256.len(), 64);
    assert_eq!(import.merchant_id, p.merchant.mchid);

    let first = run(&p, &staff).await;
    assert_eq!(first.status, pb::ReconciliationRunStatus::Completed as i32);
    assert_eq!((first.matched_count, first.mismatch_count), (5, 0));
    assert_eq!(amount(first.local_payment_total.as_ref()), Some(6800));
    assert_eq!(amount(first.psp_payment_total.as_ref()), Some(6800));
    assert_eq!(amount(first.local_refund_total.as_ref()), Some(1000));
    assert_eq!(amount(first.psp_refund_total.as_ref()), Some(1000));
    assert_eq!(first.bill_import_id, import.bill_import_id);
    assert!(!first.started_by_staff_id.is_empty());
    assert!(mismatches(&p, &staff, true).await.is_empty());

    // Every kind, by local changes: an amount, a status, a payment and a refund unknown
    // locally, a refund and a payment unknown to WeChat.
    set(
        &p,
        "UPDATE pay_payments SET amount_fen = 1001 WHERE id = $1",
        a.payment,
    )
    .await;
    set(
        &p,
        "UPDATE pay_payments SET status = 2 WHERE id = $1",
        b.payment,
    )
    .await;
    set(
        &p,
        "UPDATE pay_payments SET out_trade_no = 'GONE' || out_trade_no, status = 5 WHERE id = $1",
        e.payment,
    )
    .await;
    p.exec(
        "UPDATE pay_refunds SET refund_no = 'Z' || refund_no WHERE refund_no = $1",
        vec![refund_no.clone().into()],
    )
    .await;
    let f = paid_locally_only(&p, 700).await;

    let second = run(&p, &staff).await;
    assert_eq!((second.matched_count, second.mismatch_count), (1, 6));
    assert_eq!(second.auto_resolved_count, 0);
    // A 1001 + C 3000 + F 700; B is pending and E closed locally.
    assert_eq!(amount(second.local_payment_total.as_ref()), Some(4701));
    assert_eq!(amount(second.psp_payment_total.as_ref()), Some(6800));
    let found = rec(&p)
        .list_mismatches(with(
            pb::ListMismatchesRequest {
                run_id: second.run_id.clone(),
                ..pb::ListMismatchesRequest::default()
            },
            &staff,
        ))
        .await
        .unwrap()
        .into_inner()
        .mismatches;
    assert_eq!(found.len(), 6);
    let filtered = |kinds: Vec<i32>, trade: &str| {
        let mut client = rec(&p);
        let request = with(
            pb::ListMismatchesRequest {
                kinds,
                out_trade_no: trade.into(),
                bill_date_from: DAY.into(),
                bill_date_to: DAY.into(),
                ..pb::ListMismatchesRequest::default()
            },
            &staff,
        );
        async move {
            client
                .list_mismatches(request)
                .await
                .unwrap()
                .into_inner()
                .mismatches
        }
    };
    let missing = filtered(
        vec![
            pb::MismatchKind::MissingLocally as i32,
            pb::MismatchKind::MissingAtPsp as i32,
        ],
        "",
    )
    .await;
    assert_eq!(missing.len(), 4);
    let of_b = filtered(Vec::new(), &b.out_trade_no).await;
    assert_eq!(of_b.len(), 1);
    assert_eq!(of_b[0].kind, pb::MismatchKind::StatusDiffers as i32);
    let one = |kind: pb::MismatchKind, subject: pb::MismatchSubject, trade: &str| {
        let hits: Vec<&pb::Mismatch> = found
            .iter()
            .filter(|m| m.kind == kind as i32 && m.subject == subject as i32)
            .filter(|m| trade.is_empty() || m.out_trade_no == trade)
            .collect();
        assert_eq!(hits.len(), 1, "{kind:?} {subject:?} {trade}: {found:?}");
        hits[0].clone()
    };
    use pb::MismatchKind as K;
    use pb::MismatchSubject as S;
    let m = one(K::AmountDiffers, S::Payment, &a.out_trade_no);
    assert_eq!(amount(m.local_amount.as_ref()), Some(1001));
    assert_eq!(amount(m.psp_amount.as_ref()), Some(1000));
    assert_eq!(m.payment_id, a.payment.to_string());
    assert_eq!(m.order_id, a.order.to_string());
    assert!(!m.psp_transaction_id.is_empty());
    assert_eq!(m.bill_date, DAY);
    let m = one(K::StatusDiffers, S::Payment, &b.out_trade_no);
    assert_eq!(m.local_status, "PAYMENT_STATUS_PENDING");
    assert_eq!(m.psp_status, "SUCCESS");
    assert_eq!(amount(m.local_amount.as_ref()), Some(2000));
    assert_eq!(amount(m.psp_amount.as_ref()), Some(2000));
    let m = one(K::MissingLocally, S::Payment, &e.out_trade_no);
    assert_eq!(m.local_amount, None);
    assert_eq!(amount(m.psp_amount.as_ref()), Some(800));
    assert!(m.payment_id.is_empty());
    let m = one(K::MissingLocally, S::Refund, &c.out_trade_no);
    assert_eq!(m.out_refund_no, refund_no);
    assert!(!m.psp_refund_id.is_empty());
    assert_eq!(amount(m.psp_amount.as_ref()), Some(1000));
    assert_eq!(m.local_amount, None);
    let m = one(K::MissingAtPsp, S::Refund, &c.out_trade_no);
    assert_eq!(m.out_refund_no, format!("Z{refund_no}"));
    assert_eq!(amount(m.local_amount.as_ref()), Some(1000));
    assert_eq!(m.psp_amount, None);
    assert_eq!(m.local_status, "REFUND_STATUS_SUCCEEDED");
    let missing_f = one(K::MissingAtPsp, S::Payment, &f.1);
    assert_eq!(amount(missing_f.local_amount.as_ref()), Some(700));
    assert_eq!(missing_f.psp_amount, None);
    assert_eq!(
        missing_f.resolution,
        pb::MismatchResolution::Unspecified as i32
    );

    // A run of the same day again reports nothing new.
    let again = run(&p, &staff).await;
    assert_eq!((again.mismatch_count, again.auto_resolved_count), (0, 0));
    assert_eq!(mismatches(&p, &staff, false).await.len(), 6);

    // Staff accept F's; a second resolution is refused with the first one named.
    let resolve = |note: &str| pb::ResolveMismatchRequest {
        mismatch_id: missing_f.mismatch_id.clone(),
        resolution: pb::MismatchResolution::Accepted as i32,
        note: note.into(),
    };
    // Eight staff at once: one resolution, seven refusals.
    let mut calls = Vec::new();
    for _ in 0..8 {
        let mut client = rec(&p);
        let request = with(resolve("a test payment"), &staff);
        calls.push(tokio::spawn(async move {
            client.resolve_mismatch(request).await
        }));
    }
    let mut won = Vec::new();
    for call in calls {
        match call.await.unwrap() {
            Ok(answer) => won.push(answer.into_inner().mismatch.unwrap()),
            Err(status) => assert_eq!(reason(&status), "MISMATCH_ALREADY_RESOLVED"),
        }
    }
    assert_eq!(won.len(), 1);
    let resolved = won.remove(0);
    assert_eq!(resolved.resolution, pb::MismatchResolution::Accepted as i32);
    assert_eq!(resolved.resolution_note, "a test payment");
    assert!(!resolved.resolved_by_staff_id.is_empty());
    assert!(resolved.resolved_at.is_some());
    let status = rec(&p)
        .resolve_mismatch(with(resolve("again"), &staff))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "MISMATCH_ALREADY_RESOLVED");
    assert_eq!(meta(&status, "resolution"), "MISMATCH_RESOLUTION_ACCEPTED");

    // Fixed locally (F left as it is): a new run closes the five, keeps F accepted.
    set(
        &p,
        "UPDATE pay_payments SET amount_fen = 1000 WHERE id = $1",
        a.payment,
    )
    .await;
    set(
        &p,
        "UPDATE pay_payments SET status = 3 WHERE id = $1",
        b.payment,
    )
    .await;
    set(
        &p,
        "UPDATE pay_payments SET out_trade_no = SUBSTR(out_trade_no, 5), status = 3 WHERE id = $1",
        e.payment,
    )
    .await;
    p.exec(
        "UPDATE pay_refunds SET refund_no = $1 WHERE refund_no = $2",
        vec![refund_no.clone().into(), format!("Z{refund_no}").into()],
    )
    .await;
    let third = run(&p, &staff).await;
    assert_eq!(
        (
            third.matched_count,
            third.mismatch_count,
            third.auto_resolved_count
        ),
        (5, 0, 5)
    );
    assert!(mismatches(&p, &staff, false).await.is_empty());
    let all = mismatches(&p, &staff, true).await;
    assert_eq!(all.len(), 6);
    let auto = all
        .iter()
        .filter(|m| m.resolution == pb::MismatchResolution::AutoMatched as i32)
        .inspect(|m| {
            assert!(m.resolved_by_staff_id.is_empty());
            assert!(m.resolved_at.is_some());
        })
        .count();
    assert_eq!(auto, 5);
    let accepted: Vec<_> = all
        .iter()
        .filter(|m| m.resolution == pb::MismatchResolution::Accepted as i32)
        .collect();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].mismatch_id, missing_f.mismatch_id);

    // An auditor reads but neither imports, runs nor resolves.
    let auditor = p.staff(p.tenant, &["auditor"]);
    assert_eq!(mismatches(&p, &auditor, true).await.len(), 6);
    let runs = rec(&p)
        .list_reconciliation_runs(with(
            pb::ListReconciliationRunsRequest {
                bill_date: DAY.into(),
                page: Some(siyu_proto::common::v1::PageRequest {
                    page_size: 2,
                    page_token: String::new(),
                }),
            },
            &auditor,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(runs.runs.len(), 2);
    assert_eq!(runs.runs[0].run_id, third.run_id);
    let rest = rec(&p)
        .list_reconciliation_runs(with(
            pb::ListReconciliationRunsRequest {
                bill_date: DAY.into(),
                page: Some(siyu_proto::common::v1::PageRequest {
                    page_size: 2,
                    page_token: runs.page.unwrap().next_page_token,
                }),
            },
            &auditor,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.runs.len(), 2);
    assert_eq!(rest.runs[1].run_id, first.run_id);
    let status = rec(&p)
        .import_bill(with(
            pb::ImportBillRequest {
                provider: WECHAT,
                bill_date: DAY.into(),
                replace: true,
            },
            &auditor,
        ))
        .await
        .unwrap_err();
    // The access layer refuses a role the contract does not admit (its reason for every
    // service: PERMISSION_DENIED).
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(reason(&status), "PERMISSION_DENIED");
    let status = rec(&p)
        .run_reconciliation(with(
            pb::RunReconciliationRequest {
                provider: WECHAT,
                bill_date: DAY.into(),
            },
            &auditor,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(reason(&status), "PERMISSION_DENIED");
    let status = rec(&p)
        .resolve_mismatch(with(resolve("auditor"), &auditor))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(reason(&status), "PERMISSION_DENIED");

    // Another tenant's staff find none of it.
    let other = p.staff(siyu_core::TenantId(siyu_core::id::new()), &["tenant_admin"]);
    let status = rec(&p)
        .get_bill_import(with(
            pb::GetBillImportRequest {
                bill_import_id: import.bill_import_id.clone(),
            },
            &other,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "BILL_IMPORT_NOT_FOUND");
    let status = rec(&p)
        .get_reconciliation_run(with(
            pb::GetReconciliationRunRequest {
                run_id: first.run_id.clone(),
            },
            &other,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "RECONCILIATION_RUN_NOT_FOUND");
    let status = rec(&p)
        .resolve_mismatch(with(
            pb::ResolveMismatchRequest {
                mismatch_id: all[0].mismatch_id.clone(),
                resolution: pb::MismatchResolution::FixedLocally as i32,
                note: "x".into(),
            },
            &other,
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "MISMATCH_NOT_FOUND");
    assert!(mismatches(&p, &other, true).await.is_empty());
}

/// A payment recorded SUCCEEDED locally on `DAY` that WeChat never collected: (payment,
/// out_trade_no).
async fn paid_locally_only(p: &P, fen: i64) -> (Uuid, String) {
    let user = siyu_core::id::new();
    let (order, _) = p.order(user, fen).await;
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
    // 2026-12-07T12:00:00+08:00.
    let noon = (super::pay_harness::START + 7200) * 1000;
    let id: Uuid = payment.payment_id.parse().unwrap();
    p.exec(
        "UPDATE pay_payments SET status = 3, paid_at_ms = $2 WHERE id = $1",
        vec![Value::Uuid(Some(id)), noon.into()],
    )
    .await;
    (id, payment.out_trade_no)
}

async fn count(p: &P, sql: &str) -> i64 {
    p.scalar(sql, Vec::new()).await
}

pub fn meta(s: &tonic::Status, key: &str) -> String {
    use tonic_types::StatusExt;
    s.get_details_error_info()
        .and_then(|i| i.metadata.get(key).cloned())
        .unwrap_or_default()
}

pub fn field(s: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    s.get_details_bad_request()
        .and_then(|b| b.field_violations.first().map(|v| v.field.clone()))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_imports_and_runs_of_a_day_make_one_each() {
    let p = P::start().await;
    p.forward_callbacks(true);
    paid(&p, 1200).await;
    next_day(&p);
    let staff = admin(&p);

    let mut calls = Vec::new();
    for _ in 0..8 {
        let mut client = rec(&p);
        let request = with(
            pb::ImportBillRequest {
                provider: WECHAT,
                bill_date: DAY.into(),
                replace: false,
            },
            &staff,
        );
        calls.push(tokio::spawn(
            async move { client.import_bill(request).await },
        ));
    }
    let mut ids = std::collections::HashSet::new();
    for call in calls {
        let import = call
            .await
            .unwrap()
            .unwrap()
            .into_inner()
            .bill_import
            .unwrap();
        ids.insert(import.bill_import_id);
    }
    assert_eq!(ids.len(), 1);
    let imported = import(&p, &staff).await;
    assert_eq!(imported.status, pb::BillImportStatus::Imported as i32);
    assert!(ids.contains(&imported.bill_import_id));
    assert_eq!(imported.payment_row_count, 1);
    assert_eq!(count(&p, "SELECT COUNT(*) FROM pay_bill_imports").await, 1);
    assert_eq!(count(&p, "SELECT COUNT(*) FROM pay_bill_rows").await, 1);

    // While the import row is held, no run can finish: eight starts meet one RUNNING run.
    let b = p.db.db.get_database_backend();
    use sea_orm::{ConnectionTrait as _, TransactionTrait as _};
    let holder = p.db.db.begin().await.unwrap();
    holder
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            b,
            "SELECT id FROM pay_bill_imports FOR UPDATE",
            Vec::<Value>::new(),
        ))
        .await
        .unwrap();
    let mut calls = Vec::new();
    for _ in 0..8 {
        let mut client = rec(&p);
        let request = with(
            pb::RunReconciliationRequest {
                provider: WECHAT,
                bill_date: DAY.into(),
            },
            &staff,
        );
        calls.push(tokio::spawn(async move {
            client.run_reconciliation(request).await
        }));
    }
    let mut runs = std::collections::HashSet::new();
    for call in calls {
        let run = call.await.unwrap().unwrap().into_inner().run.unwrap();
        assert_eq!(run.status, pb::ReconciliationRunStatus::Running as i32);
        runs.insert(run.run_id);
    }
    assert_eq!(runs.len(), 1);
    holder.commit().await.unwrap();
    let id = runs.into_iter().next().unwrap();
    let done = finished(&p, &id, &staff).await;
    assert_eq!(done.status, pb::ReconciliationRunStatus::Completed as i32);
    assert_eq!((done.matched_count, done.mismatch_count), (1, 0));
    assert_eq!(
        count(&p, "SELECT COUNT(*) FROM pay_reconciliation_runs").await,
        1
    );

    // A start under an idempotency key answers its first run when retried.
    let keyed = || {
        let mut r = with(
            pb::RunReconciliationRequest {
                provider: WECHAT,
                bill_date: DAY.into(),
            },
            &staff,
        );
        r.metadata_mut()
            .insert("x-idempotency-key", "run-7".parse().unwrap());
        r
    };
    let first_keyed = rec(&p)
        .run_reconciliation(keyed())
        .await
        .unwrap()
        .into_inner();
    let first_keyed = first_keyed.run.unwrap().run_id;
    finished(&p, &first_keyed, &staff).await;
    let retried = rec(&p)
        .run_reconciliation(keyed())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retried.run.unwrap().run_id, first_keyed);
    assert_eq!(
        count(&p, "SELECT COUNT(*) FROM pay_reconciliation_runs").await,
        2
    );

    // The same import again is the import as it is; `replace` downloads it again.
    let same = rec(&p)
        .import_bill(with(
            pb::ImportBillRequest {
                provider: WECHAT,
                bill_date: DAY.into(),
                replace: false,
            },
            &staff,
        ))
        .await
        .unwrap()
        .into_inner()
        .bill_import
        .unwrap();
    assert_eq!(same.status, pb::BillImportStatus::Imported as i32);
    let replaced = rec(&p)
        .import_bill(with(
            pb::ImportBillRequest {
                provider: WECHAT,
                bill_date: DAY.into(),
                replace: true,
            },
            &staff,
        ))
        .await
        .unwrap()
        .into_inner()
        .bill_import
        .unwrap();
    assert_eq!(replaced.status, pb::BillImportStatus::Downloading as i32);
    assert_eq!(replaced.bill_import_id, imported.bill_import_id);
    let again = import(&p, &staff).await;
    assert_eq!(again.status, pb::BillImportStatus::Imported as i32);
    assert_eq!(count(&p, "SELECT COUNT(*) FROM pay_bill_rows").await, 1);
    let list = rec(&p)
        .list_bill_imports(with(
            pb::ListBillImportsRequest {
                statuses: vec![pb::BillImportStatus::Imported as i32],
                ..pb::ListBillImportsRequest::default()
            },
            &staff,
        ))
        .await
        .unwrap()
        .into_inner()
        .bill_imports;
    assert_eq!(list.len(), 1);
}

/// The test merchant for an app built by the test.
#[derive(Debug)]
struct Fixed(MerchantCredentials);

impl PayDirectory for Fixed {
    fn wechat_pay(&self, _t: siyu_core::TenantId) -> Answer<'_, MerchantCredentials> {
        Box::pin(async move { Ok(self.0.clone()) })
    }

    fn openid<'a>(
        &'a self,
        _t: siyu_core::TenantId,
        _u: Uuid,
        _a: &'a str,
    ) -> Answer<'a, Option<String>> {
        Box::pin(async move { Ok(Some(OPENID.to_owned())) })
    }
}

/// An app over the harness's database and sandbox, as a second replica's jobs would run.
pub async fn jobs_app(p: &P) -> App {
    let platform = p.control.pay_platform().await.unwrap();
    let creds = MerchantCredentials {
        mch_id: p.merchant.mchid.clone(),
        app_id: APPID.into(),
        serial_no: p.merchant.serial_no.clone(),
        private_key_pem: p.merchant.private_key_pem.clone().unwrap(),
        apiv3_key: p.merchant.apiv3_key.clone(),
        public_key: None,
        certificates: platform
            .certificates
            .iter()
            .map(|c| c.pem.clone())
            .collect(),
    };
    let clock: Arc<dyn siyu_core::Clock> = Arc::new(p.clock.clone());
    let settings = siyu_orders::settings::WechatPaySettings {
        api_base: p.sandbox.base_url(),
        ..siyu_orders::settings::WechatPaySettings::default()
    };
    let peers = Arc::new(
        siyu_orders::peers::Peers::new(
            &siyu_orders::settings::PeerSettings::default(),
            clock.clone(),
        )
        .unwrap(),
    );
    App::new(p.db.db.clone(), clock.clone(), peers).with_merchants(Arc::new(Merchants::new(
        Arc::new(Fixed(creds)),
        settings,
        clock,
    )))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_job_passes_import_and_match_yesterday_once() {
    let p = P::start().await;
    p.forward_callbacks(true);
    paid(&p, 900).await;
    paid(&p, 100).await;
    let (one, two) = (jobs_app(&p).await, jobs_app(&p).await);

    // 2026-12-08 10:00 Asia/Shanghai: not yet.
    p.clock.advance(chrono::Duration::hours(24));
    p.sandbox_clock.advance(chrono::Duration::hours(24));
    one.reconcile_due().await.unwrap();
    assert_eq!(count(&p, "SELECT COUNT(*) FROM pay_bill_imports").await, 0);

    // 10:31: both passes at once import and match the day once.
    p.clock.advance(chrono::Duration::minutes(31));
    p.sandbox_clock.advance(chrono::Duration::minutes(31));
    let (a, b) = tokio::join!(one.reconcile_due(), two.reconcile_due());
    a.unwrap();
    b.unwrap();
    assert_eq!(
        count(&p, "SELECT COUNT(*) FROM pay_bill_imports WHERE status = 2").await,
        1
    );
    assert_eq!(count(&p, "SELECT COUNT(*) FROM pay_bill_rows").await, 2);
    assert_eq!(
        count(
            &p,
            "SELECT COUNT(*) FROM pay_reconciliation_runs WHERE status = 2"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &p,
            "SELECT COUNT(*) FROM pay_reconciliation_runs WHERE started_by_staff_id = ''"
        )
        .await,
        1
    );
    assert_eq!(
        count(&p, "SELECT COUNT(*) FROM pay_reconciliation_mismatches").await,
        0
    );
    let matched = count(&p, "SELECT matched_count FROM pay_reconciliation_runs").await;
    assert_eq!(matched, 2);
    // A later pass has nothing to do.
    one.reconcile_due().await.unwrap();
    assert_eq!(
        count(&p, "SELECT COUNT(*) FROM pay_reconciliation_runs").await,
        1
    );

    // Work a dead process left behind: a download and a run untouched for three minutes.
    p.exec(
        "UPDATE pay_bill_imports SET status = 1, claim = 'dead', claimed_at_ms = $1,
             updated_at_ms = $1",
        vec![p.clock.now().timestamp_millis().into()],
    )
    .await;
    let import_id = {
        let staff = admin(&p);
        let list = rec(&p)
            .list_bill_imports(with(pb::ListBillImportsRequest::default(), &staff))
            .await
            .unwrap()
            .into_inner()
            .bill_imports;
        list[0].bill_import_id.clone()
    };
    let started = p.clock.now().timestamp_millis();
    p.exec(
        "INSERT INTO pay_reconciliation_runs (tenant, id, provider, bill_date, bill_import_id,
             status, started_at_ms)
         VALUES ($1, $2, 1, $3, $4, 1, $5)",
        vec![
            Value::Uuid(Some(p.tenant.0)),
            Value::Uuid(Some(siyu_core::id::new())),
            DAY.into(),
            Value::Uuid(Some(import_id.parse().unwrap())),
            started.into(),
        ],
    )
    .await;
    one.reconcile_due().await.unwrap();
    // Not stale yet: left alone.
    assert_eq!(
        count(&p, "SELECT COUNT(*) FROM pay_bill_imports WHERE status = 1").await,
        1
    );
    p.clock.advance(chrono::Duration::minutes(3));
    p.sandbox_clock.advance(chrono::Duration::minutes(3));
    let (a, b) = tokio::join!(one.reconcile_due(), two.reconcile_due());
    a.unwrap();
    b.unwrap();
    assert_eq!(
        count(&p, "SELECT COUNT(*) FROM pay_bill_imports WHERE status = 2").await,
        1
    );
    assert_eq!(count(&p, "SELECT COUNT(*) FROM pay_bill_rows").await, 2);
    assert_eq!(
        count(
            &p,
            "SELECT COUNT(*) FROM pay_reconciliation_runs WHERE status = 2"
        )
        .await,
        2
    );
    // WeChat unreachable at the last try: asked again an hour later, by one of two passes.
    let two_hours_ago = p.clock.now().timestamp_millis() - 7_200_000;
    p.exec(
        "UPDATE pay_bill_imports SET status = 4, error_reason = 'PAYMENT_PROVIDER_UNAVAILABLE',
             updated_at_ms = $1",
        vec![two_hours_ago.into()],
    )
    .await;
    let (a, b) = tokio::join!(one.reconcile_due(), two.reconcile_due());
    a.unwrap();
    b.unwrap();
    assert_eq!(
        count(&p, "SELECT COUNT(*) FROM pay_bill_imports WHERE status = 2").await,
        1
    );
    assert_eq!(count(&p, "SELECT COUNT(*) FROM pay_bill_rows").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_bill_is_stored_whole_and_in_order() {
    use siyu_orders::repo::reconciliation as repo;
    let db = siyu_testkit::TestDb::postgres::<siyu_orders_migration::Migrator>()
        .await
        .unwrap();
    let tenant = siyu_core::TenantId(siyu_core::id::new());
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let import = repo::request(&db.db, tenant, 1, day, "1900000001", 1)
        .await
        .unwrap();
    assert!(
        repo::claim(&db.db, tenant, import.id, "me", 2, 0)
            .await
            .unwrap()
    );
    let lines: Vec<repo::BillLine> = (1..=450)
        .map(|n| repo::BillLine {
            line_no: n,
            subject: 1,
            traded_at: "2026-12-07 12:00:00".into(),
            out_trade_no: format!("SY{n:06}"),
            transaction_id: format!("4200{n:024}"),
            out_refund_no: String::new(),
            refund_id: String::new(),
            trade_state: "SUCCESS".into(),
            refund_status: String::new(),
            amount_fen: i64::from(n),
        })
        .collect();
    let done = repo::Imported {
        payment_rows: 450,
        ..repo::Imported::default()
    };
    // Someone else's claim cannot finish it.
    assert!(
        !repo::finish_imported(&db.db, tenant, import.id, "other", &lines, &done, 3)
            .await
            .unwrap()
    );
    assert!(
        repo::finish_imported(&db.db, tenant, import.id, "me", &lines, &done, 3)
            .await
            .unwrap()
    );
    let stored = repo::lines(&db.db, tenant, import.id).await.unwrap();
    assert_eq!(stored, lines);
}
