//! Issuing on the wire: ClaimCoupon, GrantCoupons, GetCouponGrant.

use siyu_core::PrincipalKind;
use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;
use tonic::{Request, Response};

use super::super::convert::{attribution, each_id, id, key, opt_id, text};
use super::super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::coupons::issue::{GrantRequest, GrantTarget, Provenance, default_source};
use crate::app::domain::{CouponGrant, CouponSource, GrantStatus, MemberId};

#[tracing::instrument(skip_all, fields(template_id = %request.get_ref().template_id))]
pub(in crate::grpc) async fn claim(
    h: &Handlers,
    request: Request<pb::ClaimCouponRequest>,
) -> R<pb::ClaimCouponResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let template = id("template_id", &req.template_id)?;
    let attribution = attribution("attribution", req.attribution.as_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let c = app.claim_coupon(txn, &ctx, template, attribution).await?;
                Ok(pb::ClaimCouponResponse {
                    coupon: Some((&c).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(grant_key = %request.get_ref().grant_key))]
pub(in crate::grpc) async fn grant(
    h: &Handlers,
    request: Request<pb::GrantCouponsRequest>,
) -> R<pb::GrantCouponsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let target = match (
        opt_id("template_id", &req.template_id)?,
        opt_id("pack_id", &req.pack_id)?,
    ) {
        (Some(t), None) => {
            if !(1..=20).contains(&req.quantity_per_member) {
                return Err(
                    AppError::invalid("quantity_per_member", "must be within 1..=20").into(),
                );
            }
            GrantTarget::Template(t, req.quantity_per_member)
        }
        (None, Some(p)) => GrantTarget::Pack(p),
        _ => {
            return Err(
                AppError::invalid("template_id", "exactly one of template_id, pack_id").into(),
            );
        }
    };
    if req.member_ids.is_empty() {
        return Err(AppError::invalid("member_ids", "1 to 1000 members").into());
    }
    let ids = each_id("member_ids", &req.member_ids, 1000)?;
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() != ids.len() {
        return Err(AppError::invalid("member_ids", "a member is listed twice").into());
    }
    let source = match req.source {
        0 => default_source(&ctx),
        n => match CouponSource::from_number(n) {
            Some(
                s @ (CouponSource::StaffGrant
                | CouponSource::Guide
                | CouponSource::Campaign
                | CouponSource::Partner),
            ) => s,
            _ => {
                return Err(
                    AppError::invalid("source", "STAFF_GRANT, GUIDE, CAMPAIGN or PARTNER").into(),
                );
            }
        },
    };
    let reason = text("reason", &req.reason, 200)?;
    if ctx.principal.kind == PrincipalKind::Staff && reason.trim().is_empty() {
        return Err(AppError::invalid("reason", "required for staff grants").into());
    }
    let input = GrantRequest {
        target,
        members: ids.into_iter().map(MemberId).collect(),
        key: key("grant_key", &req.grant_key)?,
        provenance: Provenance {
            source,
            attribution: attribution("attribution", req.attribution.as_ref())?,
            grant_id: None,
        },
        reason,
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let g = app.grant_coupons(txn, &ctx, input).await?;
                Ok(pb::GrantCouponsResponse {
                    grant_id: g.grant.id.to_string(),
                    coupons: g.coupons.iter().map(Into::into).collect(),
                    skipped: g
                        .grant
                        .skipped
                        .iter()
                        .map(|s| pb::SkippedGrant {
                            member_id: s.member_id.to_string(),
                            reason: s.reason.clone(),
                        })
                        .collect(),
                })
            })
        })
        .await
}

/// A grant as the wire shows its progress.
pub(in crate::grpc) fn grant_to_wire(g: &CouponGrant) -> pb::CouponGrant {
    let status = match g.status {
        GrantStatus::Running => pb::CouponGrantStatus::Running,
        GrantStatus::Completed => pb::CouponGrantStatus::Completed,
        GrantStatus::Failed => pb::CouponGrantStatus::Failed,
    };
    pb::CouponGrant {
        grant_id: g.id.to_string(),
        status: status as i32,
        target_count: g.target_count,
        processed_count: g.processed_count,
        issued_count: g.issued_count,
        skipped_count: g.skipped_count,
        error_message: g.error_message.clone(),
        created_at: Some(timestamp_ms(g.created_at_ms)),
        finished_at: g.finished_at_ms.map(timestamp_ms),
    }
}

#[tracing::instrument(skip_all, fields(grant_id = %request.get_ref().grant_id))]
pub(in crate::grpc) async fn get_grant(
    h: &Handlers,
    request: Request<pb::GetCouponGrantRequest>,
) -> R<pb::GetCouponGrantResponse> {
    let ctx = ctx(&request)?;
    let id = id("grant_id", &request.get_ref().grant_id)?;
    let g = h.app.coupon_grant(&ctx, id).await?;
    Ok(Response::new(pb::GetCouponGrantResponse {
        grant: Some(grant_to_wire(&g)),
    }))
}
