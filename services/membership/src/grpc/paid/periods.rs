//! ActivatePaidMembership, RevokePaidMembership, GetPaidMembership and SetPaidAutoRenew.

use siyu_proto::membership::v1 as pb;
use tonic::{Request, Response};

use super::super::convert::{id, member, money, opt_time, required_member, text};
use super::super::{Handlers, R, ctx};
use super::plan_id;
use crate::AppError;
use crate::app::domain::{Activation, PaidOrderId, Revocation};

impl TryFrom<&pb::ActivatePaidMembershipRequest> for Activation {
    type Error = AppError;

    fn try_from(r: &pb::ActivatePaidMembershipRequest) -> Result<Self, AppError> {
        Ok(Self {
            member_id: required_member("member_id", &r.member_id)?,
            plan_id: plan_id("plan_id", &r.plan_id)?,
            order_id: PaidOrderId(id("order_id", &r.order_id)?),
            amount_paid: money("amount_paid", r.amount_paid.as_ref(), 0)?,
            paid_at_ms: opt_time("paid_at", r.paid_at.as_ref())?
                .ok_or_else(|| AppError::invalid("paid_at", "required"))?,
            auto_renew: r.auto_renew,
        })
    }
}

impl TryFrom<&pb::RevokePaidMembershipRequest> for Revocation {
    type Error = AppError;

    fn try_from(r: &pb::RevokePaidMembershipRequest) -> Result<Self, AppError> {
        Ok(Self {
            order_id: PaidOrderId(id("order_id", &r.order_id)?),
            refund_id: id("refund_id", &r.refund_id)?,
            reason: text("reason", &r.reason, 200)?,
        })
    }
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn activate(
    h: &Handlers,
    request: Request<pb::ActivatePaidMembershipRequest>,
) -> R<pb::ActivatePaidMembershipResponse> {
    let ctx = ctx(&request)?;
    let input = Activation::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (period, m) = app.activate_paid_membership(txn, &ctx, input).await?;
                Ok(pb::ActivatePaidMembershipResponse {
                    period: Some((&period).into()),
                    membership: Some((&m).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(order_id = %request.get_ref().order_id))]
pub(in crate::grpc) async fn revoke(
    h: &Handlers,
    request: Request<pb::RevokePaidMembershipRequest>,
) -> R<pb::RevokePaidMembershipResponse> {
    let ctx = ctx(&request)?;
    let input = Revocation::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let m = app.revoke_paid_membership(txn, &ctx, input).await?;
                Ok(pb::RevokePaidMembershipResponse {
                    membership: Some((&m).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn get(
    h: &Handlers,
    request: Request<pb::GetPaidMembershipRequest>,
) -> R<pb::GetPaidMembershipResponse> {
    let ctx = ctx(&request)?;
    let requested = member("member_id", &request.get_ref().member_id)?;
    let m = h.app.paid_membership(&ctx, requested).await?;
    Ok(Response::new(pb::GetPaidMembershipResponse {
        membership: Some((&m).into()),
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn set_auto_renew(
    h: &Handlers,
    request: Request<pb::SetPaidAutoRenewRequest>,
) -> R<pb::SetPaidAutoRenewResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let requested = member("member_id", &req.member_id)?;
    let auto_renew = req.auto_renew;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let m = app
                    .set_paid_auto_renew(txn, &ctx, requested, auto_renew)
                    .await?;
                Ok(pb::SetPaidAutoRenewResponse {
                    membership: Some((&m).into()),
                })
            })
        })
        .await
}
