//! PreviewSegment, EvaluateSegment, ExportSegmentMembers, CheckSegmentMembership.

use siyu_proto::membership::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::{id, opt_id, required_member};
use super::super::{Handlers, R, ctx, page_of};
use super::expression;
use crate::app::segments::{SegmentId, SnapshotId};

const EXPORT: Paging = Paging::new("segment_members", 1000, 5000);

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn preview(
    h: &Handlers,
    request: Request<pb::PreviewSegmentRequest>,
) -> R<pb::PreviewSegmentResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let expr = expression("expression", req.expression.as_ref())?;
    let store = opt_id("scope_store_id", &req.scope_store_id)?;
    let (n, sample) = h.app.preview_segment(&ctx, &expr, store).await?;
    Ok(Response::new(pb::PreviewSegmentResponse {
        member_count: i32::try_from(n).unwrap_or(i32::MAX),
        sample_member_ids: sample.iter().map(ToString::to_string).collect(),
    }))
}

#[tracing::instrument(skip_all, fields(segment_id = %request.get_ref().segment_id))]
pub(in crate::grpc) async fn evaluate(
    h: &Handlers,
    request: Request<pb::EvaluateSegmentRequest>,
) -> R<pb::EvaluateSegmentResponse> {
    let ctx = ctx(&request)?;
    let sid = SegmentId(id("segment_id", &request.get_ref().segment_id)?);
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let snap = app.evaluate_segment(txn, &ctx, sid).await?;
                Ok(pb::EvaluateSegmentResponse {
                    snapshot: Some((&snap).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(snapshot_id = %request.get_ref().snapshot_id))]
pub(in crate::grpc) async fn export(
    h: &Handlers,
    request: Request<pb::ExportSegmentMembersRequest>,
) -> R<pb::ExportSegmentMembersResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let snap = SnapshotId(id("snapshot_id", &req.snapshot_id)?);
    let page = page_of::<Uuid>(&EXPORT, req.page.as_ref())?;
    let (rows, total) = h
        .app
        .export_segment(&ctx, snap, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = EXPORT.finish(rows, &page, |r| r.member_id.0);
    Ok(Response::new(pb::ExportSegmentMembersResponse {
        members: rows
            .iter()
            .map(|r| pb::SegmentMember {
                member_id: r.member_id.to_string(),
                user_id: r.user_id.to_string(),
                guide_id: r.guide_id.map(|g| g.to_string()).unwrap_or_default(),
            })
            .collect(),
        page: Some(next),
        total_count: i32::try_from(total).unwrap_or(i32::MAX),
    }))
}

#[tracing::instrument(skip_all, fields(segment_id = %request.get_ref().segment_id))]
pub(in crate::grpc) async fn check(
    h: &Handlers,
    request: Request<pb::CheckSegmentMembershipRequest>,
) -> R<pb::CheckSegmentMembershipResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let sid = SegmentId(id("segment_id", &req.segment_id)?);
    let member = required_member("member_id", &req.member_id)?;
    let member = h.app.check_segment_membership(&ctx, sid, member).await?;
    Ok(Response::new(pb::CheckSegmentMembershipResponse { member }))
}
