//! The checkout saga's coupons on the wire: ListUsableCoupons, LockCoupons, UseCoupons,
//! ReleaseCoupons, RestoreCoupons.

use siyu_proto::membership::v1 as pb;
use tonic::{Request, Response};

use super::super::convert::{cny, each_id, id, member, required_member, text};
use super::super::{Handlers, R, ctx};
use super::order_context;
use crate::AppError;
use crate::app::coupons::checkout::LockRequest;
use crate::app::domain::Coupon;

fn wire(coupons: &[Coupon]) -> Vec<pb::Coupon> {
    coupons.iter().map(Into::into).collect()
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn usable(
    h: &Handlers,
    request: Request<pb::ListUsableCouponsRequest>,
) -> R<pb::ListUsableCouponsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let member = member("member_id", &req.member_id)?;
    let order = order_context("context", req.context.as_ref())?;
    let rows = h.app.usable_coupons(&ctx, member, &order).await?;
    Ok(Response::new(pb::ListUsableCouponsResponse {
        coupons: rows
            .iter()
            .map(|u| pb::UsableCoupon {
                coupon: Some((&u.coupon).into()),
                usable: u.unusable.is_none(),
                reason: u.unusable.map_or(0, |w| w.number()),
                reason_text: u.unusable.map(|w| w.text()).unwrap_or_default(),
                shortfall: match u.unusable {
                    Some(crate::app::domain::coupon_rule::Unusable::ThresholdNotMet(s)) => cny(s),
                    _ => None,
                },
                estimated_discount: cny(u.discount),
            })
            .collect(),
    }))
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn lock(
    h: &Handlers,
    request: Request<pb::LockCouponsRequest>,
) -> R<pb::LockCouponsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    if req.coupon_ids.is_empty() {
        return Err(AppError::invalid("coupon_ids", "1 to 10 coupons").into());
    }
    let mut coupon_ids = each_id("coupon_ids", &req.coupon_ids, 10)?;
    coupon_ids.sort();
    let n = coupon_ids.len();
    coupon_ids.dedup();
    if coupon_ids.len() != n {
        return Err(AppError::invalid("coupon_ids", "a coupon is listed twice").into());
    }
    let input = LockRequest {
        member_id: required_member("member_id", &req.member_id)?,
        coupon_ids,
        order_id: id("order_id", &req.order_id)?,
        context: order_context("context", req.context.as_ref())?,
        revive: req.revive,
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let coupons = app.lock_coupons(txn, &ctx, input).await?;
                Ok(pb::LockCouponsResponse {
                    coupons: wire(&coupons),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn use_(
    h: &Handlers,
    request: Request<pb::UseCouponsRequest>,
) -> R<pb::UseCouponsResponse> {
    let ctx = ctx(&request)?;
    let order = id("order_id", &request.get_ref().order_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let coupons = app.use_coupons(txn, &ctx, order).await?;
                Ok(pb::UseCouponsResponse {
                    coupons: wire(&coupons),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn release(
    h: &Handlers,
    request: Request<pb::ReleaseCouponsRequest>,
) -> R<pb::ReleaseCouponsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let order = id("order_id", &req.order_id)?;
    let reason = text("reason", &req.reason, 64)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let coupons = app.release_coupons(txn, &ctx, order, &reason).await?;
                Ok(pb::ReleaseCouponsResponse {
                    coupons: wire(&coupons),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn restore(
    h: &Handlers,
    request: Request<pb::RestoreCouponsRequest>,
) -> R<pb::RestoreCouponsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let order = id("order_id", &req.order_id)?;
    let refund = id("refund_id", &req.refund_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let coupons = app.restore_coupons(txn, &ctx, order, refund).await?;
                Ok(pb::RestoreCouponsResponse {
                    restored: wire(&coupons),
                })
            })
        })
        .await
}
