//! ListMembersWithExpiringPoints on the wire.

use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::opt_id;
use super::super::{Handlers, R, ctx, page_of};
use crate::AppError;
use crate::app::ledger::expiring::ExpiringQuery;

const ROWS: Paging = Paging::new("expiring_points", 20, 100);

impl TryFrom<&pb::ListMembersWithExpiringPointsRequest> for ExpiringQuery {
    type Error = AppError;

    fn try_from(req: &pb::ListMembersWithExpiringPointsRequest) -> Result<Self, AppError> {
        if !(1..=90).contains(&req.within_days) {
            return Err(AppError::invalid("within_days", "must be within 1..=90"));
        }
        if !(0..=1_000_000_000).contains(&req.min_points) {
            return Err(AppError::invalid("min_points", "must be within 0..=10^9"));
        }
        Ok(Self {
            within_days: req.within_days,
            min_points: req.min_points,
            guide_id: opt_id("guide_id", &req.guide_id)?,
            store_id: opt_id("store_id", &req.store_id)?,
        })
    }
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn list(
    h: &Handlers,
    request: Request<pb::ListMembersWithExpiringPointsRequest>,
) -> R<pb::ListMembersWithExpiringPointsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let q = ExpiringQuery::try_from(req)?;
    let page = page_of::<(i64, Uuid)>(&ROWS, req.page.as_ref())?;
    let (rows, total) = h
        .app
        .expiring_members(&ctx, &q, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = ROWS.finish(rows, &page, |r| (r.expiring_points, r.member_id));
    Ok(Response::new(pb::ListMembersWithExpiringPointsResponse {
        rows: rows
            .iter()
            .map(|r| pb::ExpiringPointsRow {
                member_id: r.member_id.to_string(),
                expiring_points: r.expiring_points,
                earliest_expiry_at: Some(timestamp_ms(r.earliest_expiry_at_ms)),
            })
            .collect(),
        total_count: i32::try_from(total).unwrap_or(i32::MAX),
        page: Some(next),
    }))
}
