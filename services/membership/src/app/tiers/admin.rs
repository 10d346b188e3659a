//! The ladder and the policy, as HQ changes them: CreateTier, UpdateTier, ArchiveTier,
//! UpdateTierPolicy. Threshold changes apply from each member's next growth change or
//! re-evaluation: nobody is re-tiered on save.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;

use super::require_ladder;
use crate::app::App;
use crate::app::domain::{Tier, TierPolicy};
use crate::{AppError, repo};

/// An UpdateTier request, parsed: new values and the mask's paths.
#[derive(Debug, Clone)]
pub struct TierUpdate {
    /// New values; `code` selects the tier.
    pub tier: Tier,
    /// Paths validated at the edge.
    pub paths: Vec<String>,
}

impl App {
    /// CreateTier.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, code = %tier.code))]
    pub async fn create_tier(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut tier: Tier,
    ) -> Result<Tier, AppError> {
        tier.archived = false;
        let mut ladder = repo::tiers::all(conn, ctx.tenant).await?;
        if ladder.iter().any(|t| t.code == tier.code) {
            return Err(AppError::TierCodeTaken);
        }
        ladder.push(tier.clone());
        require_ladder(&ladder)?;
        repo::tiers::insert(conn, ctx.tenant, &tier, self.now_ms()).await?;
        Ok(tier)
    }

    /// UpdateTier: applies the masked fields.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, code = %u.tier.code))]
    pub async fn update_tier(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        u: TierUpdate,
    ) -> Result<Tier, AppError> {
        let mut ladder = repo::tiers::all(conn, ctx.tenant).await?;
        let tier = ladder
            .iter_mut()
            .find(|t| t.code == u.tier.code)
            .ok_or(AppError::TierNotFound)?;
        let n = &u.tier;
        for path in &u.paths {
            match path.as_str() {
                "name" => tier.name.clone_from(&n.name),
                "rank" => tier.rank = n.rank,
                "growth_threshold" => tier.growth_threshold = n.growth_threshold,
                "retain_growth" => tier.retain_growth = n.retain_growth,
                "card_image_url" => tier.card_image_url.clone_from(&n.card_image_url),
                "benefits" => tier.benefits = n.benefits.clone(),
                "benefits.discount_bps" => tier.benefits.discount_bps = n.benefits.discount_bps,
                "benefits.points_multiplier_bps" => {
                    tier.benefits.points_multiplier_bps = n.benefits.points_multiplier_bps;
                }
                "benefits.free_shipping" => tier.benefits.free_shipping = n.benefits.free_shipping,
                "benefits.birthday_coupon_pack_id" => tier
                    .benefits
                    .birthday_coupon_pack_id
                    .clone_from(&n.benefits.birthday_coupon_pack_id),
                "benefits.tier_up_coupon_pack_id" => tier
                    .benefits
                    .tier_up_coupon_pack_id
                    .clone_from(&n.benefits.tier_up_coupon_pack_id),
                "benefits.display_benefits" => tier
                    .benefits
                    .display_benefits
                    .clone_from(&n.benefits.display_benefits),
                other => return Err(AppError::UnknownFieldPath(other.to_owned())),
            }
        }
        let updated = tier.clone();
        require_ladder(&ladder)?;
        repo::tiers::update(conn, ctx.tenant, &updated, self.now_ms()).await?;
        Ok(updated)
    }

    /// ArchiveTier: only a tier nobody holds, never the entry tier.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, code))]
    pub async fn archive_tier(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        code: &str,
    ) -> Result<Tier, AppError> {
        let ladder = repo::tiers::all(conn, ctx.tenant).await?;
        let mut tier = ladder
            .iter()
            .find(|t| t.code == code)
            .cloned()
            .ok_or(AppError::TierNotFound)?;
        if tier.archived {
            return Ok(tier);
        }
        if tier.rank == 1 {
            return Err(AppError::TierIsEntry);
        }
        if repo::tiers::holders(conn, ctx.tenant, code).await? > 0 {
            return Err(AppError::TierInUse);
        }
        tier.archived = true;
        repo::tiers::update(conn, ctx.tenant, &tier, self.now_ms()).await?;
        Ok(tier)
    }

    /// GetTierPolicy.
    pub async fn tier_policy(&self, ctx: &Ctx) -> Result<TierPolicy, AppError> {
        repo::tiers::policy(&self.db, ctx.tenant).await
    }

    /// UpdateTierPolicy: applies the masked fields (validated at the edge).
    pub async fn update_tier_policy(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        new: TierPolicy,
        paths: &[String],
    ) -> Result<TierPolicy, AppError> {
        let mut p = repo::tiers::policy(conn, ctx.tenant).await?;
        for path in paths {
            match path.as_str() {
                "growth_per_yuan" => p.growth_per_yuan = new.growth_per_yuan,
                "evaluation_period_months" => {
                    p.evaluation_period_months = new.evaluation_period_months;
                }
                "grace_period_days" => p.grace_period_days = new.grace_period_days,
                // Deprecated in the contract and ignored: LedgerPolicy.stored_value_earns decides.
                "stored_value_counts" => {}
                other => return Err(AppError::UnknownFieldPath(other.to_owned())),
            }
        }
        repo::tiers::put_policy(conn, ctx.tenant, &p, self.now_ms()).await?;
        Ok(p)
    }
}
