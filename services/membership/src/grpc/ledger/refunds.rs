//! RefundPoints, RefundStoredValue and ReverseEarnedPoints on the wire.

use siyu_proto::membership::v1 as pb;
use tonic::Request;

use super::super::convert::{id, money, points};
use super::super::{Handlers, R, ctx};
use crate::app::domain::HoldKind;
use crate::app::ledger::order_reversals::ReverseEarned;
use crate::app::ledger::refunds::RefundRequest;

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn refund_points(
    h: &Handlers,
    request: Request<pb::RefundPointsRequest>,
) -> R<pb::RefundPointsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let input = RefundRequest {
        order_id: id("order_id", &req.order_id)?,
        refund_id: id("refund_id", &req.refund_id)?,
        kind: HoldKind::Points,
        amount: points("points", req.points)?,
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (entry, hold) = app.refund(txn, &ctx, input).await?;
                Ok(pb::RefundPointsResponse {
                    entry: Some((&entry).into()),
                    hold: Some((&hold).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn refund_stored_value(
    h: &Handlers,
    request: Request<pb::RefundStoredValueRequest>,
) -> R<pb::RefundStoredValueResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let input = RefundRequest {
        order_id: id("order_id", &req.order_id)?,
        refund_id: id("refund_id", &req.refund_id)?,
        kind: HoldKind::StoredValue,
        amount: money("amount", req.amount.as_ref(), 1)?,
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (entry, hold) = app.refund(txn, &ctx, input).await?;
                Ok(pb::RefundStoredValueResponse {
                    entry: Some((&entry).into()),
                    hold: Some((&hold).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn reverse_earned_points(
    h: &Handlers,
    request: Request<pb::ReverseEarnedPointsRequest>,
) -> R<pb::ReverseEarnedPointsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let order_id = id("order_id", &req.order_id)?;
    let refund_id = id("refund_id", &req.refund_id)?;
    // Points when given; else the refunded earning base, which must then be there.
    let (given, refunded_base) = match req.points {
        0 => (
            None,
            money("refunded_amount", req.refunded_amount.as_ref(), 1)?,
        ),
        p => (Some(points("points", p)?), 0),
    };
    let input = ReverseEarned {
        order_id,
        refund_id,
        points: given,
        refunded_base,
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let r = app.reverse_earned_points(txn, &ctx, input).await?;
                Ok(pb::ReverseEarnedPointsResponse {
                    entry: r.entry.as_ref().map(Into::into),
                    reversed_points: r.reversed_points,
                    shortfall_points: r.shortfall_points,
                })
            })
        })
        .await
}
