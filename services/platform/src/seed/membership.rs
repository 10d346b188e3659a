//! Seeding membership for the demo tenant, through membership's gRPC contract as its admin: the
//! ledger policy with stored value on, a tier ladder (普卡 / 银卡 / 金卡), earning rules
//! (enrolment, phone bound, daily check-in with a 7-day streak bonus, 1 point per yuan paid),
//! two top-up plans (充500送50, 充1000送150) and two published, claimable coupon templates
//! (满100减20, 9折 capped at ¥30). Each part is created only where the tenant has none of its
//! kind, so a tenant edited by hand is left alone; mutations carry fixed idempotency keys, so a
//! pass retried after a partial failure replays instead of duplicating.

mod programme;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use super::{Seed, SeedRecord, Seeding, Step};
use crate::registry::membership::NAME;

/// The record key of membership's demo data.
const KEY: &str = "membership";

/// What was seeded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MembershipSeedRecord {
    /// Tier codes of the ladder, entry tier first.
    pub tiers: Vec<String>,
    /// Earning rules created (those the tenant already had are not counted).
    pub earning_rules: usize,
    /// Top-up plans on sale.
    pub top_up_plans: usize,
    /// Published coupon templates.
    pub coupon_templates: Vec<String>,
    /// The template the "Try it" lines claim from.
    pub example_template_id: String,
}

/// Membership's demo data.
#[derive(Debug)]
pub struct MembershipSeed;

impl Seed for MembershipSeed {
    fn seed<'a>(&'a self, seeding: &'a mut Seeding) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            if seeding.record.get::<MembershipSeedRecord>(KEY).is_some() {
                seeding.step("membership", Step::Done);
                return Ok(());
            }
            let Some(admin) = seeding.admin_token.clone() else {
                seeding.step("membership", Step::Pending("no tenant admin".into()));
                return Ok(());
            };
            let channel = seeding.channel(NAME)?;
            match programme::seed(&channel, &admin).await {
                Ok(seeded) => {
                    seeding.record.put(KEY, &seeded)?;
                    seeding.step("membership", Step::Done);
                }
                Err(pending) => seeding.step("membership", Step::Pending(pending)),
            }
            seeding.save()
        })
    }

    fn summary(&self, record: &SeedRecord) -> Vec<(&'static str, String)> {
        let Some(m) = record.get::<MembershipSeedRecord>(KEY) else {
            return Vec::new();
        };
        vec![(
            "membership",
            format!(
                "tiers {}, {} earning rules, {} top-up plans, {} coupon templates",
                m.tiers.join(" < "),
                m.earning_rules,
                m.top_up_plans,
                m.coupon_templates.len()
            ),
        )]
    }

    fn examples(&self, record: &SeedRecord, gateway: &str) -> Vec<String> {
        let Some(m) = record.get::<MembershipSeedRecord>(KEY) else {
            return Vec::new();
        };
        let auth = "-H \"authorization: Bearer $ACCESS_TOKEN\"";
        // Mutations through the gateway carry an Idempotency-Key; a retry with the same key
        // replays the first answer.
        let json = "-H 'content-type: application/json' -H \"idempotency-key: $(date +%s%N)\"";
        vec![
            "  # Membership, as the consumer (their access token):".to_owned(),
            format!(
                "  curl -s -X POST {gateway}/api/v1/me/member {auth} {json} -d '{{}}'   # enrol (会员卡)"
            ),
            format!(
                "  curl -s {gateway}/api/v1/me/member {auth}                 # the card, tier and code"
            ),
            format!(
                "  curl -s -X POST {gateway}/api/v1/me/check-ins {auth} {json} -d '{{}}'   # 签到"
            ),
            format!(
                "  curl -s {gateway}/api/v1/me/balances {auth}               # points and stored value"
            ),
            format!(
                "  curl -s -X POST {gateway}/api/v1/me/coupons {auth} {json} -d '{{\"templateId\":\"{}\"}}'   # 领券",
                m.example_template_id
            ),
        ]
    }
}
