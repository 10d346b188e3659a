//! The guide RPCs of MemberService on the wire: BindGuide, UnbindGuide and
//! ReassignGuideMembers here, the lists in `guides/reads.rs`.

use siyu_proto::membership::v1 as pb;
use tonic::Request;

use super::convert::{each_id, id, member, required_member, text};
use super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::domain::{GuideSource, MemberId, UnbindReason};
use crate::app::guides::bind::Bind;
use crate::app::guides::reassign::{MAX_BOOK, Reassign};

pub(super) mod policy;
pub(super) mod reads;

impl TryFrom<&pb::BindGuideRequest> for Bind {
    type Error = AppError;

    fn try_from(req: &pb::BindGuideRequest) -> Result<Self, AppError> {
        let source = match GuideSource::from_number(req.source) {
            Some(s @ (GuideSource::Enrolment | GuideSource::Reassignment)) => {
                return Err(AppError::invalid(
                    "source",
                    format!("{s:?} bindings are made by enrolment and reassignment only"),
                ));
            }
            Some(s) => s,
            None => return Err(AppError::invalid("source", "required")),
        };
        Ok(Self {
            member: member("member_id", &req.member_id)?,
            guide_id: id("guide_id", &req.guide_id)?,
            store_id: id("store_id", &req.store_id)?,
            source,
            note: text("note", &req.note, 200)?,
        })
    }
}

impl TryFrom<&pb::ReassignGuideMembersRequest> for Reassign {
    type Error = AppError;

    fn try_from(req: &pb::ReassignGuideMembersRequest) -> Result<Self, AppError> {
        let from_guide = id("from_guide_id", &req.from_guide_id)?;
        if req.to_guides.is_empty() || req.to_guides.len() > 50 {
            return Err(AppError::invalid("to_guides", "1 to 50 targets"));
        }
        let mut to = Vec::with_capacity(req.to_guides.len());
        for (i, t) in req.to_guides.iter().enumerate() {
            let guide = id(&format!("to_guides[{i}].guide_id"), &t.guide_id)?;
            if guide == from_guide {
                return Err(AppError::invalid(
                    format!("to_guides[{i}].guide_id"),
                    "must not be from_guide_id",
                ));
            }
            if to.iter().any(|(g, _)| *g == guide) {
                return Err(AppError::invalid(
                    format!("to_guides[{i}].guide_id"),
                    "named twice",
                ));
            }
            let store = id(&format!("to_guides[{i}].store_id"), &t.store_id)?;
            to.push((guide, store));
        }
        let reason = match UnbindReason::from_number(req.reason) {
            Some(r @ (UnbindReason::GuideResigned | UnbindReason::GuideTransferred)) => r,
            _ => {
                return Err(AppError::invalid(
                    "reason",
                    "must be GUIDE_RESIGNED or GUIDE_TRANSFERRED",
                ));
            }
        };
        let max = usize::try_from(MAX_BOOK).unwrap_or(usize::MAX);
        let member_ids = each_id("member_ids", &req.member_ids, max)?
            .into_iter()
            .map(MemberId)
            .collect();
        Ok(Self {
            from_guide,
            to,
            reason,
            member_ids,
            note: text("note", &req.note, 200)?,
        })
    }
}

#[tracing::instrument(skip_all, fields(guide_id = %request.get_ref().guide_id))]
pub(super) async fn bind(
    h: &Handlers,
    request: Request<pb::BindGuideRequest>,
) -> R<pb::BindGuideResponse> {
    let ctx = ctx(&request)?;
    let input = Bind::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let bound = app.bind_guide(txn, &ctx, input).await?;
                Ok(pb::BindGuideResponse {
                    binding: Some((&bound.binding).into()),
                    changed: bound.changed,
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(super) async fn unbind(
    h: &Handlers,
    request: Request<pb::UnbindGuideRequest>,
) -> R<pb::UnbindGuideResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let member = required_member("member_id", &req.member_id)?;
    let note = text("note", &req.note, 200)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let closed = app.unbind_guide(txn, &ctx, member, note).await?;
                Ok(pb::UnbindGuideResponse {
                    closed_binding: Some((&closed).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(from_guide_id = %request.get_ref().from_guide_id))]
pub(super) async fn reassign(
    h: &Handlers,
    request: Request<pb::ReassignGuideMembersRequest>,
) -> R<pb::ReassignGuideMembersResponse> {
    let ctx = ctx(&request)?;
    let input = Reassign::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let done = app.reassign_guide_members(txn, &ctx, input).await?;
                Ok(pb::ReassignGuideMembersResponse {
                    reassigned_count: done.moved,
                    skipped_count: done.skipped,
                    received_counts: done.received,
                })
            })
        })
        .await
}
