//! ListCommissionEntries and GetCommissionBalance.

use siyu_proto::membership::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::{cny, member, opt_id};
use super::super::{Handlers, R, ctx, page_of};
use crate::AppError;
use crate::app::domain::CommissionStatus;

const ENTRIES: Paging = Paging::new("commission_entries", 20, 100);

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn entries(
    h: &Handlers,
    request: Request<pb::ListCommissionEntriesRequest>,
) -> R<pb::ListCommissionEntriesResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let requested = member("member_id", &req.member_id)?;
    let statuses = req
        .statuses
        .iter()
        .enumerate()
        .map(|(i, s)| {
            CommissionStatus::from_number(*s)
                .ok_or_else(|| AppError::invalid(format!("statuses[{i}]"), "unknown status"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let order = opt_id("order_id", &req.order_id)?;
    let page = page_of::<(i64, Uuid)>(&ENTRIES, req.page.as_ref())?;
    let rows = h
        .app
        .commission_entries(
            &ctx,
            requested,
            &statuses,
            order,
            page.after,
            page.fetch_limit(),
        )
        .await?;
    let (rows, next) = ENTRIES.finish(rows, &page, |e| (e.created_at_ms, e.id));
    Ok(Response::new(pb::ListCommissionEntriesResponse {
        entries: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn balance(
    h: &Handlers,
    request: Request<pb::GetCommissionBalanceRequest>,
) -> R<pb::GetCommissionBalanceResponse> {
    let ctx = ctx(&request)?;
    let requested = member("member_id", &request.get_ref().member_id)?;
    let b = h.app.commission_balance(&ctx, requested).await?;
    Ok(Response::new(pb::GetCommissionBalanceResponse {
        pending: cny(b.pending),
        available: cny(b.available),
        withdrawing: cny(b.withdrawing),
        paid_out: cny(b.paid_out),
        lifetime_settled: cny(b.lifetime_settled),
    }))
}
