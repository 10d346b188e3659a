//! ListGuideMembers and ListGuideBindingHistory on the wire, keyset-paged on (bound_at, id).

use siyu_proto::membership::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::{each_id, member, opt_id};
use super::super::members::member_to_wire;
use super::super::{Handlers, R, ctx, page_of};

const BOOK: Paging = Paging::new("guide_members", 20, 100);
const HISTORY: Paging = Paging::new("guide_bindings", 20, 100);

#[tracing::instrument(skip_all, fields(guide_id = %request.get_ref().guide_id))]
pub(in crate::grpc) async fn members(
    h: &Handlers,
    request: Request<pb::ListGuideMembersRequest>,
) -> R<pb::ListGuideMembersResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let guide = opt_id("guide_id", &req.guide_id)?;
    let tags = each_id("tag_ids", &req.tag_ids, 20)?;
    let page = page_of::<(i64, Uuid)>(&BOOK, req.page.as_ref())?;
    let (rows, total) = h
        .app
        .guide_members(&ctx, guide, tags, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = BOOK.finish(rows, &page, |m| {
        (m.guide.as_ref().map_or(0, |g| g.bound_at_ms), m.id.0)
    });
    let mut members: Vec<pb::Member> = rows.iter().map(|m| member_to_wire(m, &ctx)).collect();
    let domain: Vec<&crate::app::domain::Member> = rows.iter().collect();
    super::super::tiers::fill_member_tiers(&h.app.db, &ctx, &domain, &mut members).await?;
    Ok(Response::new(pb::ListGuideMembersResponse {
        members,
        page: Some(next),
        total_count: i32::try_from(total).unwrap_or(i32::MAX),
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn history(
    h: &Handlers,
    request: Request<pb::ListGuideBindingHistoryRequest>,
) -> R<pb::ListGuideBindingHistoryResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let m = member("member_id", &req.member_id)?;
    let g = opt_id("guide_id", &req.guide_id)?;
    let page = page_of::<(i64, Uuid)>(&HISTORY, req.page.as_ref())?;
    let rows = h
        .app
        .guide_history(&ctx, m, g, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = HISTORY.finish(rows, &page, |b| (b.bound_at_ms, b.id));
    Ok(Response::new(pb::ListGuideBindingHistoryResponse {
        bindings: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}
