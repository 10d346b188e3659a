//! ReconciliationService on the wire: input checks (dates, provider, resolution, note), the
//! app's imports, runs and mismatches, and their conversion into the contract's messages. The
//! download and the matching run after the commit, in the background.

use prost_types::Timestamp;
use siyu_core::{Ctx, PrincipalKind};
use siyu_proto::common::v1::Money;
use siyu_proto::payments::v1 as pb;
use siyu_proto::time::timestamp_ms;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::payments::convert::{id, opt_id, opt_time};
use super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::reconciliation::{
    self as rec, BillImport, Mismatch, Run, billable, parse_date, resolution,
};
use crate::repo::reconciliation::mismatches::MismatchFilter;
use crate::repo::reconciliation::{self as repo, ImportFilter, runs};

pub mod error;

const IMPORTS: Paging = Paging::new("bill_imports", 20, 100);
const RUNS: Paging = Paging::new("reconciliation_runs", 20, 100);
const MISMATCHES: Paging = Paging::new("reconciliation_mismatches", 50, 200);

fn cny(fen: i64) -> Option<Money> {
    Some(Money {
        minor_units: fen,
        currency_code: "CNY".into(),
    })
}

fn ts(ms: Option<i64>) -> Option<Timestamp> {
    ms.map(timestamp_ms)
}

/// The staff id of the caller, empty for services.
fn staff_id(ctx: &Ctx) -> String {
    match ctx.principal.kind {
        PrincipalKind::Staff => ctx.principal.subject.clone(),
        _ => String::new(),
    }
}

/// Today in Asia/Shanghai by the service clock.
fn today(h: &Handlers) -> chrono::NaiveDate {
    rec::day_of(h.app.clock.now())
}

/// An optional `YYYY-MM-DD` filter.
fn opt_date(field: &str, value: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
    if value.is_empty() {
        Ok(None)
    } else {
        parse_date(field, value).map(Some)
    }
}

/// Enum numbers of a filter, each in `1..=max`.
fn small(field: &str, values: &[i32], max: i16) -> Result<Vec<i16>, AppError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            i16::try_from(*v)
                .ok()
                .filter(|v| (1..=max).contains(v))
                .ok_or_else(|| AppError::invalid(format!("{field}[{i}]"), "unknown value"))
        })
        .collect()
}

fn date_range(
    from: &str,
    to: &str,
) -> Result<(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>), AppError> {
    let from_d = opt_date("bill_date_from", from)?;
    let to_d = opt_date("bill_date_to", to)?;
    if let (Some(f), Some(t)) = (from_d, to_d)
        && f > t
    {
        return Err(AppError::invalid(
            "bill_date_to",
            "must not be before bill_date_from",
        ));
    }
    Ok((from_d, to_d))
}

fn import_pb(i: &BillImport) -> pb::BillImport {
    pb::BillImport {
        bill_import_id: i.id.to_string(),
        provider: i32::from(i.provider),
        merchant_id: i.merchant_id.clone(),
        bill_date: i.bill_date.format("%Y-%m-%d").to_string(),
        status: i32::from(i.status),
        payment_row_count: i.payment_row_count,
        refund_row_count: i.refund_row_count,
        payment_total: cny(i.payment_total_fen),
        refund_total: cny(i.refund_total_fen),
        // The bill's fees are in 0.00001 yuan; Money carries fen (rounded half up).
        fee_total: cny((i.fee_total + 500).div_euclid(1000)),
        file_sha256: i.file_sha256.clone(),
        error_reason: i.error_reason.clone(),
        requested_at: ts(Some(i.requested_at_ms)),
        imported_at: ts(i.imported_at_ms),
    }
}

fn run_pb(r: &Run) -> pb::ReconciliationRun {
    pb::ReconciliationRun {
        run_id: r.id.to_string(),
        provider: i32::from(r.provider),
        bill_date: r.bill_date.format("%Y-%m-%d").to_string(),
        bill_import_id: r.bill_import_id.to_string(),
        status: i32::from(r.status),
        matched_count: r.matched_count,
        mismatch_count: r.mismatch_count,
        auto_resolved_count: r.auto_resolved_count,
        local_payment_total: cny(r.local_payment_total_fen),
        psp_payment_total: cny(r.psp_payment_total_fen),
        local_refund_total: cny(r.local_refund_total_fen),
        psp_refund_total: cny(r.psp_refund_total_fen),
        error_reason: r.error_reason.clone(),
        started_by_staff_id: r.started_by_staff_id.clone(),
        started_at: ts(Some(r.started_at_ms)),
        finished_at: ts(r.finished_at_ms),
    }
}

fn mismatch_pb(m: &Mismatch) -> pb::Mismatch {
    let s = |v: Option<Uuid>| v.map(|i| i.to_string()).unwrap_or_default();
    pb::Mismatch {
        mismatch_id: m.id.to_string(),
        run_id: m.run_id.to_string(),
        bill_date: m.bill_date.clone(),
        kind: i32::from(m.kind),
        subject: i32::from(m.subject),
        out_trade_no: m.out_trade_no.clone(),
        out_refund_no: m.out_refund_no.clone(),
        psp_transaction_id: m.psp_transaction_id.clone(),
        psp_refund_id: m.psp_refund_id.clone(),
        order_id: s(m.order_id),
        payment_id: s(m.payment_id),
        refund_id: s(m.refund_id),
        local_amount: m.local_fen.and_then(cny),
        psp_amount: m.psp_fen.and_then(cny),
        local_status: m.local_status.clone(),
        psp_status: m.psp_status.clone(),
        resolution: i32::from(m.resolution),
        resolution_note: m.resolution_note.clone(),
        resolved_by_staff_id: m.resolved_by_staff_id.clone(),
        resolved_at: ts(m.resolved_at_ms),
        detected_at: ts(Some(m.detected_at_ms)),
    }
}

#[tracing::instrument(skip_all, fields(bill_date = %request.get_ref().bill_date))]
pub(super) async fn import_bill(
    h: &Handlers,
    request: Request<pb::ImportBillRequest>,
) -> R<pb::ImportBillResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let provider = rec::provider(req.provider)?;
    let day = billable("bill_date", &req.bill_date, today(h))?;
    let replace = req.replace;
    let app = h.app.clone();
    let tenant = ctx.tenant;
    let answer = h
        .mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let import = app.import_bill(txn, tenant, provider, day, replace).await?;
                Ok(pb::ImportBillResponse {
                    bill_import: Some(import_pb(&import)),
                })
            })
        })
        .await?;
    if let Some(i) = &answer.get_ref().bill_import
        && i.status == pb::BillImportStatus::Downloading as i32
        && let Ok(id) = Uuid::parse_str(&i.bill_import_id)
    {
        h.app.kick_download(tenant, id);
    }
    Ok(answer)
}

#[tracing::instrument(skip_all, fields(bill_import_id = %request.get_ref().bill_import_id))]
pub(super) async fn get_bill_import(
    h: &Handlers,
    request: Request<pb::GetBillImportRequest>,
) -> R<pb::GetBillImportResponse> {
    let ctx = ctx(&request)?;
    let id = id("bill_import_id", &request.get_ref().bill_import_id)?;
    let import = h.app.bill_import(ctx.tenant, id).await?;
    Ok(Response::new(pb::GetBillImportResponse {
        bill_import: Some(import_pb(&import)),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn list_bill_imports(
    h: &Handlers,
    request: Request<pb::ListBillImportsRequest>,
) -> R<pb::ListBillImportsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let (from, to) = date_range(&req.bill_date_from, &req.bill_date_to)?;
    let filter = ImportFilter {
        from,
        to,
        statuses: small("statuses", &req.statuses, 4)?,
    };
    let page = super::page_of::<(String, Uuid)>(&IMPORTS, req.page.as_ref())?;
    let rows = repo::list(
        &h.app.db,
        ctx.tenant,
        &filter,
        page.after.clone(),
        page.fetch_limit(),
    )
    .await?;
    let (rows, next) = IMPORTS.finish(rows, &page, |i| {
        (i.bill_date.format("%Y-%m-%d").to_string(), i.id)
    });
    Ok(Response::new(pb::ListBillImportsResponse {
        bill_imports: rows.iter().map(import_pb).collect(),
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all, fields(bill_date = %request.get_ref().bill_date))]
pub(super) async fn run(
    h: &Handlers,
    request: Request<pb::RunReconciliationRequest>,
) -> R<pb::RunReconciliationResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let provider = rec::provider(req.provider)?;
    let day = billable("bill_date", &req.bill_date, today(h))?;
    let app = h.app.clone();
    let tenant = ctx.tenant;
    let staff = staff_id(&ctx);
    let answer = h
        .mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let run = app
                    .start_reconciliation(txn, tenant, provider, day, &staff)
                    .await?;
                Ok(pb::RunReconciliationResponse {
                    run: Some(run_pb(&run)),
                })
            })
        })
        .await?;
    if let Some(r) = &answer.get_ref().run
        && r.status == pb::ReconciliationRunStatus::Running as i32
        && let Ok(id) = Uuid::parse_str(&r.run_id)
    {
        h.app.kick_run(tenant, id);
    }
    Ok(answer)
}

#[tracing::instrument(skip_all, fields(run_id = %request.get_ref().run_id))]
pub(super) async fn get_run(
    h: &Handlers,
    request: Request<pb::GetReconciliationRunRequest>,
) -> R<pb::GetReconciliationRunResponse> {
    let ctx = ctx(&request)?;
    let id = id("run_id", &request.get_ref().run_id)?;
    let run = h.app.reconciliation_run(ctx.tenant, id).await?;
    Ok(Response::new(pb::GetReconciliationRunResponse {
        run: Some(run_pb(&run)),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn list_runs(
    h: &Handlers,
    request: Request<pb::ListReconciliationRunsRequest>,
) -> R<pb::ListReconciliationRunsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let day = opt_date("bill_date", &req.bill_date)?;
    let page = super::page_of::<(i64, Uuid)>(&RUNS, req.page.as_ref())?;
    let rows = runs::list(&h.app.db, ctx.tenant, day, page.after, page.fetch_limit()).await?;
    let (rows, next) = RUNS.finish(rows, &page, |r| (r.started_at_ms, r.id));
    Ok(Response::new(pb::ListReconciliationRunsResponse {
        runs: rows.iter().map(run_pb).collect(),
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn list_mismatches(
    h: &Handlers,
    request: Request<pb::ListMismatchesRequest>,
) -> R<pb::ListMismatchesResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let (from, to) = date_range(&req.bill_date_from, &req.bill_date_to)?;
    let filter = MismatchFilter {
        from,
        to,
        run_id: opt_id("run_id", &req.run_id)?,
        kinds: small("kinds", &req.kinds, 4)?,
        include_resolved: req.include_resolved,
        out_trade_no: (!req.out_trade_no.is_empty()).then(|| req.out_trade_no.clone()),
        detected_from_ms: opt_time("detected_from", req.detected_from.as_ref())?,
    };
    let page = super::page_of::<(String, i64, Uuid)>(&MISMATCHES, req.page.as_ref())?;
    let rows = repo::mismatches::list(
        &h.app.db,
        ctx.tenant,
        &filter,
        page.after.clone(),
        page.fetch_limit(),
    )
    .await?;
    let (rows, next) = MISMATCHES.finish(rows, &page, |m| {
        (m.bill_date.clone(), m.detected_at_ms, m.id)
    });
    Ok(Response::new(pb::ListMismatchesResponse {
        mismatches: rows.iter().map(mismatch_pb).collect(),
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all, fields(mismatch_id = %request.get_ref().mismatch_id))]
pub(super) async fn resolve(
    h: &Handlers,
    request: Request<pb::ResolveMismatchRequest>,
) -> R<pb::ResolveMismatchResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let id = id("mismatch_id", &req.mismatch_id)?;
    let chosen = i16::try_from(req.resolution)
        .ok()
        .filter(|r| (resolution::AUTO_MATCHED + 1..=resolution::LAST).contains(r))
        .ok_or_else(|| {
            AppError::invalid(
                "resolution",
                "must be FIXED_LOCALLY, TIMING_DIFFERENCE, ESCALATED_TO_PSP or ACCEPTED",
            )
        })?;
    let note = req.note.trim().to_owned();
    if note.is_empty() {
        return Err(AppError::invalid("note", "required").into());
    }
    if req.note.chars().count() > 500 {
        return Err(AppError::invalid("note", "at most 500 characters").into());
    }
    let app = h.app.clone();
    let tenant = ctx.tenant;
    let staff = staff_id(&ctx);
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let m = app
                    .resolve_mismatch(txn, tenant, id, chosen, &note, &staff)
                    .await?;
                Ok(pb::ResolveMismatchResponse {
                    mismatch: Some(mismatch_pb(&m)),
                })
            })
        })
        .await
}
