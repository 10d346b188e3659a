//! Coupon packs on the wire: CreateCouponPack, UpdateCouponPack, ListCouponPacks.

use siyu_proto::membership::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::mask;
use super::super::{Handlers, R, ctx, page_of};
use super::pack;

const LIST: Paging = Paging::new("coupon_packs", 20, 100);

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn create(
    h: &Handlers,
    request: Request<pb::CreateCouponPackRequest>,
) -> R<pb::CreateCouponPackResponse> {
    let ctx = ctx(&request)?;
    let p = pack(request.get_ref().pack.as_ref(), None)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let p = app.create_coupon_pack(txn, &ctx, p).await?;
                Ok(pb::CreateCouponPackResponse {
                    pack: Some((&p).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateCouponPackRequest>,
) -> R<pb::UpdateCouponPackResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let paths = mask(req.update_mask.as_ref())?;
    let patch = pack(req.pack.as_ref(), Some(&paths))?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let p = app.update_coupon_pack(txn, &ctx, patch, &paths).await?;
                Ok(pb::UpdateCouponPackResponse {
                    pack: Some((&p).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn list(
    h: &Handlers,
    request: Request<pb::ListCouponPacksRequest>,
) -> R<pb::ListCouponPacksResponse> {
    let ctx = ctx(&request)?;
    let page = page_of::<Uuid>(&LIST, request.get_ref().page.as_ref())?;
    let rows = h
        .app
        .coupon_packs(&ctx, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = LIST.finish(rows, &page, |p| p.id);
    Ok(Response::new(pb::ListCouponPacksResponse {
        packs: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}
