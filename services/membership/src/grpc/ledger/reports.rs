//! The liability reports on the wire.

use prost_types::Timestamp;
use siyu_proto::membership::v1 as pb;
use tonic::{Request, Response};

use super::super::convert::{cny, opt_id, opt_time};
use super::super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::ledger::reports::Period;

/// Balances as of `as_of` (default now); flows from `start` (default: the beginning) to `end`
/// (default: just after as_of).
fn period(
    h: &Handlers,
    as_of: Option<&Timestamp>,
    start: Option<&Timestamp>,
    end: Option<&Timestamp>,
) -> Result<Period, AppError> {
    let as_of_ms = opt_time("as_of", as_of)?.unwrap_or_else(|| h.app.now_ms());
    let start_ms = opt_time("start_time", start)?.unwrap_or(0);
    let end_ms = opt_time("end_time", end)?.unwrap_or(as_of_ms + 1);
    if start_ms >= end_ms {
        return Err(AppError::invalid("end_time", "must be after start_time"));
    }
    Ok(Period {
        as_of_ms,
        start_ms,
        end_ms,
    })
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn points(
    h: &Handlers,
    request: Request<pb::GetPointsLiabilityReportRequest>,
) -> R<pb::GetPointsLiabilityReportResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let p = period(
        h,
        req.as_of.as_ref(),
        req.start_time.as_ref(),
        req.end_time.as_ref(),
    )?;
    let r = h.app.points_liability(&ctx, p).await?;
    Ok(Response::new(pb::GetPointsLiabilityReportResponse {
        outstanding_points: r.outstanding,
        outstanding_value: cny(r.outstanding_fen),
        issued_points: r.issued,
        redeemed_points: r.redeemed,
        expired_points: r.expired,
        reversed_points: r.reversed,
        expiring_30_days: r.expiring_30,
        expiring_90_days: r.expiring_90,
        shortfall_points: r.shortfall,
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn stored_value(
    h: &Handlers,
    request: Request<pb::GetStoredValueLiabilityReportRequest>,
) -> R<pb::GetStoredValueLiabilityReportResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let p = period(
        h,
        req.as_of.as_ref(),
        req.start_time.as_ref(),
        req.end_time.as_ref(),
    )?;
    let store = opt_id("store_id", &req.store_id)?;
    let r = h.app.stored_value_liability(&ctx, p, store).await?;
    Ok(Response::new(pb::GetStoredValueLiabilityReportResponse {
        outstanding_principal: cny(r.principal),
        outstanding_bonus: cny(r.bonus),
        topped_up_principal: cny(r.topped_up),
        granted_bonus: cny(r.granted_bonus),
        spent_principal: cny(r.spent_principal),
        spent_bonus: cny(r.spent_bonus),
        reversed_principal: cny(r.reversed_principal),
        members_with_balance: i32::try_from(r.members_with_balance).unwrap_or(i32::MAX),
    }))
}
