//! In-store redemption on the wire: IssueCouponRedemptionCode (DEDUPE: the code is a
//! short-lived secret, never stored for replay), RedeemCouponInStore,
//! ReverseInStoreRedemption.

use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;
use tonic::{Request, Response};

use super::super::convert::{cny, id, opt_id, text};
use super::super::{Handlers, R, ctx};
use super::order_context;
use crate::AppError;
use crate::app::coupons::in_store::{Presented, Redemption};

/// IssueCouponRedemptionCode: each call issues a fresh code (`IDEMPOTENCY_MODE_DEDUPE`).
#[tracing::instrument(skip_all, fields(coupon_id = %request.get_ref().coupon_id))]
pub(in crate::grpc) async fn issue_code(
    h: &Handlers,
    request: Request<pb::IssueCouponRedemptionCodeRequest>,
) -> R<pb::IssueCouponRedemptionCodeResponse> {
    let ctx = ctx(&request)?;
    let id = id("coupon_id", &request.get_ref().coupon_id)?;
    let (code, expires_at_ms) = h.app.issue_redemption_code(&ctx, id).await?;
    Ok(Response::new(pb::IssueCouponRedemptionCodeResponse {
        code,
        expires_at: Some(timestamp_ms(expires_at_ms)),
    }))
}

#[tracing::instrument(skip_all, fields(store_id = %request.get_ref().store_id))]
pub(in crate::grpc) async fn redeem(
    h: &Handlers,
    request: Request<pb::RedeemCouponInStoreRequest>,
) -> R<pb::RedeemCouponInStoreResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let presented = match (req.code.is_empty(), opt_id("coupon_id", &req.coupon_id)?) {
        (false, None) => {
            if req.code.len() != 18 || !req.code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AppError::invalid("code", "must be 18 digits").into());
            }
            Presented::Code(req.code.clone())
        }
        (true, Some(c)) => Presented::Coupon(c),
        _ => return Err(AppError::invalid("code", "exactly one of code, coupon_id").into()),
    };
    let input = Redemption {
        presented,
        store_id: id("store_id", &req.store_id)?,
        pos_receipt_no: text("pos_receipt_no", &req.pos_receipt_no, 64)?,
        context: req
            .context
            .as_ref()
            .map(|c| order_context("context", Some(c)))
            .transpose()?,
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (c, discount) = app.redeem_in_store(txn, &ctx, input).await?;
                Ok(pb::RedeemCouponInStoreResponse {
                    coupon: Some((&c).into()),
                    discount: cny(discount),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(coupon_id = %request.get_ref().coupon_id))]
pub(in crate::grpc) async fn reverse(
    h: &Handlers,
    request: Request<pb::ReverseInStoreRedemptionRequest>,
) -> R<pb::ReverseInStoreRedemptionResponse> {
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
                let c = app.reverse_in_store(txn, &ctx, id).await?;
                tracing::info!(reason, "in-store redemption reversed");
                Ok(pb::ReverseInStoreRedemptionResponse {
                    coupon: Some((&c).into()),
                })
            })
        })
        .await
}
