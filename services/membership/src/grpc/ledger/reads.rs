//! GetBalances, ListJournalEntries and ListPointsLots on the wire.

use siyu_proto::membership::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::{member, opt_id, opt_time};
use super::super::{Handlers, R, ctx, page_of};
use crate::AppError;
use crate::app::domain::EntryType;
use crate::app::ledger::reads::{LotQuery, lot_cursor};
use crate::repo::ledger::EntryFilter;

const ENTRIES: Paging = Paging::new("journal_entries", 20, 100);
const LOTS: Paging = Paging::new("points_lots", 20, 100);

fn entry_filter(req: &pb::ListJournalEntriesRequest) -> Result<EntryFilter, AppError> {
    let asset_mask = match req.asset {
        0 => 0,
        1 => 1,
        2 => 2,
        _ => return Err(AppError::invalid("asset", "unknown asset")),
    };
    let types = req
        .types
        .iter()
        .enumerate()
        .map(|(i, t)| {
            EntryType::from_number(*t)
                .ok_or_else(|| AppError::invalid(format!("types[{i}]"), "unknown type"))
        })
        .collect::<Result<_, _>>()?;
    let start_ms = opt_time("start_time", req.start_time.as_ref())?;
    let end_ms = opt_time("end_time", req.end_time.as_ref())?;
    if let (Some(s), Some(e)) = (start_ms, end_ms)
        && s >= e
    {
        return Err(AppError::invalid("end_time", "must be after start_time"));
    }
    Ok(EntryFilter {
        asset_mask,
        types,
        start_ms,
        end_ms,
        order_id: opt_id("order_id", &req.order_id)?,
    })
}

#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(in crate::grpc) async fn balances(
    h: &Handlers,
    request: Request<pb::GetBalancesRequest>,
) -> R<pb::GetBalancesResponse> {
    let ctx = ctx(&request)?;
    let member = member("member_id", &request.get_ref().member_id)?;
    let report = h.app.balances_of(&ctx, member).await?;
    Ok(Response::new(pb::GetBalancesResponse {
        balances: Some((&report).into()),
    }))
}

#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(in crate::grpc) async fn journal(
    h: &Handlers,
    request: Request<pb::ListJournalEntriesRequest>,
) -> R<pb::ListJournalEntriesResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let member = member("member_id", &req.member_id)?;
    let filter = entry_filter(req)?;
    let page = page_of::<Uuid>(&ENTRIES, req.page.as_ref())?;
    let rows = h
        .app
        .journal(&ctx, member, &filter, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = ENTRIES.finish(rows, &page, |e| e.id);
    Ok(Response::new(pb::ListJournalEntriesResponse {
        entries: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(in crate::grpc) async fn lots(
    h: &Handlers,
    request: Request<pb::ListPointsLotsRequest>,
) -> R<pb::ListPointsLotsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let member = member("member_id", &req.member_id)?;
    if !(0..=3650).contains(&req.expiring_within_days) {
        return Err(AppError::invalid("expiring_within_days", "must be within 0..=3650").into());
    }
    let q = LotQuery {
        expiring_within_days: req.expiring_within_days,
        include_closed: req.include_closed,
    };
    let page = page_of::<(i64, Uuid)>(&LOTS, req.page.as_ref())?;
    let (rows, total) = h
        .app
        .lots(&ctx, member, q, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = LOTS.finish(rows, &page, lot_cursor);
    Ok(Response::new(pb::ListPointsLotsResponse {
        lots: rows.iter().map(Into::into).collect(),
        total_remaining_points: total,
        page: Some(next),
    }))
}
