//! GetMemberTier, ListGrowthHistory and AdjustGrowth.

use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::super::convert::{key, member, required_member};
use super::super::{Handlers, R, ctx, page_of};
use super::member_tier;
use crate::AppError;
use crate::app::domain::GrowthChange;
use crate::app::tiers::{Grow, Standing};

const CHANGES: Paging = Paging::new("growth_changes", 20, 100);

impl From<&GrowthChange> for pb::GrowthChange {
    fn from(c: &GrowthChange) -> Self {
        Self {
            change_id: c.id.to_string(),
            member_id: c.member_id.to_string(),
            delta: c.delta,
            balance_after: c.balance_after,
            source: c.source.clone(),
            reference_id: c.reference_id.clone(),
            reason: c.reason.clone(),
            operator_id: c.operator_id.clone(),
            created_at: Some(timestamp_ms(c.created_at_ms)),
        }
    }
}

fn standing_to_wire(s: &Standing) -> pb::GetMemberTierResponse {
    pb::GetMemberTierResponse {
        tier: member_tier(s),
        growth_value: s.growth.growth,
        window_growth: s.window_growth,
        next_evaluation_at: Some(timestamp_ms(s.growth.next_evaluation_at_ms)),
        next_tier: s.next_tier.as_ref().map(Into::into),
        growth_to_next_tier: s
            .next_tier
            .as_ref()
            .map_or(0, |t| (t.growth_threshold - s.growth.growth).max(0)),
    }
}

#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(in crate::grpc) async fn member_tier_of(
    h: &Handlers,
    request: Request<pb::GetMemberTierRequest>,
) -> R<pb::GetMemberTierResponse> {
    let ctx = ctx(&request)?;
    let requested = member("member_id", &request.get_ref().member_id)?;
    let s = h.app.standing(&ctx, requested).await?;
    Ok(Response::new(standing_to_wire(&s)))
}

#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(in crate::grpc) async fn history(
    h: &Handlers,
    request: Request<pb::ListGrowthHistoryRequest>,
) -> R<pb::ListGrowthHistoryResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let requested = member("member_id", &req.member_id)?;
    let page = page_of::<(i64, Uuid)>(&CHANGES, req.page.as_ref())?;
    let rows = h
        .app
        .growth_history(&ctx, requested, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = CHANGES.finish(rows, &page, |c| (c.created_at_ms, c.id));
    Ok(Response::new(pb::ListGrowthHistoryResponse {
        changes: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}

fn adjustment(req: &pb::AdjustGrowthRequest) -> Result<Grow, AppError> {
    if req.delta == 0 || req.delta.unsigned_abs() > 1_000_000 {
        return Err(AppError::invalid(
            "delta",
            "must be non-zero and at most 1000000 either way",
        ));
    }
    let reason = req.reason.trim();
    let n = reason.chars().count();
    if !(2..=200).contains(&n) {
        return Err(AppError::invalid("reason", "must be 2..200 characters"));
    }
    Ok(Grow {
        delta: req.delta,
        source: "STAFF_ADJUSTMENT",
        reference_id: String::new(),
        reason: reason.to_owned(),
        key: key("idempotency_key", &req.idempotency_key)?,
        strict: true,
    })
}

#[tracing::instrument(skip_all, fields(member_id = %request.get_ref().member_id))]
pub(in crate::grpc) async fn adjust(
    h: &Handlers,
    request: Request<pb::AdjustGrowthRequest>,
) -> R<pb::AdjustGrowthResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let member = required_member("member_id", &req.member_id)?;
    let grow = adjustment(req)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let (change, standing) = app.adjust_growth(txn, &ctx, member, grow).await?;
                Ok(pb::AdjustGrowthResponse {
                    change: Some((&change).into()),
                    tier: member_tier(&standing),
                })
            })
        })
        .await
}
