//! GetPaidRenewalReport.

use siyu_proto::membership::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::{opt_id, opt_time};
use super::super::{Handlers, R, ctx, page_of};
use crate::AppError;
use crate::app::domain::{PaidPlanId, RenewalQuery, RenewalRow};

const ROWS: Paging = Paging::new("paid_renewal_rows", 50, 200);

/// The longest window the report covers.
const MAX_WINDOW_MS: i64 = 366 * 86_400_000;

impl TryFrom<&pb::GetPaidRenewalReportRequest> for RenewalQuery {
    type Error = AppError;

    fn try_from(r: &pb::GetPaidRenewalReportRequest) -> Result<Self, AppError> {
        let start_ms = opt_time("start_time", r.start_time.as_ref())?
            .ok_or_else(|| AppError::invalid("start_time", "required"))?;
        let end_ms = opt_time("end_time", r.end_time.as_ref())?
            .ok_or_else(|| AppError::invalid("end_time", "required"))?;
        if end_ms <= start_ms {
            return Err(AppError::invalid("end_time", "must be after start_time"));
        }
        if end_ms - start_ms > MAX_WINDOW_MS {
            return Err(AppError::invalid("end_time", "window longer than 366 days"));
        }
        if !(0..=90).contains(&r.renewal_window_days) {
            return Err(AppError::invalid(
                "renewal_window_days",
                "must be within 0..=90",
            ));
        }
        // 0 is the wire's unset: the contract's default of 30 days.
        let window_days = if r.renewal_window_days == 0 {
            30
        } else {
            r.renewal_window_days
        };
        Ok(Self {
            start_ms,
            end_ms,
            window_days,
            plan_id: opt_id("plan_id", &r.plan_id)?.map(PaidPlanId),
        })
    }
}

fn row(r: &RenewalRow) -> pb::PaidRenewalReportRow {
    let n = |v: i64| i32::try_from(v).unwrap_or(i32::MAX);
    pb::PaidRenewalReportRow {
        plan_id: r.plan_id.map(|p| p.to_string()).unwrap_or_default(),
        expired_count: n(r.expired),
        renewed_count: n(r.renewed),
        renewal_rate_bps: n(r.rate_bps()),
        active_member_count: n(r.active_members),
    }
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn renewal_report(
    h: &Handlers,
    request: Request<pb::GetPaidRenewalReportRequest>,
) -> R<pb::GetPaidRenewalReportResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let q = RenewalQuery::try_from(req)?;
    let page = page_of::<Uuid>(&ROWS, req.page.as_ref())?;
    let report = h.app.paid_renewal_report(&ctx, &q).await?;
    // The rows are few (one per plan) and computed whole; the page is cut from them.
    let limit = usize::try_from(page.fetch_limit()).unwrap_or(usize::MAX);
    let rows: Vec<RenewalRow> = report
        .rows
        .into_iter()
        .filter(|r| match (page.after, r.plan_id) {
            (Some(after), Some(PaidPlanId(id))) => id > after,
            _ => true,
        })
        .take(limit)
        .collect();
    let (rows, next) = ROWS.finish(rows, &page, |r| r.plan_id.map_or(Uuid::nil(), |p| p.0));
    Ok(Response::new(pb::GetPaidRenewalReportResponse {
        rows: rows.iter().map(row).collect(),
        total: Some(row(&report.total)),
        page: Some(next),
    }))
}
