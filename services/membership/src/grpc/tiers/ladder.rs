//! CreateTier, UpdateTier, ArchiveTier, ListTiers, GetTierPolicy and UpdateTierPolicy.

use siyu_proto::membership::v1 as pb;
use tonic::{Request, Response};

use super::super::convert::mask;
use super::super::{Handlers, R, ctx};
use super::code;
use crate::AppError;
use crate::app::domain::{Tier, TierPolicy};
use crate::app::tiers::admin::TierUpdate;

const TIER_PATHS: [&str; 12] = [
    "name",
    "rank",
    "growth_threshold",
    "retain_growth",
    "benefits",
    "benefits.discount_bps",
    "benefits.points_multiplier_bps",
    "benefits.free_shipping",
    "benefits.birthday_coupon_pack_id",
    "benefits.tier_up_coupon_pack_id",
    "benefits.display_benefits",
    "card_image_url",
];

fn required_tier(t: Option<&pb::Tier>) -> Result<&pb::Tier, AppError> {
    t.ok_or_else(|| AppError::invalid("tier", "required"))
}

impl TryFrom<&pb::UpdateTierRequest> for TierUpdate {
    type Error = AppError;

    fn try_from(req: &pb::UpdateTierRequest) -> Result<Self, AppError> {
        let paths = mask(req.update_mask.as_ref())?;
        if let Some(p) = paths.iter().find(|p| !TIER_PATHS.contains(&p.as_str())) {
            return Err(AppError::UnknownFieldPath(p.clone()));
        }
        let wire = required_tier(req.tier.as_ref())?;
        // Only masked fields need valid values: unmasked ones get neutral stand-ins so the
        // tier parses as a whole (the app copies masked fields only).
        let masked = |p: &str| paths.iter().any(|m| m == p);
        let mut full = wire.clone();
        if !masked("name") {
            full.name = "-".into();
        }
        if !masked("rank") {
            full.rank = 1;
        }
        if !masked("growth_threshold") {
            full.growth_threshold = 0;
        }
        if !masked("retain_growth") {
            full.retain_growth = 0;
        }
        if !masked("card_image_url") {
            full.card_image_url.clear();
        }
        let mut b = full.benefits.take().unwrap_or_default();
        let whole = masked("benefits");
        if !whole && !masked("benefits.discount_bps") {
            b.discount_bps = 10_000;
        }
        if !whole && !masked("benefits.points_multiplier_bps") {
            b.points_multiplier_bps = 10_000;
        }
        full.benefits = Some(b);
        let tier = Tier::try_from(&full)?;
        Ok(Self { tier, paths })
    }
}

fn policy(req: &pb::UpdateTierPolicyRequest) -> Result<(TierPolicy, Vec<String>), AppError> {
    let paths = mask(req.update_mask.as_ref())?;
    let p = req.policy.unwrap_or_default();
    for path in &paths {
        let (ok, range) = match path.as_str() {
            "growth_per_yuan" => ((0..=1000).contains(&p.growth_per_yuan), "0..=1000"),
            "evaluation_period_months" => {
                ((1..=24).contains(&p.evaluation_period_months), "1..=24")
            }
            "grace_period_days" => ((0..=180).contains(&p.grace_period_days), "0..=180"),
            "stored_value_counts" => (true, ""),
            other => return Err(AppError::UnknownFieldPath(other.to_owned())),
        };
        if !ok {
            return Err(AppError::invalid(
                format!("policy.{path}"),
                format!("must be within {range}"),
            ));
        }
    }
    Ok((
        TierPolicy {
            growth_per_yuan: p.growth_per_yuan,
            evaluation_period_months: p.evaluation_period_months,
            grace_period_days: p.grace_period_days,
        },
        paths,
    ))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn create(
    h: &Handlers,
    request: Request<pb::CreateTierRequest>,
) -> R<pb::CreateTierResponse> {
    let ctx = ctx(&request)?;
    let tier = Tier::try_from(required_tier(request.get_ref().tier.as_ref())?)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let tier = app.create_tier(txn, &ctx, tier).await?;
                Ok(pb::CreateTierResponse {
                    tier: Some((&tier).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateTierRequest>,
) -> R<pb::UpdateTierResponse> {
    let ctx = ctx(&request)?;
    let input = TierUpdate::try_from(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let tier = app.update_tier(txn, &ctx, input).await?;
                Ok(pb::UpdateTierResponse {
                    tier: Some((&tier).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(code = %request.get_ref().tier_code))]
pub(in crate::grpc) async fn archive(
    h: &Handlers,
    request: Request<pb::ArchiveTierRequest>,
) -> R<pb::ArchiveTierResponse> {
    let ctx = ctx(&request)?;
    let code = code("tier_code", &request.get_ref().tier_code)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let tier = app.archive_tier(txn, &ctx, &code).await?;
                Ok(pb::ArchiveTierResponse {
                    tier: Some((&tier).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn list(
    h: &Handlers,
    request: Request<pb::ListTiersRequest>,
) -> R<pb::ListTiersResponse> {
    let ctx = ctx(&request)?;
    let tiers = h
        .app
        .tiers(&ctx, request.get_ref().include_archived)
        .await?;
    Ok(Response::new(pb::ListTiersResponse {
        tiers: tiers.iter().map(Into::into).collect(),
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn get_policy(
    h: &Handlers,
    request: Request<pb::GetTierPolicyRequest>,
) -> R<pb::GetTierPolicyResponse> {
    let ctx = ctx(&request)?;
    let p = h.app.tier_policy(&ctx).await?;
    Ok(Response::new(pb::GetTierPolicyResponse {
        policy: Some((&p).into()),
    }))
}

#[tracing::instrument(skip_all)]
pub(in crate::grpc) async fn update_policy(
    h: &Handlers,
    request: Request<pb::UpdateTierPolicyRequest>,
) -> R<pb::UpdateTierPolicyResponse> {
    let ctx = ctx(&request)?;
    let (new, paths) = policy(request.get_ref())?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let p = app.update_tier_policy(txn, &ctx, new, &paths).await?;
                Ok(pb::UpdateTierPolicyResponse {
                    policy: Some((&p).into()),
                })
            })
        })
        .await
}
