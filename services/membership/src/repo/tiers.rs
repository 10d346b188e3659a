//! Tiers and growth: `mem_tiers` (the ladder; benefits as JSON), `mem_tier_policies` (one row
//! once a tenant changed its policy), `mem_member_tiers` (a member's tier; the lock of every
//! growth change of the member), growth in `mem_members.growth_value`, its history in
//! `mem_growth_changes` and the tier moves in `mem_tier_changes`.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;

use crate::AppError;
use crate::app::domain::{Tier, TierBenefits, TierPolicy};
use crate::repo::{
    execute, fetch_all, fetch_one, from_json, is_unique_violation, stmt, to_json, total, uuid,
};

pub mod growth;

const COLUMNS: &str = "code, name, tier_rank, growth_threshold, retain_growth, benefits, \
    card_image_url, archived";

#[derive(Debug, FromQueryResult)]
struct TierRow {
    code: String,
    name: String,
    tier_rank: i32,
    growth_threshold: i64,
    retain_growth: i64,
    benefits: String,
    card_image_url: String,
    archived: bool,
}

impl TryFrom<TierRow> for Tier {
    type Error = AppError;

    fn try_from(r: TierRow) -> Result<Self, AppError> {
        Ok(Self {
            code: r.code,
            name: r.name,
            rank: r.tier_rank,
            growth_threshold: r.growth_threshold,
            retain_growth: r.retain_growth,
            benefits: from_json::<TierBenefits>("benefits", &r.benefits)?,
            card_image_url: r.card_image_url,
            archived: r.archived,
        })
    }
}

/// Every tier of the tenant (archived too), by rank.
pub async fn all(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<Tier>, AppError> {
    let rows: Vec<TierRow> = fetch_all(
        conn,
        &format!("SELECT {COLUMNS} FROM mem_tiers WHERE tenant = $1 ORDER BY tier_rank, code"),
        [uuid(tenant.0)],
    )
    .await?;
    rows.into_iter().map(Tier::try_from).collect()
}

/// Inserts a new tier; CONFLICT (TIER_CODE_TAKEN) when the code exists.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    t: &Tier,
    now_ms: i64,
) -> Result<(), AppError> {
    let sql = "INSERT INTO mem_tiers (tenant, code, name, tier_rank, growth_threshold, \
               retain_growth, benefits, card_image_url, archived, created_at_ms, updated_at_ms) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)";
    let values = [
        uuid(tenant.0),
        t.code.clone().into(),
        t.name.clone().into(),
        t.rank.into(),
        t.growth_threshold.into(),
        t.retain_growth.into(),
        to_json(&t.benefits)?,
        t.card_image_url.clone().into(),
        t.archived.into(),
        now_ms.into(),
    ];
    match conn.execute_raw(stmt(conn, sql, values)).await {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(AppError::TierCodeTaken),
        Err(e) => Err(e.into()),
    }
}

/// Inserts `t` only while the tenant has no tier (one statement; the code's uniqueness settles
/// racing seeds); true when this call inserted it.
pub async fn seed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    t: &Tier,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_tiers (tenant, code, name, tier_rank, growth_threshold, \
         retain_growth, benefits, card_image_url, archived, created_at_ms, updated_at_ms) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10 \
         WHERE NOT EXISTS (SELECT 1 FROM mem_tiers WHERE tenant = $1) \
         ON CONFLICT DO NOTHING",
        [
            uuid(tenant.0),
            t.code.clone().into(),
            t.name.clone().into(),
            t.rank.into(),
            t.growth_threshold.into(),
            t.retain_growth.into(),
            to_json(&t.benefits)?,
            t.card_image_url.clone().into(),
            t.archived.into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Writes a tier's changeable fields.
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    t: &Tier,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_tiers SET name = $3, tier_rank = $4, growth_threshold = $5, \
         retain_growth = $6, benefits = $7, card_image_url = $8, archived = $9, \
         updated_at_ms = $10 WHERE tenant = $1 AND code = $2",
        [
            uuid(tenant.0),
            t.code.clone().into(),
            t.name.clone().into(),
            t.rank.into(),
            t.growth_threshold.into(),
            t.retain_growth.into(),
            to_json(&t.benefits)?,
            t.card_image_url.clone().into(),
            t.archived.into(),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Members holding `code` explicitly (members without a row are in the entry tier).
pub async fn holders(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    code: &str,
) -> Result<i64, AppError> {
    total(
        conn,
        "SELECT COUNT(*) AS n FROM mem_member_tiers WHERE tenant = $1 AND tier_code = $2",
        [uuid(tenant.0), code.into()],
    )
    .await
}

#[derive(Debug, FromQueryResult)]
struct PolicyRow {
    growth_per_yuan: i32,
    evaluation_period_months: i32,
    grace_period_days: i32,
}

/// The tenant's tier policy (the defaults until it changes them).
pub async fn policy(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<TierPolicy, AppError> {
    let row: Option<PolicyRow> = fetch_one(
        conn,
        "SELECT growth_per_yuan, evaluation_period_months, grace_period_days \
         FROM mem_tier_policies WHERE tenant = $1",
        [uuid(tenant.0)],
    )
    .await?;
    Ok(row.map_or_else(TierPolicy::default, |r| TierPolicy {
        growth_per_yuan: r.growth_per_yuan,
        evaluation_period_months: r.evaluation_period_months,
        grace_period_days: r.grace_period_days,
    }))
}

/// Stores the tenant's tier policy.
pub async fn put_policy(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &TierPolicy,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_tier_policies (tenant, growth_per_yuan, evaluation_period_months, \
         grace_period_days, updated_at_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant) \
         DO UPDATE SET growth_per_yuan = excluded.growth_per_yuan, \
         evaluation_period_months = excluded.evaluation_period_months, \
         grace_period_days = excluded.grace_period_days, updated_at_ms = excluded.updated_at_ms",
        [
            uuid(tenant.0),
            p.growth_per_yuan.into(),
            p.evaluation_period_months.into(),
            p.grace_period_days.into(),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}
