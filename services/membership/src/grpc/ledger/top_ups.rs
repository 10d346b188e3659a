//! TopUpStoredValue and ReverseTopUp on the wire.

use siyu_proto::membership::v1 as pb;
use tonic::Request;

use super::super::convert::{cny, id, money, opt_id, opt_time, required_member};
use super::super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::ledger::top_ups::{ReverseRequest, TopUpRequest};

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn top_up(
    h: &Handlers,
    request: Request<pb::TopUpStoredValueRequest>,
) -> R<pb::TopUpStoredValueResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let input = TopUpRequest {
        member_id: required_member("member_id", &req.member_id)?,
        order_id: id("order_id", &req.order_id)?,
        plan_id: opt_id("plan_id", &req.plan_id)?,
        amount_paid: money("amount_paid", req.amount_paid.as_ref(), 1)?,
        paid_at_ms: opt_time("paid_at", req.paid_at.as_ref())?
            .ok_or_else(|| AppError::invalid("paid_at", "required"))?,
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let done = app.top_up(txn, &ctx, input).await?;
                Ok(pb::TopUpStoredValueResponse {
                    entry: Some((&done.entry).into()),
                    bonus_credited: cny(done.bonus),
                    balances: Some((&done.balances).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn reverse(
    h: &Handlers,
    request: Request<pb::ReverseTopUpRequest>,
) -> R<pb::ReverseTopUpResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let input = ReverseRequest {
        order_id: id("order_id", &req.order_id)?,
        refund_id: id("refund_id", &req.refund_id)?,
        amount: money("amount", req.amount.as_ref(), 1)?,
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (entry, bonus) = app.reverse_top_up(txn, &ctx, input).await?;
                Ok(pb::ReverseTopUpResponse {
                    entry: Some((&entry).into()),
                    bonus_reversed: cny(bonus),
                })
            })
        })
        .await
}
