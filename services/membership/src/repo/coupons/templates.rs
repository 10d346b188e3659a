//! `mem_coupon_templates` and `mem_coupon_holdings`: templates with their issued count, and
//! what each member holds of each. An issue locks the template row first (`get(…, lock)`), so
//! the issues of one template run one after another; the counters then move by conditional
//! updates that refuse to cross the quota or the member's limit.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{CouponKind, CouponTemplate, MemberId, TemplateId, TemplateStatus};
use crate::repo::{
    execute, fetch_all, fetch_one, for_update, from_json, opt_i64, stored, to_json, uuid,
};

const COLUMNS: &str = "id, name, description, rule, validity, total_quota, per_member_limit, \
    per_member_daily_limit, claimable, claim_starts_at_ms, claim_ends_at_ms, claim_tier_codes, \
    claim_segment_id, points_price, funder, funder_id, status, issued_count, created_at_ms, \
    updated_at_ms";

#[derive(Debug, FromQueryResult)]
struct TemplateRow {
    id: Uuid,
    name: String,
    description: String,
    rule: String,
    validity: String,
    total_quota: i32,
    per_member_limit: i32,
    per_member_daily_limit: i32,
    claimable: bool,
    claim_starts_at_ms: Option<i64>,
    claim_ends_at_ms: Option<i64>,
    claim_tier_codes: String,
    claim_segment_id: String,
    points_price: i64,
    funder: i16,
    funder_id: String,
    status: i16,
    issued_count: i32,
    created_at_ms: i64,
    updated_at_ms: i64,
}

impl TryFrom<TemplateRow> for CouponTemplate {
    type Error = AppError;

    fn try_from(r: TemplateRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            name: r.name,
            description: r.description,
            rule: from_json("rule", &r.rule)?,
            validity: from_json("validity", &r.validity)?,
            total_quota: r.total_quota,
            per_member_limit: r.per_member_limit,
            per_member_daily_limit: r.per_member_daily_limit,
            claimable: r.claimable,
            claim_starts_at_ms: r.claim_starts_at_ms,
            claim_ends_at_ms: r.claim_ends_at_ms,
            claim_tier_codes: from_json("claim_tier_codes", &r.claim_tier_codes)?,
            claim_segment_id: r.claim_segment_id,
            points_price: r.points_price,
            funder: stored(r.funder)?,
            funder_id: r.funder_id,
            status: stored(r.status)?,
            issued_count: r.issued_count,
            created_at_ms: r.created_at_ms,
            updated_at_ms: r.updated_at_ms,
        })
    }
}

/// What a member holds of a template.
#[derive(Debug, Clone, Default, FromQueryResult)]
pub struct Holding {
    /// Coupons held (any status).
    pub held: i32,
    /// The local day of the last claim (`YYYY-MM-DD`).
    pub claimed_day: String,
    /// Claims on that day.
    pub claimed_on_day: i32,
}

/// Writes `t` whole (insert, or replace the row of its id).
pub async fn save(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    t: &CouponTemplate,
    created_by: &str,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_coupon_templates (tenant, id, name, description, kind, rule, validity, \
         total_quota, per_member_limit, per_member_daily_limit, claimable, claim_starts_at_ms, \
         claim_ends_at_ms, claim_tier_codes, claim_segment_id, points_price, funder, funder_id, \
         status, issued_count, created_by, created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, \
         $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) \
         ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, \
         description = excluded.description, kind = excluded.kind, rule = excluded.rule, \
         validity = excluded.validity, total_quota = excluded.total_quota, \
         per_member_limit = excluded.per_member_limit, \
         per_member_daily_limit = excluded.per_member_daily_limit, claimable = excluded.claimable, \
         claim_starts_at_ms = excluded.claim_starts_at_ms, \
         claim_ends_at_ms = excluded.claim_ends_at_ms, \
         claim_tier_codes = excluded.claim_tier_codes, \
         claim_segment_id = excluded.claim_segment_id, points_price = excluded.points_price, \
         funder = excluded.funder, funder_id = excluded.funder_id, status = excluded.status, \
         updated_at_ms = excluded.updated_at_ms",
        [
            uuid(tenant.0),
            uuid(t.id),
            t.name.clone().into(),
            t.description.clone().into(),
            Value::SmallInt(Some(t.rule.kind.number())),
            to_json(&t.rule)?,
            to_json(&t.validity)?,
            t.total_quota.into(),
            t.per_member_limit.into(),
            t.per_member_daily_limit.into(),
            t.claimable.into(),
            opt_i64(t.claim_starts_at_ms),
            opt_i64(t.claim_ends_at_ms),
            to_json(&t.claim_tier_codes)?,
            t.claim_segment_id.clone().into(),
            t.points_price.into(),
            Value::SmallInt(Some(t.funder.number())),
            t.funder_id.clone().into(),
            Value::SmallInt(Some(t.status.number())),
            t.issued_count.into(),
            created_by.into(),
            t.created_at_ms.into(),
            t.updated_at_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// A template of the tenant; locked (Postgres) when `lock`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: TemplateId,
    lock: bool,
) -> Result<Option<CouponTemplate>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mem_coupon_templates WHERE tenant = $1 AND id = $2{}",
        if lock { for_update(conn) } else { "" }
    );
    let row: Option<TemplateRow> = fetch_one(conn, &sql, [uuid(tenant.0), uuid(id)]).await?;
    row.map(CouponTemplate::try_from).transpose()
}

/// Which templates a list shows.
#[derive(Debug, Clone, Default)]
pub struct TemplateFilter {
    /// Only these statuses (empty = all).
    pub statuses: Vec<TemplateStatus>,
    /// Only this kind.
    pub kind: Option<CouponKind>,
    /// Name contains.
    pub query: String,
    /// Only claimable templates whose claim window contains this instant (consumers).
    pub claimable_at_ms: Option<i64>,
}

/// Templates by id, newest first, after `after`.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &TemplateFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<CouponTemplate>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM mem_coupon_templates WHERE tenant = $1");
    let mut values: Vec<Value> = vec![uuid(tenant.0)];
    let mut bind = |sql: &mut String, clause: &str, v: Value| {
        values.push(v);
        sql.push_str(&clause.replace('?', &format!("${}", values.len())));
    };
    if !f.statuses.is_empty() {
        let list = f
            .statuses
            .iter()
            .map(|s| s.number().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        sql.push_str(&format!(" AND status IN ({list})"));
    }
    if let Some(kind) = f.kind {
        bind(
            &mut sql,
            " AND kind = ?",
            Value::SmallInt(Some(kind.number())),
        );
    }
    if !f.query.is_empty() {
        bind(
            &mut sql,
            " AND name LIKE ?",
            format!("%{}%", f.query).into(),
        );
    }
    if let Some(now) = f.claimable_at_ms {
        sql.push_str(" AND claimable AND status = 2");
        bind(
            &mut sql,
            " AND (claim_starts_at_ms IS NULL OR claim_starts_at_ms <= ?)",
            now.into(),
        );
        bind(
            &mut sql,
            " AND (claim_ends_at_ms IS NULL OR claim_ends_at_ms > ?)",
            now.into(),
        );
    }
    if let Some(after) = after {
        bind(&mut sql, " AND id < ?", uuid(after));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
    let rows: Vec<TemplateRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter().map(CouponTemplate::try_from).collect()
}

/// Adds `n` to the issued count unless that crosses the quota; `false` when it would.
pub async fn add_issued(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: TemplateId,
    n: i32,
    now_ms: i64,
) -> Result<bool, AppError> {
    let changed = execute(
        conn,
        "UPDATE mem_coupon_templates SET issued_count = issued_count + $3, updated_at_ms = $4 \
         WHERE tenant = $1 AND id = $2 AND (total_quota = 0 OR issued_count + $3 <= total_quota)",
        [uuid(tenant.0), uuid(id), n.into(), now_ms.into()],
    )
    .await?;
    Ok(changed == 1)
}

/// What `member` holds of `template` (nothing yet: zeros).
pub async fn holding(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    template: TemplateId,
    member: MemberId,
) -> Result<Holding, AppError> {
    let row: Option<Holding> = fetch_one(
        conn,
        "SELECT held, claimed_day, claimed_on_day FROM mem_coupon_holdings \
         WHERE tenant = $1 AND template_id = $2 AND member_id = $3",
        [uuid(tenant.0), uuid(template), uuid(member.0)],
    )
    .await?;
    Ok(row.unwrap_or_default())
}

/// What `member` holds of each of `templates` (templates not held are absent).
pub async fn holdings(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
) -> Result<Vec<(Uuid, i32)>, AppError> {
    #[derive(FromQueryResult)]
    struct Row {
        template_id: Uuid,
        held: i32,
    }
    let rows: Vec<Row> = fetch_all(
        conn,
        "SELECT template_id, held FROM mem_coupon_holdings WHERE tenant = $1 AND member_id = $2",
        [uuid(tenant.0), uuid(member.0)],
    )
    .await?;
    Ok(rows.into_iter().map(|r| (r.template_id, r.held)).collect())
}

/// Adds `n` coupons to what `member` holds of `template` unless that crosses `limit` (0 = no
/// limit); a claim (`claim_day` set) also counts on that day. `false` when over the limit.
pub async fn add_held(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    (template, member): (TemplateId, MemberId),
    n: i32,
    limit: i32,
    claim_day: Option<&str>,
) -> Result<bool, AppError> {
    let (day, on_day) = claim_day.map_or((String::new(), 0), |d| (d.to_owned(), n));
    let changed = execute(
        conn,
        "INSERT INTO mem_coupon_holdings (tenant, template_id, member_id, held, claimed_day, \
         claimed_on_day) SELECT $1, $2, $3, $4, $5, $6 WHERE $7 = 0 OR $4 <= $7 \
         ON CONFLICT (tenant, template_id, member_id) DO UPDATE SET \
         held = mem_coupon_holdings.held + excluded.held, \
         claimed_day = CASE WHEN excluded.claimed_on_day > 0 THEN excluded.claimed_day \
           ELSE mem_coupon_holdings.claimed_day END, \
         claimed_on_day = CASE WHEN excluded.claimed_on_day = 0 \
           THEN mem_coupon_holdings.claimed_on_day \
           WHEN mem_coupon_holdings.claimed_day = excluded.claimed_day \
           THEN mem_coupon_holdings.claimed_on_day + excluded.claimed_on_day \
           ELSE excluded.claimed_on_day END \
         WHERE $7 = 0 OR mem_coupon_holdings.held + excluded.held <= $7",
        [
            uuid(tenant.0),
            uuid(template),
            uuid(member.0),
            n.into(),
            day.into(),
            on_day.into(),
            limit.into(),
        ],
    )
    .await?;
    Ok(changed == 1)
}
