//! CreateSegment, UpdateSegment, GetSegment, ListSegments, ArchiveSegment.

use siyu_proto::membership::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::{id, mask, opt_id, text};
use super::super::{Handlers, R, ctx, page_of};
use super::{description, expression, name};
use crate::AppError;
use crate::app::segments::{Segment, SegmentId, SegmentUpdate};

const LIST: Paging = Paging::new("segments", 20, 100);

fn required(s: Option<&pb::Segment>) -> Result<&pb::Segment, AppError> {
    s.ok_or_else(|| AppError::invalid("segment", "required"))
}

impl TryFrom<&pb::Segment> for Segment {
    type Error = AppError;

    fn try_from(s: &pb::Segment) -> Result<Self, AppError> {
        Ok(Self {
            id: SegmentId(Uuid::nil()),
            name: name("segment.name", &s.name)?,
            description: description("segment.description", &s.description)?,
            expression: expression("segment.expression", s.expression.as_ref())?,
            scope_store_id: opt_id("segment.scope_store_id", &s.scope_store_id)?,
            last_count: 0,
            last_evaluated_at_ms: None,
            archived: false,
            updated_at_ms: 0,
        })
    }
}

impl TryFrom<&pb::UpdateSegmentRequest> for SegmentUpdate {
    type Error = AppError;

    fn try_from(req: &pb::UpdateSegmentRequest) -> Result<Self, AppError> {
        let paths = mask(req.update_mask.as_ref())?;
        let s = required(req.segment.as_ref())?;
        let mut u = SegmentUpdate {
            id: SegmentId(id("segment.segment_id", &s.segment_id)?),
            name: None,
            description: None,
            expression: None,
        };
        for p in &paths {
            match p.as_str() {
                "name" => u.name = Some(name("segment.name", &s.name)?),
                "description" => {
                    u.description = Some(description("segment.description", &s.description)?);
                }
                "expression" => {
                    u.expression = Some(expression("segment.expression", s.expression.as_ref())?);
                }
                other => return Err(AppError::UnknownFieldPath(other.to_owned())),
            }
        }
        Ok(u)
    }
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn create(
    h: &Handlers,
    request: Request<pb::CreateSegmentRequest>,
) -> R<pb::CreateSegmentResponse> {
    let ctx = ctx(&request)?;
    let s = Segment::try_from(required(request.get_ref().segment.as_ref())?)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let s = app.create_segment(txn, &ctx, s).await?;
                Ok(pb::CreateSegmentResponse {
                    segment: Some((&s).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateSegmentRequest>,
) -> R<pb::UpdateSegmentResponse> {
    let ctx = ctx(&request)?;
    let u = SegmentUpdate::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let s = app.update_segment(txn, &ctx, u).await?;
                Ok(pb::UpdateSegmentResponse {
                    segment: Some((&s).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(segment_id = %request.get_ref().segment_id))]
pub(in crate::grpc) async fn get(
    h: &Handlers,
    request: Request<pb::GetSegmentRequest>,
) -> R<pb::GetSegmentResponse> {
    let ctx = ctx(&request)?;
    let sid = SegmentId(id("segment_id", &request.get_ref().segment_id)?);
    let s = h.app.get_segment(&ctx, sid).await?;
    Ok(Response::new(pb::GetSegmentResponse {
        segment: Some((&s).into()),
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn list(
    h: &Handlers,
    request: Request<pb::ListSegmentsRequest>,
) -> R<pb::ListSegmentsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let query = text("query", &req.query, 50)?;
    let page = page_of::<(i64, Uuid)>(&LIST, req.page.as_ref())?;
    let filter = (
        req.include_archived,
        (!query.is_empty()).then_some(query.as_str()),
    );
    let rows = h
        .app
        .list_segments(&ctx, filter, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = LIST.finish(rows, &page, |s| (s.updated_at_ms, s.id.0));
    Ok(Response::new(pb::ListSegmentsResponse {
        segments: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all, fields(segment_id = %request.get_ref().segment_id))]
pub(in crate::grpc) async fn archive(
    h: &Handlers,
    request: Request<pb::ArchiveSegmentRequest>,
) -> R<pb::ArchiveSegmentResponse> {
    let ctx = ctx(&request)?;
    let sid = SegmentId(id("segment_id", &request.get_ref().segment_id)?);
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let s = app.archive_segment(txn, &ctx, sid).await?;
                Ok(pb::ArchiveSegmentResponse {
                    segment: Some((&s).into()),
                })
            })
        })
        .await
}
