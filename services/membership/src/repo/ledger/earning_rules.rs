//! `mem_earning_rules`: the tenant's earning rules; nested parts (excluded categories, the
//! check-in rule) are JSON text read and written with the row.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{CheckInRule, EarningRule, EarningTrigger};
use crate::repo::{
    execute, fetch_all, fetch_one, for_update, from_json, opt_i64, stored, to_json, uuid,
};

const COLUMNS: &str = "id, name, rule_trigger, enabled, fixed_points, points_per_yuan, \
    excluded_category_ids, credit_on_completion, check_in, daily_cap, starts_at_ms, ends_at_ms";

#[derive(Debug, FromQueryResult)]
struct RuleRow {
    id: Uuid,
    name: String,
    rule_trigger: i16,
    enabled: bool,
    fixed_points: i64,
    points_per_yuan: i32,
    excluded_category_ids: String,
    credit_on_completion: bool,
    check_in: String,
    daily_cap: i64,
    starts_at_ms: Option<i64>,
    ends_at_ms: Option<i64>,
}

impl TryFrom<RuleRow> for EarningRule {
    type Error = AppError;

    fn try_from(r: RuleRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            name: r.name,
            trigger: stored(r.rule_trigger)?,
            enabled: r.enabled,
            fixed_points: r.fixed_points,
            points_per_yuan: r.points_per_yuan,
            excluded_category_ids: from_json("excluded_category_ids", &r.excluded_category_ids)?,
            credit_on_completion: r.credit_on_completion,
            check_in: if r.check_in.is_empty() {
                None
            } else {
                Some(from_json::<CheckInRule>("check_in", &r.check_in)?)
            },
            daily_cap: r.daily_cap,
            starts_at_ms: r.starts_at_ms,
            ends_at_ms: r.ends_at_ms,
        })
    }
}

/// Creates or replaces a rule.
pub async fn put(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    r: &EarningRule,
    now_ms: i64,
) -> Result<(), AppError> {
    let check_in = match &r.check_in {
        Some(c) => to_json(c)?,
        None => "".into(),
    };
    execute(
        conn,
        "INSERT INTO mem_earning_rules (tenant, id, name, rule_trigger, enabled, fixed_points, \
         points_per_yuan, excluded_category_ids, credit_on_completion, check_in, daily_cap, \
         starts_at_ms, ends_at_ms, created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, $10, $11, $12, $13, $14, $14) ON CONFLICT (tenant, id) DO UPDATE SET \
         name = excluded.name, enabled = excluded.enabled, fixed_points = excluded.fixed_points, \
         points_per_yuan = excluded.points_per_yuan, \
         excluded_category_ids = excluded.excluded_category_ids, \
         credit_on_completion = excluded.credit_on_completion, check_in = excluded.check_in, \
         daily_cap = excluded.daily_cap, starts_at_ms = excluded.starts_at_ms, \
         ends_at_ms = excluded.ends_at_ms, updated_at_ms = excluded.updated_at_ms",
        [
            uuid(tenant.0),
            uuid(r.id),
            r.name.clone().into(),
            Value::SmallInt(Some(r.trigger.number())),
            r.enabled.into(),
            r.fixed_points.into(),
            r.points_per_yuan.into(),
            to_json(&r.excluded_category_ids)?,
            r.credit_on_completion.into(),
            check_in,
            r.daily_cap.into(),
            opt_i64(r.starts_at_ms),
            opt_i64(r.ends_at_ms),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// A rule of the tenant; locked (Postgres) when `lock`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    lock: bool,
) -> Result<Option<EarningRule>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mem_earning_rules WHERE tenant = $1 AND id = $2{}",
        if lock { for_update(conn) } else { "" }
    );
    let row: Option<RuleRow> = fetch_one(conn, &sql, [uuid(tenant.0), uuid(id)]).await?;
    row.map(EarningRule::try_from).transpose()
}

/// The tenant's rules, optionally of one trigger and enabled only, by id, after `after`.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    trigger: Option<EarningTrigger>,
    enabled_only: bool,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<EarningRule>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM mem_earning_rules WHERE tenant = $1");
    let mut values = vec![uuid(tenant.0)];
    if let Some(t) = trigger {
        values.push(Value::SmallInt(Some(t.number())));
        sql.push_str(&format!(" AND rule_trigger = ${}", values.len()));
    }
    if enabled_only {
        sql.push_str(" AND enabled = TRUE");
    }
    if let Some(a) = after {
        values.push(uuid(a));
        sql.push_str(&format!(" AND id > ${}", values.len()));
    }
    sql.push_str(&format!(" ORDER BY id LIMIT {limit}"));
    let rows: Vec<RuleRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter().map(EarningRule::try_from).collect()
}

/// Every enabled rule of `trigger` (the overlap check; a tenant has a handful).
pub async fn enabled_of(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    trigger: EarningTrigger,
) -> Result<Vec<EarningRule>, AppError> {
    list(conn, tenant, Some(trigger), true, None, 1_000).await
}

/// Points a member got from `rule` in [from_ms, to_ms) (the rule's daily cap).
pub async fn earned_between(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: Uuid,
    rule: Uuid,
    from_ms: i64,
    to_ms: i64,
) -> Result<i64, AppError> {
    crate::repo::total(
        conn,
        "SELECT CAST(SUM(points_delta) AS BIGINT) AS n FROM mem_entries WHERE tenant = $1 AND member_id = $2 \
         AND rule_id = $3 AND created_at_ms >= $4 AND created_at_ms < $5",
        [
            uuid(tenant.0),
            uuid(member),
            uuid(rule),
            from_ms.into(),
            to_ms.into(),
        ],
    )
    .await
}
