//! EarnPoints and RedeemPoints on the wire.

use siyu_proto::membership::v1 as pb;
use tonic::Request;

use super::super::convert::{id, key, member, money, opt_time, points, required_member, text};
use super::super::{Handlers, R, ctx};
use crate::AppError;
use crate::app::ledger::points::{Earn, EarnBy, Redeem};

impl TryFrom<&pb::EarnPointsRequest> for Earn {
    type Error = AppError;

    fn try_from(req: &pb::EarnPointsRequest) -> Result<Self, AppError> {
        let by = match (req.rule_id.is_empty(), req.points) {
            (true, 0) => return Err(AppError::invalid("points", "rule_id or points is required")),
            (true, p) => EarnBy::Points(points("points", p)?),
            (false, 0) => EarnBy::Rule {
                rule_id: id("rule_id", &req.rule_id)?,
                eligible: match &req.eligible_amount {
                    Some(_) => money("eligible_amount", req.eligible_amount.as_ref(), 1)?,
                    None => 0,
                },
            },
            (false, _) => {
                return Err(AppError::invalid(
                    "points",
                    "set either rule_id or points, not both",
                ));
            }
        };
        Ok(Self {
            member_id: required_member("member_id", &req.member_id)?,
            key: key("idempotency_key", &req.idempotency_key)?,
            by,
            reference_id: text("reference_id", &req.reference_id, 128)?,
            description: text("description", &req.description, 200)?,
            expires_at_ms: opt_time("expires_at", req.expires_at.as_ref())?,
        })
    }
}

impl TryFrom<&pb::RedeemPointsRequest> for Redeem {
    type Error = AppError;

    fn try_from(req: &pb::RedeemPointsRequest) -> Result<Self, AppError> {
        if !(1..=5).contains(&req.purpose) {
            return Err(AppError::invalid("purpose", "required"));
        }
        if !req.store_id.is_empty() {
            id("store_id", &req.store_id)?;
        }
        Ok(Self {
            member_id: member("member_id", &req.member_id)?,
            points: points("points", req.points)?,
            key: key("idempotency_key", &req.idempotency_key)?,
            purpose: req.purpose,
            reference_id: text("reference_id", &req.reference_id, 128)?,
            description: text("description", &req.description, 200)?,
        })
    }
}

#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(in crate::grpc) async fn earn(
    h: &Handlers,
    request: Request<pb::EarnPointsRequest>,
) -> R<pb::EarnPointsResponse> {
    let ctx = ctx(&request)?;
    let input = Earn::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let done = app.earn(txn, &ctx, input).await?;
                Ok(pb::EarnPointsResponse {
                    points: done.entry.points_delta,
                    entry: Some((&done.entry).into()),
                    lot: done.lot.as_ref().map(Into::into),
                    balances: Some((&done.balances).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(in crate::grpc) async fn redeem(
    h: &Handlers,
    request: Request<pb::RedeemPointsRequest>,
) -> R<pb::RedeemPointsResponse> {
    let ctx = ctx(&request)?;
    let input = Redeem::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (entry, balances) = app.redeem(txn, &ctx, input).await?;
                Ok(pb::RedeemPointsResponse {
                    entry: Some((&entry).into()),
                    balances: Some((&balances).into()),
                })
            })
        })
        .await
}
