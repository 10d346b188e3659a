//! GrantCouponsToSegment on the wire.

use siyu_core::{Ctx, PrincipalKind};
use siyu_proto::membership::v1 as pb;
use tonic::Request;

use super::super::convert::{attribution, id, key, opt_id, text};
use super::super::{Handlers, R, ctx};
use super::issue::grant_to_wire;
use crate::AppError;
use crate::app::coupons::issue::segment::SegmentGrantRequest;
use crate::app::coupons::issue::{GrantTarget, Provenance, default_source};
use crate::app::segments::SegmentId;

impl TryFrom<(&pb::GrantCouponsToSegmentRequest, &Ctx)> for SegmentGrantRequest {
    type Error = AppError;

    fn try_from((req, ctx): (&pb::GrantCouponsToSegmentRequest, &Ctx)) -> Result<Self, AppError> {
        let target = match (
            opt_id("template_id", &req.template_id)?,
            opt_id("pack_id", &req.pack_id)?,
        ) {
            (Some(t), None) => {
                if !(1..=20).contains(&req.quantity_per_member) {
                    return Err(AppError::invalid(
                        "quantity_per_member",
                        "must be within 1..=20",
                    ));
                }
                GrantTarget::Template(t, req.quantity_per_member)
            }
            (None, Some(p)) => GrantTarget::Pack(p),
            _ => {
                return Err(AppError::invalid(
                    "template_id",
                    "exactly one of template_id, pack_id",
                ));
            }
        };
        let reason = text("reason", &req.reason, 200)?;
        if ctx.principal.kind == PrincipalKind::Staff && reason.trim().is_empty() {
            return Err(AppError::invalid("reason", "required for staff grants"));
        }
        Ok(Self {
            target,
            segment: SegmentId(id("segment_id", &req.segment_id)?),
            key: key("grant_key", &req.grant_key)?,
            provenance: Provenance {
                source: default_source(ctx),
                attribution: attribution("attribution", req.attribution.as_ref())?,
                grant_id: None,
            },
            reason,
        })
    }
}

#[tracing::instrument(skip_all, fields(grant_key = %request.get_ref().grant_key))]
pub(in crate::grpc) async fn grant(
    h: &Handlers,
    request: Request<pb::GrantCouponsToSegmentRequest>,
) -> R<pb::GrantCouponsToSegmentResponse> {
    let ctx = ctx(&request)?;
    let input = SegmentGrantRequest::try_from((request.get_ref(), &ctx))?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                // Recorded and queued: the job grants in batches; GetCouponGrant follows it.
                let g = app.grant_coupons_to_segment(txn, &ctx, input).await?;
                Ok(pb::GrantCouponsToSegmentResponse {
                    grant: Some(grant_to_wire(&g)),
                })
            })
        })
        .await
}
