//! ReconciliationService refuses bad input with the field and reason the contract names, a day
//! not imported with its import's status, and a tenant with no WeChat Pay merchant; a bill not
//! ready yet is asked for again by the jobs pass.

use std::sync::Arc;

use sea_orm::ConnectionTrait as _;
use siyu_auth::{Audience, Claims, SigningKey};
use siyu_core::{Clock as _, ManualClock, PrincipalKind, TenantId};
use siyu_orders::app::payments::PaymentError;
use siyu_orders::app::payments::merchant::{Answer, MerchantCredentials, PayDirectory};
use siyu_orders::settings::Settings;
use siyu_orders::{AppError, Application, Overrides};
use siyu_orders_migration::Migrator;
use siyu_proto::common::v1::PageRequest;
use siyu_proto::payments::v1 as pb;
use siyu_proto::payments::v1::reconciliation_service_client::ReconciliationServiceClient;
use siyu_testkit::TestDb;
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use super::pay_harness::{P, reason, with};
use super::reconciliation::{DAY, admin, field, jobs_app, meta, rec};

const WECHAT: i32 = pb::PaymentProvider::WechatPayJsapi as i32;

/// Asserts INVALID_ARGUMENT naming `expected`.
fn invalid<T: std::fmt::Debug>(answer: Result<tonic::Response<T>, tonic::Status>, expected: &str) {
    let status = answer.unwrap_err();
    assert_eq!(
        status.code(),
        Code::InvalidArgument,
        "{expected}: {status:?}"
    );
    assert_eq!(reason(&status), "INVALID_ARGUMENT", "{expected}");
    assert_eq!(field(&status), expected);
}

fn not_found<T: std::fmt::Debug>(answer: Result<tonic::Response<T>, tonic::Status>, why: &str) {
    let status = answer.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{why}: {status:?}");
    assert_eq!(reason(&status), why);
}

fn import(day: &str, provider: i32) -> pb::ImportBillRequest {
    pb::ImportBillRequest {
        provider,
        bill_date: day.into(),
        replace: false,
    }
}

fn page(token: &str) -> Option<PageRequest> {
    Some(PageRequest {
        page_size: 10,
        page_token: token.into(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_rpc_refuses_bad_input_with_its_reason() {
    let p = P::start().await;
    // 2026-12-08 09:00 Asia/Shanghai: WeChat is still making the bill of the 7th.
    p.clock.advance(chrono::Duration::hours(23));
    p.sandbox_clock.advance(chrono::Duration::hours(23));
    let staff = admin(&p);
    macro_rules! t {
        ($m:expr) => {
            with($m, &staff)
        };
    }
    let mut c = rec(&p);

    // ImportBill: the day and the provider.
    for day in [
        "",
        "2026-12-7",
        "20261207",
        "2026-02-30",
        "2026-12-08",
        "2026-12-09",
        "2026-09-08",
    ] {
        invalid(c.import_bill(t!(import(day, WECHAT))).await, "bill_date");
    }
    for provider in [0, 2, 3, 99] {
        invalid(c.import_bill(t!(import(DAY, provider))).await, "provider");
    }
    // 90 days back is still a bill; WeChat has none for it (no trades): imported empty.
    let oldest = c
        .import_bill(t!(import("2026-09-09", WECHAT)))
        .await
        .unwrap()
        .into_inner()
        .bill_import
        .unwrap();
    assert_eq!(oldest.bill_date, "2026-09-09");

    // GetBillImport.
    let get = |id: &str| pb::GetBillImportRequest {
        bill_import_id: id.into(),
    };
    invalid(c.get_bill_import(t!(get(""))).await, "bill_import_id");
    invalid(c.get_bill_import(t!(get("nope"))).await, "bill_import_id");
    not_found(
        c.get_bill_import(t!(get(&siyu_core::id::new().to_string())))
            .await,
        "BILL_IMPORT_NOT_FOUND",
    );

    // ListBillImports.
    let list = |from: &str, to: &str, statuses: Vec<i32>, token: &str| pb::ListBillImportsRequest {
        bill_date_from: from.into(),
        bill_date_to: to.into(),
        statuses,
        page: page(token),
    };
    invalid(
        c.list_bill_imports(t!(list("yesterday", "", vec![], "")))
            .await,
        "bill_date_from",
    );
    invalid(
        c.list_bill_imports(t!(list("2026-12-07", "2026-12-06", vec![], "")))
            .await,
        "bill_date_to",
    );
    invalid(
        c.list_bill_imports(t!(list("", "", vec![5], ""))).await,
        "statuses[0]",
    );
    invalid(
        c.list_bill_imports(t!(list("", "", vec![], "junk"))).await,
        "page.page_token",
    );

    // RunReconciliation.
    let run = |day: &str, provider: i32| pb::RunReconciliationRequest {
        provider,
        bill_date: day.into(),
    };
    for day in ["", "2026-12-32", "2026-12-08", "2027-01-01"] {
        invalid(
            c.run_reconciliation(t!(run(day, WECHAT))).await,
            "bill_date",
        );
    }
    invalid(c.run_reconciliation(t!(run(DAY, 0))).await, "provider");
    let status = c
        .run_reconciliation(t!(run("2026-12-01", WECHAT)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "BILL_NOT_IMPORTED");
    assert_eq!(
        meta(&status, "bill_import_status"),
        "BILL_IMPORT_STATUS_UNSPECIFIED"
    );

    // GetReconciliationRun and ListReconciliationRuns.
    let get_run = |id: &str| pb::GetReconciliationRunRequest { run_id: id.into() };
    invalid(c.get_reconciliation_run(t!(get_run(""))).await, "run_id");
    not_found(
        c.get_reconciliation_run(t!(get_run(&siyu_core::id::new().to_string())))
            .await,
        "RECONCILIATION_RUN_NOT_FOUND",
    );
    let runs = |day: &str, token: &str| pb::ListReconciliationRunsRequest {
        bill_date: day.into(),
        page: page(token),
    };
    invalid(
        c.list_reconciliation_runs(t!(runs("2026/12/07", ""))).await,
        "bill_date",
    );
    invalid(
        c.list_reconciliation_runs(t!(runs("", "junk"))).await,
        "page.page_token",
    );

    // ListMismatches.
    let base = pb::ListMismatchesRequest::default;
    invalid(
        c.list_mismatches(t!(pb::ListMismatchesRequest {
            bill_date_to: "x".into(),
            ..base()
        }))
        .await,
        "bill_date_to",
    );
    invalid(
        c.list_mismatches(t!(pb::ListMismatchesRequest {
            run_id: "x".into(),
            ..base()
        }))
        .await,
        "run_id",
    );
    invalid(
        c.list_mismatches(t!(pb::ListMismatchesRequest {
            kinds: vec![0],
            ..base()
        }))
        .await,
        "kinds[0]",
    );
    invalid(
        c.list_mismatches(t!(pb::ListMismatchesRequest {
            page: page("junk"),
            ..base()
        }))
        .await,
        "page.page_token",
    );

    // ResolveMismatch.
    let id = siyu_core::id::new().to_string();
    let resolve = |id: &str, resolution: i32, note: &str| pb::ResolveMismatchRequest {
        mismatch_id: id.into(),
        resolution,
        note: note.into(),
    };
    let fixed = pb::MismatchResolution::FixedLocally as i32;
    invalid(
        c.resolve_mismatch(t!(resolve("", fixed, "n"))).await,
        "mismatch_id",
    );
    for resolution in [0, 1, 6, -1] {
        invalid(
            c.resolve_mismatch(t!(resolve(&id, resolution, "n"))).await,
            "resolution",
        );
    }
    for note in [String::new(), "   ".into(), "字".repeat(501)] {
        invalid(
            c.resolve_mismatch(t!(resolve(&id, fixed, &note))).await,
            "note",
        );
    }
    not_found(
        c.resolve_mismatch(t!(resolve(&id, fixed, &"字".repeat(500))))
            .await,
        "MISMATCH_NOT_FOUND",
    );

    // A bill WeChat is still making: NOT_READY, not matchable.
    let pending = c
        .import_bill(t!(import(DAY, WECHAT)))
        .await
        .unwrap()
        .into_inner()
        .bill_import
        .unwrap();
    let not_ready = pb::BillImportStatus::NotReady as i32;
    let mut seen = pending.clone();
    for _ in 0..500 {
        seen = c
            .get_bill_import(t!(get(&pending.bill_import_id)))
            .await
            .unwrap()
            .into_inner()
            .bill_import
            .unwrap();
        if seen.status != pb::BillImportStatus::Downloading as i32 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen.status, not_ready, "{seen:?}");
    let status = c
        .run_reconciliation(t!(run(DAY, WECHAT)))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "BILL_NOT_IMPORTED");
    assert_eq!(
        meta(&status, "bill_import_status"),
        "BILL_IMPORT_STATUS_NOT_READY"
    );
    // An hour on, with the bill made, the jobs pass imports it (an empty day).
    p.clock.advance(chrono::Duration::hours(1));
    p.sandbox_clock.advance(chrono::Duration::hours(1));
    jobs_app(&p).await.reconcile_due().await.unwrap();
    let done = c
        .get_bill_import(t!(get(&pending.bill_import_id)))
        .await
        .unwrap()
        .into_inner()
        .bill_import
        .unwrap();
    assert_eq!(
        done.status,
        pb::BillImportStatus::Imported as i32,
        "{done:?}"
    );
    assert_eq!((done.payment_row_count, done.refund_row_count), (0, 0));
    c.run_reconciliation(t!(run(DAY, WECHAT))).await.unwrap();
}

/// A tenant with no WeChat Pay merchant.
#[derive(Debug)]
struct NoMerchant;

impl PayDirectory for NoMerchant {
    fn wechat_pay(&self, _t: TenantId) -> Answer<'_, MerchantCredentials> {
        Box::pin(async move {
            Err(AppError::from(PaymentError::PayConfigMissing(
                "no merchant".into(),
            )))
        })
    }

    fn openid<'a>(&'a self, _t: TenantId, _u: Uuid, _a: &'a str) -> Answer<'a, Option<String>> {
        Box::pin(async move { Ok(None) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_without_a_merchant_has_no_bill() {
    let db = TestDb::postgres::<Migrator>().await.unwrap();
    let key = SigningKey::ed25519_from_seed("k1", &[9u8; 32]).unwrap();
    let mut s = Settings {
        database: siyu_config::DatabaseSettings::new(db.url()),
        ..Settings::default()
    };
    s.server.grpc_addr = "127.0.0.1:0".parse().unwrap();
    s.server.admin_addr = "127.0.0.1:0".parse().unwrap();
    s.orders.run_jobs = false;
    let clock = ManualClock::new(chrono::DateTime::from_timestamp(1_796_608_800, 0).unwrap());
    let app = Application::build_with(
        s,
        Overrides {
            clock: Some(Arc::new(clock.clone())),
            jwks: Some(SigningKey::jwks([&key])),
            pay_directory: Some(Arc::new(NoMerchant)),
        },
    )
    .await
    .unwrap();
    let channel = Channel::from_shared(format!("http://{}", app.grpc_addr()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let tenant = TenantId(siyu_core::id::new());
    let now = clock.now().timestamp();
    let token = key
        .sign(&Claims {
            sub: siyu_core::id::new_string(),
            tenant,
            kind: PrincipalKind::Staff,
            roles: vec![siyu_auth::RoleClaim {
                role: "hq_operator".into(),
                org: tenant.0.to_string(),
            }],
            scopes: Vec::new(),
            exp: now + 3600,
            nbf: None,
            iat: now,
            iss: "siyu-identity".into(),
            aud: Audience::One("siyu".into()),
            jti: siyu_core::id::new_string(),
            client_id: None,
        })
        .unwrap();
    let status = ReconciliationServiceClient::new(channel)
        .import_bill(with(import("2026-12-06", WECHAT), &token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "PAY_CONFIG_MISSING");
    let imports = db
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            db.db.get_database_backend(),
            "SELECT COUNT(*) FROM pay_bill_imports",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    assert_eq!(imports, 0);
    app.stop().await.unwrap();
}
