//! RefundPoints and RefundStoredValue on the wire.

use siyu_proto::membership::v1 as pb;
use tonic::Request;

use super::super::convert::{id, money, points};
use super::super::{Handlers, R, ctx};
use crate::app::domain::HoldKind;
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
