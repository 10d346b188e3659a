//! The checkout saga's holds on the wire: HoldPoints / HoldStoredValue, their captures and
//! releases, GetOrderHolds.

use siyu_proto::membership::v1 as pb;
use tonic::{Request, Response};

use super::super::convert::{id, money, points, required_member, text};
use super::super::{Handlers, R, ctx};
use crate::app::domain::HoldKind;
use crate::app::ledger::holds::HoldRequest;

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn hold_points(
    h: &Handlers,
    request: Request<pb::HoldPointsRequest>,
) -> R<pb::HoldPointsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let input = HoldRequest {
        member_id: required_member("member_id", &req.member_id)?,
        order_id: id("order_id", &req.order_id)?,
        kind: HoldKind::Points,
        points: points("points", req.points)?,
        amount: 0,
        revive: req.revive,
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let hold = app.hold(txn, &ctx, input).await?;
                Ok(pb::HoldPointsResponse {
                    hold: Some((&hold).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn hold_stored_value(
    h: &Handlers,
    request: Request<pb::HoldStoredValueRequest>,
) -> R<pb::HoldStoredValueResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let input = HoldRequest {
        member_id: required_member("member_id", &req.member_id)?,
        order_id: id("order_id", &req.order_id)?,
        kind: HoldKind::StoredValue,
        points: 0,
        amount: money("amount", req.amount.as_ref(), 1)?,
        revive: req.revive,
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let hold = app.hold(txn, &ctx, input).await?;
                Ok(pb::HoldStoredValueResponse {
                    hold: Some((&hold).into()),
                })
            })
        })
        .await
}

/// Capture of the order's `kind` hold, answered as `wrap(hold)`.
async fn capture<Req, Resp>(
    h: &Handlers,
    request: Request<Req>,
    order_id: &str,
    kind: HoldKind,
    wrap: fn(Option<pb::Hold>) -> Resp,
) -> R<Resp>
where
    Req: prost::Message,
    Resp: prost::Message + Default + 'static,
{
    let ctx = ctx(&request)?;
    let order = id("order_id", order_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let hold = app.capture(txn, &ctx, order, kind).await?;
                Ok(wrap(Some((&hold).into())))
            })
        })
        .await
}

/// Release of the order's `kind` hold (none is not an error), answered as `wrap(hold)`.
async fn release<Req, Resp>(
    h: &Handlers,
    request: Request<Req>,
    (order_id, reason): (&str, &str),
    kind: HoldKind,
    wrap: fn(Option<pb::Hold>) -> Resp,
) -> R<Resp>
where
    Req: prost::Message,
    Resp: prost::Message + Default + 'static,
{
    let ctx = ctx(&request)?;
    let order = id("order_id", order_id)?;
    let reason = text("reason", reason, 64)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let hold = app.release(txn, &ctx, order, kind, &reason).await?;
                Ok(wrap(hold.as_ref().map(Into::into)))
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn capture_points(
    h: &Handlers,
    request: Request<pb::CapturePointsRequest>,
) -> R<pb::CapturePointsResponse> {
    let order = request.get_ref().order_id.clone();
    capture(h, request, &order, HoldKind::Points, |hold| {
        pb::CapturePointsResponse { hold }
    })
    .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn capture_stored_value(
    h: &Handlers,
    request: Request<pb::CaptureStoredValueRequest>,
) -> R<pb::CaptureStoredValueResponse> {
    let order = request.get_ref().order_id.clone();
    capture(h, request, &order, HoldKind::StoredValue, |hold| {
        pb::CaptureStoredValueResponse { hold }
    })
    .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn release_points(
    h: &Handlers,
    request: Request<pb::ReleasePointsRequest>,
) -> R<pb::ReleasePointsResponse> {
    let req = request.get_ref().clone();
    release(
        h,
        request,
        (&req.order_id, &req.reason),
        HoldKind::Points,
        |hold| pb::ReleasePointsResponse { hold },
    )
    .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn release_stored_value(
    h: &Handlers,
    request: Request<pb::ReleaseStoredValueRequest>,
) -> R<pb::ReleaseStoredValueResponse> {
    let req = request.get_ref().clone();
    release(
        h,
        request,
        (&req.order_id, &req.reason),
        HoldKind::StoredValue,
        |hold| pb::ReleaseStoredValueResponse { hold },
    )
    .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn order_holds(
    h: &Handlers,
    request: Request<pb::GetOrderHoldsRequest>,
) -> R<pb::GetOrderHoldsResponse> {
    let ctx = ctx(&request)?;
    let order = id("order_id", &request.get_ref().order_id)?;
    let holds = h.app.order_holds(&ctx, order).await?;
    Ok(Response::new(pb::GetOrderHoldsResponse {
        holds: holds.iter().map(Into::into).collect(),
    }))
}
