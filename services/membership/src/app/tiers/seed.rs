//! The default tier a new tenant starts with (TenantCreated): one entry tier, rank 1 at growth
//! 0 with no benefits beyond the defaults (1× points, no discount), so members hold a tier from
//! their first day. Insert-only: it is written only while the tenant has no tier at all, in one
//! statement whose code is unique per tenant, so racing seeds (replicas, redeliveries, several
//! TenantCreated) leave one tier and a ladder HQ already built is never touched.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;

use crate::app::App;
use crate::app::domain::{Tier, TierBenefits};
use crate::{AppError, repo};

/// Code of the seeded entry tier.
pub const DEFAULT_TIER_CODE: &str = "MEMBER";

/// The entry tier a tenant is seeded with, named after the tenant when it has a name.
pub fn default_tier(tenant_name: &str) -> Tier {
    let name = if tenant_name.trim().is_empty() {
        "普通会员".to_owned()
    } else {
        format!("{}会员", tenant_name.trim())
    };
    Tier {
        code: DEFAULT_TIER_CODE.into(),
        name: name.chars().take(30).collect(),
        rank: 1,
        growth_threshold: 0,
        retain_growth: 0,
        benefits: TierBenefits::default(),
        card_image_url: String::new(),
        archived: false,
    }
}

impl App {
    /// Seeds the tenant's entry tier unless it has any tier; answers whether this call did.
    pub async fn seed_default_tier(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        tenant_name: &str,
    ) -> Result<bool, AppError> {
        let tier = default_tier(tenant_name);
        repo::tiers::seed(conn, ctx.tenant, &tier, self.now_ms()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_is_an_entry_tier_named_after_the_tenant() {
        let t = default_tier(" 品牌 ");
        assert_eq!((t.rank, t.growth_threshold, t.retain_growth), (1, 0, 0));
        assert_eq!(t.name, "品牌会员");
        assert_eq!(default_tier("").name, "普通会员");
        assert_eq!(t.benefits, TierBenefits::default());
    }
}
