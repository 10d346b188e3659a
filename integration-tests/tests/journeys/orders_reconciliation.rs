//! Reconciliation (对账) through the gateway: a tenant with a WeChat Pay merchant imports the
//! bill of a past day, WeChat turns out to have collected a payment the tenant never recorded
//! (a trade recorded at the sandbox only), the day is imported again and matched, the mismatch
//! listed and resolved once; an auditor reads all of it and changes none of it; the routes
//! refuse bad input with their reason.

use serde_json::{Value, json};
use siyu_proto::identity::v1 as idpb;

use crate::orders_payment::wechat_pay;
use crate::support::{Tenant, World, assert_problem, json_ok};

const WECHAT: &str = "PAYMENT_PROVIDER_WECHAT_PAY_JSAPI";

/// What a reconciled day left behind.
pub struct Reconciled {
    pub bill_import_id: String,
    pub run_id: String,
    pub mismatch_id: String,
    pub bill_date: String,
}

/// The Asia/Shanghai day `n` days before today (the services' clock is the system's), as
/// `YYYY-MM-DD`.
fn days_ago(n: usize) -> String {
    let mut day = siyu_orders::app::reconciliation::day_of(siyu_core::clock::system().now());
    for _ in 0..n {
        day = day.pred_opt().unwrap();
    }
    day.format("%Y-%m-%d").to_string()
}

/// A minor-units amount as proto JSON writes it (int64 as a string).
fn minor(v: &Value) -> i64 {
    v["minorUnits"]
        .as_str()
        .map(|s| s.parse().unwrap())
        .or_else(|| v["minorUnits"].as_i64())
        .unwrap_or(0)
}

async fn poll(world: &World, path: &str, token: &str, key: &str, pending: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..150 {
        last = json_ok(world.get(path, Some(token)).await).await;
        if last[key]["status"] != pending {
            return last[key].clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{path} still {pending}: {last}");
}

async fn import(world: &World, token: &str, day: &str, replace: bool) -> Value {
    let started = json_ok(
        world
            .post_json(
                "/admin/v1/bill-imports",
                token,
                &json!({"provider": WECHAT, "billDate": day, "replace": replace}),
            )
            .await,
    )
    .await;
    let id = started["billImport"]["billImportId"]
        .as_str()
        .unwrap()
        .to_owned();
    poll(
        world,
        &format!("/admin/v1/bill-imports/{id}"),
        token,
        "billImport",
        "BILL_IMPORT_STATUS_DOWNLOADING",
    )
    .await
}

/// Tenant `tenant` (its merchant configured) imports and matches the billed day on which
/// WeChat collected `out_trade_no` outside the tenant's records: one open mismatch.
pub async fn reconciled(
    world: &World,
    tenant: &Tenant,
    staff: &str,
    out_trade_no: &str,
) -> Reconciled {
    // A day whose bill WeChat has made (ready at 10:00 the next day).
    let date = days_ago(2);
    // No trades yet that day: WeChat has no bill, the import is empty.
    let empty = import(world, staff, &date, false).await;
    assert_eq!(empty["status"], "BILL_IMPORT_STATUS_IMPORTED", "{empty}");
    assert_eq!(empty["paymentRowCount"].as_i64().unwrap_or(0), 0);
    let mchid = empty["merchantId"].as_str().unwrap().to_owned();

    // WeChat collected 12.34 yuan at noon that day that the tenant never recorded.
    let noon = format!("{date}T12:00:00+08:00");
    let recorded = reqwest::Client::new()
        .post(format!("{}/sandbox/pay/trades", world.sandbox))
        .json(
            &json!({"mchid": mchid, "appid": tenant.app_id, "out_trade_no": out_trade_no,
                      "total": 1234, "openid": "o_outside", "success_time": noon}),
        )
        .send()
        .await
        .unwrap();
    assert!(recorded.status().is_success());

    // The bill made again: imported with `replace`.
    let again = import(world, staff, &date, true).await;
    assert_eq!(again["status"], "BILL_IMPORT_STATUS_IMPORTED", "{again}");
    assert_eq!(again["billImportId"], empty["billImportId"]);
    assert_eq!(again["paymentRowCount"], 1);
    assert_eq!(minor(&again["paymentTotal"]), 1234);
    assert_eq!(again["fileSha256"].as_str().unwrap().len(), 64);

    let started = json_ok(
        world
            .post_json(
                "/admin/v1/reconciliation-runs",
                staff,
                &json!({"provider": WECHAT, "billDate": date}),
            )
            .await,
    )
    .await;
    assert_eq!(
        started["run"]["status"],
        "RECONCILIATION_RUN_STATUS_RUNNING"
    );
    let run_id = started["run"]["runId"].as_str().unwrap().to_owned();
    let run = poll(
        world,
        &format!("/admin/v1/reconciliation-runs/{run_id}"),
        staff,
        "run",
        "RECONCILIATION_RUN_STATUS_RUNNING",
    )
    .await;
    assert_eq!(
        run["status"], "RECONCILIATION_RUN_STATUS_COMPLETED",
        "{run}"
    );
    assert_eq!(run["mismatchCount"], 1);
    assert_eq!(minor(&run["pspPaymentTotal"]), 1234);
    assert_eq!(minor(&run["localPaymentTotal"]), 0);

    let listed = json_ok(
        world
            .get(
                &format!("/admin/v1/reconciliation-mismatches?runId={run_id}"),
                Some(staff),
            )
            .await,
    )
    .await;
    let found = listed["mismatches"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{listed}");
    let m = &found[0];
    assert_eq!(m["kind"], "MISMATCH_KIND_MISSING_LOCALLY");
    assert_eq!(m["subject"], "MISMATCH_SUBJECT_PAYMENT");
    assert_eq!(m["outTradeNo"], out_trade_no);
    assert_eq!(minor(&m["pspAmount"]), 1234);
    assert!(m["localAmount"].is_null());
    assert_eq!(m["billDate"], date);
    Reconciled {
        bill_import_id: empty["billImportId"].as_str().unwrap().to_owned(),
        run_id,
        mismatch_id: m["mismatchId"].as_str().unwrap().to_owned(),
        bill_date: date,
    }
}

#[tokio::test]
async fn staff_import_match_and_resolve_a_day_and_an_auditor_only_reads() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    wechat_pay(&world, &tenant, &staff).await;
    let day = reconciled(&world, &tenant, &staff, "OUTSIDE-1").await;
    let resolve_path = format!(
        "/admin/v1/reconciliation-mismatches/{}/resolve",
        day.mismatch_id
    );

    // An auditor reads imports, runs and mismatches, and may not import, run or resolve.
    let (_, auditor) = world
        .staff_with_roles(&tenant, &staff, "auditor-1", &[idpb::StaffRole::Auditor])
        .await;
    let imports = json_ok(world.get("/admin/v1/bill-imports", Some(&auditor)).await).await;
    assert_eq!(
        imports["billImports"][0]["billImportId"],
        day.bill_import_id
    );
    json_ok(
        world
            .get(
                &format!("/admin/v1/reconciliation-runs/{}", day.run_id),
                Some(&auditor),
            )
            .await,
    )
    .await;
    let open = json_ok(
        world
            .get("/admin/v1/reconciliation-mismatches", Some(&auditor))
            .await,
    )
    .await;
    assert_eq!(open["mismatches"].as_array().unwrap().len(), 1);
    let refusals = [
        (
            "/admin/v1/bill-imports",
            json!({"provider": WECHAT, "billDate": day.bill_date, "replace": true}),
        ),
        (
            "/admin/v1/reconciliation-runs",
            json!({"provider": WECHAT, "billDate": day.bill_date}),
        ),
        (
            resolve_path.as_str(),
            json!({"resolution": "MISMATCH_RESOLUTION_ACCEPTED", "note": "看过"}),
        ),
    ];
    for (path, body) in &refusals {
        assert_problem(
            world.post_json(path, &auditor, body).await,
            403,
            "PERMISSION_DENIED",
        )
        .await;
    }

    // Escalated to WeChat by the admin, once.
    let body =
        json!({"resolution": "MISMATCH_RESOLUTION_ESCALATED_TO_PSP", "note": "工单 2026-001"});
    let resolved = json_ok(world.post_json(&resolve_path, &staff, &body).await).await;
    assert_eq!(
        resolved["mismatch"]["resolution"],
        "MISMATCH_RESOLUTION_ESCALATED_TO_PSP"
    );
    assert_eq!(resolved["mismatch"]["resolutionNote"], "工单 2026-001");
    // (The resolution it names is ErrorInfo metadata, asserted over gRPC in the service's tests.)
    assert_problem(
        world.post_json(&resolve_path, &staff, &body).await,
        422,
        "MISMATCH_ALREADY_RESOLVED",
    )
    .await;
    let open = json_ok(
        world
            .get("/admin/v1/reconciliation-mismatches", Some(&staff))
            .await,
    )
    .await;
    assert!(
        open["mismatches"].as_array().is_none_or(Vec::is_empty),
        "{open}"
    );
    let all = json_ok(
        world
            .get(
                "/admin/v1/reconciliation-mismatches?includeResolved=true",
                Some(&staff),
            )
            .await,
    )
    .await;
    assert_eq!(all["mismatches"].as_array().unwrap().len(), 1);

    // A second run of the day reports nothing new: the resolved mismatch stays resolved.
    let rerun = json_ok(
        world
            .post_json(
                "/admin/v1/reconciliation-runs",
                &staff,
                &json!({"provider": WECHAT, "billDate": day.bill_date}),
            )
            .await,
    )
    .await;
    let id = rerun["run"]["runId"].as_str().unwrap().to_owned();
    let done = poll(
        &world,
        &format!("/admin/v1/reconciliation-runs/{id}"),
        &staff,
        "run",
        "RECONCILIATION_RUN_STATUS_RUNNING",
    )
    .await;
    assert_eq!(done["mismatchCount"].as_i64().unwrap_or(0), 0, "{done}");
    assert_eq!(done["autoResolvedCount"].as_i64().unwrap_or(0), 0, "{done}");
}

#[tokio::test]
async fn reconciliation_routes_refuse_bad_input_with_their_reason() {
    let world = World::start().await;
    let tenant = world.tenant("brand-a").await;
    let staff = world.staff_login(&tenant).await;
    wechat_pay(&world, &tenant, &staff).await;
    let today = days_ago(0);
    let old = days_ago(91);
    let never = days_ago(30);
    let unknown = siyu_core::id::new_string();

    let posts: Vec<(String, Value, u16, &str)> = vec![
        (
            "/admin/v1/bill-imports".into(),
            json!({"provider": WECHAT, "billDate": "2026-1-1"}),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "/admin/v1/bill-imports".into(),
            json!({"provider": WECHAT, "billDate": today}),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "/admin/v1/bill-imports".into(),
            json!({"provider": WECHAT, "billDate": old}),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "/admin/v1/bill-imports".into(),
            json!({"provider": "PAYMENT_PROVIDER_UNSPECIFIED", "billDate": never}),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "/admin/v1/reconciliation-runs".into(),
            json!({"provider": WECHAT, "billDate": "yesterday"}),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "/admin/v1/reconciliation-runs".into(),
            json!({"provider": WECHAT, "billDate": never}),
            422,
            "BILL_NOT_IMPORTED",
        ),
        (
            format!("/admin/v1/reconciliation-mismatches/{unknown}/resolve"),
            json!({"resolution": "MISMATCH_RESOLUTION_AUTO_MATCHED", "note": "x"}),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            format!("/admin/v1/reconciliation-mismatches/{unknown}/resolve"),
            json!({"resolution": "MISMATCH_RESOLUTION_ACCEPTED", "note": ""}),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            format!("/admin/v1/reconciliation-mismatches/{unknown}/resolve"),
            json!({"resolution": "MISMATCH_RESOLUTION_ACCEPTED", "note": "长".repeat(501)}),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            format!("/admin/v1/reconciliation-mismatches/{unknown}/resolve"),
            json!({"resolution": "MISMATCH_RESOLUTION_ACCEPTED", "note": "查无此单"}),
            404,
            "MISMATCH_NOT_FOUND",
        ),
        (
            "/admin/v1/reconciliation-mismatches/not-an-id/resolve".into(),
            json!({"resolution": "MISMATCH_RESOLUTION_ACCEPTED", "note": "x"}),
            400,
            "INVALID_ARGUMENT",
        ),
    ];
    for (path, body, status, reason) in &posts {
        assert_problem(world.post_json(path, &staff, body).await, *status, reason).await;
    }
    let gets: Vec<(String, u16, &str)> = vec![
        (
            "/admin/v1/bill-imports/not-an-id".into(),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            format!("/admin/v1/bill-imports/{unknown}"),
            404,
            "BILL_IMPORT_NOT_FOUND",
        ),
        (
            format!("/admin/v1/reconciliation-runs/{unknown}"),
            404,
            "RECONCILIATION_RUN_NOT_FOUND",
        ),
        (
            "/admin/v1/bill-imports?billDateFrom=12/01/2026".into(),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "/admin/v1/bill-imports?page.pageToken=junk".into(),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "/admin/v1/reconciliation-runs?billDate=2026-13-01".into(),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "/admin/v1/reconciliation-mismatches?billDateTo=x".into(),
            400,
            "INVALID_ARGUMENT",
        ),
        (
            "/admin/v1/reconciliation-mismatches?runId=x".into(),
            400,
            "INVALID_ARGUMENT",
        ),
    ];
    for (path, status, reason) in &gets {
        assert_problem(world.get(path, Some(&staff)).await, *status, reason).await;
    }
}
