//! Reads and revocation on the wire: ListMemberCoupons, GetCoupon, RevokeCoupon.

use siyu_proto::membership::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::{id, member, text};
use super::super::{Handlers, R, ctx, page_of};
use crate::AppError;
use crate::app::domain::CouponStatus;

const LIST: Paging = Paging::new("member_coupons", 20, 100);

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn list(
    h: &Handlers,
    request: Request<pb::ListMemberCouponsRequest>,
) -> R<pb::ListMemberCouponsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let member = member("member_id", &req.member_id)?;
    let statuses = req
        .statuses
        .iter()
        .enumerate()
        .map(|(i, s)| {
            CouponStatus::from_number(*s)
                .ok_or_else(|| AppError::invalid(format!("statuses[{i}]"), "unknown status"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let page = page_of::<(i64, Uuid)>(&LIST, req.page.as_ref())?;
    let (rows, by_expiry) = h
        .app
        .member_coupons(&ctx, member, statuses, (page.after, page.fetch_limit()))
        .await?;
    let (rows, next) = LIST.finish(rows, &page, |c| {
        let at = if by_expiry {
            c.valid_until_ms
        } else {
            c.issued_at_ms
        };
        (at, c.id)
    });
    Ok(Response::new(pb::ListMemberCouponsResponse {
        coupons: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all, fields(coupon_id = %request.get_ref().coupon_id))]
pub(in crate::grpc) async fn get(
    h: &Handlers,
    request: Request<pb::GetCouponRequest>,
) -> R<pb::GetCouponResponse> {
    let ctx = ctx(&request)?;
    let id = id("coupon_id", &request.get_ref().coupon_id)?;
    let c = h.app.get_coupon(&ctx, id).await?;
    Ok(Response::new(pb::GetCouponResponse {
        coupon: Some((&c).into()),
    }))
}

#[tracing::instrument(skip_all, fields(coupon_id = %request.get_ref().coupon_id))]
pub(in crate::grpc) async fn revoke(
    h: &Handlers,
    request: Request<pb::RevokeCouponRequest>,
) -> R<pb::RevokeCouponResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let id = id("coupon_id", &req.coupon_id)?;
    let reason = text("reason", &req.reason, 200)?;
    if reason.trim().is_empty() {
        return Err(AppError::invalid("reason", "required").into());
    }
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let c = app.revoke_coupon(txn, &ctx, id, &reason).await?;
                Ok(pb::RevokeCouponResponse {
                    coupon: Some((&c).into()),
                })
            })
        })
        .await
}
