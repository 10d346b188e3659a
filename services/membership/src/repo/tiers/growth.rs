//! A member's standing: the `mem_member_tiers` row (created on first use, locked by every
//! growth change of the member so they run one at a time), the growth value in `mem_members`,
//! the growth history and the tier moves.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{GrowthChange, MemberGrowth, MemberId};
use crate::repo::{execute, fetch_all, fetch_one, for_update, opt_i64, total, uuid};

#[derive(Debug, FromQueryResult)]
struct StandingRow {
    growth_value: i64,
    tier_code: Option<String>,
    achieved_at_ms: Option<i64>,
    downgrade_at_ms: Option<i64>,
    next_evaluation_at_ms: Option<i64>,
    enrolled_at_ms: i64,
}

/// The member's standing; `None` when the tenant has no such member. Without a tier row yet
/// the member is in the entry tier since enrolment, evaluated `period_ms` after it.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    first_evaluation: impl Fn(i64) -> i64,
) -> Result<Option<MemberGrowth>, AppError> {
    let row: Option<StandingRow> = fetch_one(
        conn,
        "SELECT m.growth_value, t.tier_code, t.achieved_at_ms, t.downgrade_at_ms, \
         t.next_evaluation_at_ms, m.enrolled_at_ms FROM mem_members m LEFT JOIN \
         mem_member_tiers t ON t.tenant = m.tenant AND t.member_id = m.id \
         WHERE m.tenant = $1 AND m.id = $2",
        [uuid(tenant.0), uuid(member.0)],
    )
    .await?;
    Ok(row.map(|r| MemberGrowth {
        member_id: member,
        growth: r.growth_value,
        tier_code: r.tier_code,
        achieved_at_ms: r.achieved_at_ms.unwrap_or(r.enrolled_at_ms),
        downgrade_at_ms: r.downgrade_at_ms,
        next_evaluation_at_ms: r
            .next_evaluation_at_ms
            .unwrap_or_else(|| first_evaluation(r.enrolled_at_ms)),
    }))
}

/// Creates the member's tier row from `g` if missing, then locks it (Postgres; SQLite's
/// writer holds the database lock); true when this call created it.
pub async fn lock(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    g: &MemberGrowth,
    now_ms: i64,
) -> Result<bool, AppError> {
    let created = execute(
        conn,
        "INSERT INTO mem_member_tiers (tenant, member_id, tier_code, achieved_at_ms, \
         downgrade_at_ms, next_evaluation_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (tenant, member_id) DO NOTHING",
        [
            uuid(tenant.0),
            uuid(g.member_id.0),
            g.tier_code.clone().into(),
            g.achieved_at_ms.into(),
            opt_i64(g.downgrade_at_ms),
            g.next_evaluation_at_ms.into(),
            now_ms.into(),
        ],
    )
    .await?;
    #[derive(Debug, FromQueryResult)]
    struct Locked {
        #[allow(dead_code, reason = "the row is read to lock it")]
        member_id: Uuid,
    }
    let _: Option<Locked> = fetch_one(
        conn,
        &format!(
            "SELECT member_id FROM mem_member_tiers WHERE tenant = $1 AND member_id = $2{}",
            for_update(conn)
        ),
        [uuid(tenant.0), uuid(g.member_id.0)],
    )
    .await?;
    Ok(created > 0)
}

/// Writes the member's tier fields and growth value.
pub async fn save(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    g: &MemberGrowth,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_member_tiers SET tier_code = $3, achieved_at_ms = $4, downgrade_at_ms = $5, \
         next_evaluation_at_ms = $6, updated_at_ms = $7 WHERE tenant = $1 AND member_id = $2",
        [
            uuid(tenant.0),
            uuid(g.member_id.0),
            g.tier_code.clone().into(),
            g.achieved_at_ms.into(),
            opt_i64(g.downgrade_at_ms),
            g.next_evaluation_at_ms.into(),
            now_ms.into(),
        ],
    )
    .await?;
    execute(
        conn,
        "UPDATE mem_members SET growth_value = $3 WHERE tenant = $1 AND id = $2",
        [uuid(tenant.0), uuid(g.member_id.0), g.growth.into()],
    )
    .await
    .map(|_| ())
}

const CHANGE_COLUMNS: &str = "id, member_id, delta, balance_after, source, reference_id, reason, \
    operator_id, created_at_ms";

#[derive(Debug, FromQueryResult)]
struct ChangeRow {
    id: Uuid,
    member_id: Uuid,
    delta: i64,
    balance_after: i64,
    source: String,
    reference_id: String,
    reason: String,
    operator_id: String,
    created_at_ms: i64,
}

impl From<ChangeRow> for GrowthChange {
    fn from(r: ChangeRow) -> Self {
        Self {
            id: r.id,
            member_id: MemberId(r.member_id),
            delta: r.delta,
            balance_after: r.balance_after,
            source: r.source,
            reference_id: r.reference_id,
            reason: r.reason,
            operator_id: r.operator_id,
            created_at_ms: r.created_at_ms,
        }
    }
}

/// The change recorded under a business key, with its request fingerprint.
pub async fn by_key(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    key: &str,
) -> Result<Option<(GrowthChange, String)>, AppError> {
    #[derive(Debug, FromQueryResult)]
    struct Keyed {
        #[sea_orm(nested)]
        change: ChangeRow,
        fingerprint: String,
    }
    let row: Option<Keyed> = fetch_one(
        conn,
        &format!(
            "SELECT {CHANGE_COLUMNS}, fingerprint FROM mem_growth_changes WHERE tenant = $1 \
             AND idempotency_key = $2"
        ),
        [uuid(tenant.0), key.into()],
    )
    .await?;
    Ok(row.map(|r| (r.change.into(), r.fingerprint)))
}

/// Records a change under its business key and fingerprint.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    c: &GrowthChange,
    key: &str,
    fingerprint: &str,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_growth_changes (tenant, id, member_id, delta, balance_after, source, \
         reference_id, reason, operator_id, idempotency_key, fingerprint, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        [
            uuid(tenant.0),
            uuid(c.id),
            uuid(c.member_id.0),
            c.delta.into(),
            c.balance_after.into(),
            c.source.clone().into(),
            c.reference_id.clone().into(),
            c.reason.clone().into(),
            c.operator_id.clone().into(),
            key.into(),
            fingerprint.into(),
            c.created_at_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// The member's changes, newest first, after the cursor (created_at_ms, id).
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<GrowthChange>, AppError> {
    let mut values: Vec<Value> = vec![uuid(tenant.0), uuid(member.0)];
    let cursor = match after {
        Some((at, id)) => {
            values.push(at.into());
            values.push(uuid(id));
            " AND (created_at_ms < $3 OR (created_at_ms = $3 AND id < $4))"
        }
        None => "",
    };
    values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    let limit_at = values.len();
    let rows: Vec<ChangeRow> = fetch_all(
        conn,
        &format!(
            "SELECT {CHANGE_COLUMNS} FROM mem_growth_changes WHERE tenant = $1 AND member_id = $2\
             {cursor} ORDER BY created_at_ms DESC, id DESC LIMIT ${limit_at}"
        ),
        values,
    )
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Net growth of the member's changes since `from_ms` (the evaluation window).
pub async fn since(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    from_ms: i64,
) -> Result<i64, AppError> {
    total(
        conn,
        "SELECT CAST(SUM(delta) AS BIGINT) AS n FROM mem_growth_changes WHERE tenant = $1 \
         AND member_id = $2 AND created_at_ms >= $3",
        [uuid(tenant.0), uuid(member.0), from_ms.into()],
    )
    .await
}

/// Records a tier move.
#[allow(clippy::too_many_arguments, reason = "one row's columns")]
pub async fn record_move(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    from: &str,
    to: &str,
    cause: &str,
    growth: i64,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_tier_changes (tenant, id, member_id, from_code, to_code, cause, growth, \
         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            uuid(tenant.0),
            uuid(siyu_core::id::new()),
            uuid(member.0),
            from.into(),
            to.into(),
            cause.into(),
            growth.into(),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// A member's stored tier fields, for members' reads.
#[derive(Debug, Clone, FromQueryResult)]
pub struct HeldRow {
    /// The member.
    pub member_id: Uuid,
    /// The tier held; `None` = the entry tier.
    pub tier_code: Option<String>,
    /// When reached.
    pub achieved_at_ms: i64,
    /// End of a running grace period.
    pub downgrade_at_ms: Option<i64>,
}

/// The tier rows of `members` (members without one are in the entry tier since enrolment).
pub async fn held_by(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    members: &[MemberId],
) -> Result<Vec<HeldRow>, AppError> {
    if members.is_empty() {
        return Ok(Vec::new());
    }
    let mut values: Vec<Value> = vec![uuid(tenant.0)];
    values.extend(members.iter().map(|m| uuid(m.0)));
    fetch_all(
        conn,
        &format!(
            "SELECT member_id, tier_code, achieved_at_ms, downgrade_at_ms FROM mem_member_tiers \
             WHERE tenant = $1 AND member_id IN ({})",
            crate::repo::placeholders(2, members.len())
        ),
        values,
    )
    .await
}
