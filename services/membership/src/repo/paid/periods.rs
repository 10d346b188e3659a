//! `mem_paid_memberships` and `mem_paid_periods`.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{
    MemberId, PaidOrderId, PaidPeriod, PaidPeriodId, PaidPlanId, RenewalQuery, RenewalRow,
};
use crate::repo::{
    execute, fetch_all, fetch_one, for_update, is_unique_violation, opt_i64, opt_uuid, stmt, uuid,
};

const COLUMNS: &str = "id, member_id, plan_id, order_id, amount_paid, starts_at_ms, ends_at_ms, \
    renewal, revoked_at_ms, refund_id";

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, FromQueryResult)]
struct PeriodRow {
    id: Uuid,
    member_id: Uuid,
    plan_id: Uuid,
    order_id: Uuid,
    amount_paid: i64,
    starts_at_ms: i64,
    ends_at_ms: i64,
    renewal: bool,
    revoked_at_ms: Option<i64>,
    refund_id: Option<Uuid>,
}

impl From<PeriodRow> for PaidPeriod {
    fn from(r: PeriodRow) -> Self {
        Self {
            id: PaidPeriodId(r.id),
            member_id: MemberId(r.member_id),
            plan_id: PaidPlanId(r.plan_id),
            order_id: PaidOrderId(r.order_id),
            amount_paid: r.amount_paid,
            starts_at_ms: r.starts_at_ms,
            ends_at_ms: r.ends_at_ms,
            renewal: r.renewal,
            revoked_at_ms: r.revoked_at_ms,
            refund_id: r.refund_id,
        }
    }
}

#[derive(Debug, FromQueryResult)]
struct PreferenceRow {
    auto_renew: bool,
}

/// Creates the member's row if missing (with `auto_renew`), then locks it: every change of a
/// member's periods runs under this lock, so periods are laid one after another.
pub async fn lock_member(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    auto_renew: bool,
    now_ms: i64,
) -> Result<bool, AppError> {
    execute(
        conn,
        "INSERT INTO mem_paid_memberships (tenant, member_id, auto_renew, updated_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, member_id) DO NOTHING",
        [
            uuid(tenant.0),
            uuid(member.0),
            auto_renew.into(),
            now_ms.into(),
        ],
    )
    .await?;
    let row: Option<PreferenceRow> = fetch_one(
        conn,
        &format!(
            "SELECT auto_renew FROM mem_paid_memberships WHERE tenant = $1 AND member_id = $2{}",
            for_update(conn)
        ),
        [uuid(tenant.0), uuid(member.0)],
    )
    .await?;
    row.map(|r| r.auto_renew)
        .ok_or_else(|| AppError::Internal("paid membership row vanished under its lock".into()))
}

/// The member's auto-renew preference; none when the member never bought.
pub async fn auto_renew(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
) -> Result<Option<bool>, AppError> {
    let row: Option<PreferenceRow> = fetch_one(
        conn,
        "SELECT auto_renew FROM mem_paid_memberships WHERE tenant = $1 AND member_id = $2",
        [uuid(tenant.0), uuid(member.0)],
    )
    .await?;
    Ok(row.map(|r| r.auto_renew))
}

/// Sets the preference; false when the member has no row.
pub async fn set_auto_renew(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    auto_renew: bool,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE mem_paid_memberships SET auto_renew = $3, updated_at_ms = $4 \
         WHERE tenant = $1 AND member_id = $2",
        [
            uuid(tenant.0),
            uuid(member.0),
            auto_renew.into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n > 0)
}

/// Every period of the member (revoked too), by start.
pub async fn of_member(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
) -> Result<Vec<PaidPeriod>, AppError> {
    let rows: Vec<PeriodRow> = fetch_all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM mem_paid_periods WHERE tenant = $1 AND member_id = $2 \
             ORDER BY starts_at_ms, id"
        ),
        [uuid(tenant.0), uuid(member.0)],
    )
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The period an order bought.
pub async fn of_order(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order: PaidOrderId,
) -> Result<Option<PaidPeriod>, AppError> {
    let row: Option<PeriodRow> = fetch_one(
        conn,
        &format!("SELECT {COLUMNS} FROM mem_paid_periods WHERE tenant = $1 AND order_id = $2"),
        [uuid(tenant.0), uuid(order.0)],
    )
    .await?;
    Ok(row.map(Into::into))
}

/// Inserts a period; PAID_ORDER_CONFLICT when the order already bought one.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &PaidPeriod,
    now_ms: i64,
) -> Result<(), AppError> {
    let sql = "INSERT INTO mem_paid_periods (tenant, id, member_id, plan_id, order_id, \
               amount_paid, starts_at_ms, ends_at_ms, renewal, created_at_ms) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    let values = [
        uuid(tenant.0),
        uuid(p.id.0),
        uuid(p.member_id.0),
        uuid(p.plan_id.0),
        uuid(p.order_id.0),
        p.amount_paid.into(),
        p.starts_at_ms.into(),
        p.ends_at_ms.into(),
        p.renewal.into(),
        now_ms.into(),
    ];
    match conn.execute_raw(stmt(conn, sql, values)).await {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(AppError::PaidOrderConflict),
        Err(e) => Err(e.into()),
    }
}

/// Marks a period revoked by `refund`.
pub async fn revoke(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: PaidPeriodId,
    refund: Uuid,
    reason: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_paid_periods SET revoked_at_ms = $3, refund_id = $4, revoke_reason = $5 \
         WHERE tenant = $1 AND id = $2 AND revoked_at_ms IS NULL",
        [
            uuid(tenant.0),
            uuid(id.0),
            opt_i64(Some(now_ms)),
            opt_uuid(Some(refund)),
            reason.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Moves a period by `delta_ms` (negative: earlier).
pub async fn shift(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: PaidPeriodId,
    delta_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_paid_periods SET starts_at_ms = starts_at_ms + $3, \
         ends_at_ms = ends_at_ms + $3 WHERE tenant = $1 AND id = $2",
        [uuid(tenant.0), uuid(id.0), delta_ms.into()],
    )
    .await
    .map(|_| ())
}

#[derive(Debug, FromQueryResult)]
struct CountRow {
    plan_id: Uuid,
    a: i64,
    b: i64,
}

/// Per plan: periods that ended in the window and, of those, how many the same member followed
/// with a period starting within the renewal window of the end (revoked periods count for
/// neither).
pub async fn renewals(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    q: &RenewalQuery,
) -> Result<Vec<RenewalRow>, AppError> {
    let mut values = vec![
        uuid(tenant.0),
        q.start_ms.into(),
        q.end_ms.into(),
        (i64::from(q.window_days) * DAY_MS).into(),
    ];
    let mut sql = "SELECT p.plan_id AS plan_id, COUNT(*) AS a, \
         COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM mem_paid_periods n \
             WHERE n.tenant = p.tenant AND n.member_id = p.member_id \
             AND n.revoked_at_ms IS NULL AND n.id <> p.id \
             AND n.starts_at_ms >= p.ends_at_ms AND n.starts_at_ms <= p.ends_at_ms + $4) \
         THEN 1 ELSE 0 END), 0) AS b \
         FROM mem_paid_periods p WHERE p.tenant = $1 AND p.revoked_at_ms IS NULL \
         AND p.ends_at_ms >= $2 AND p.ends_at_ms < $3"
        .to_owned();
    if let Some(plan) = q.plan_id {
        sql.push_str(" AND p.plan_id = $5");
        values.push(uuid(plan.0));
    }
    sql.push_str(" GROUP BY p.plan_id");
    let rows: Vec<CountRow> = fetch_all(conn, &sql, values).await?;
    Ok(rows
        .into_iter()
        .map(|r| RenewalRow {
            plan_id: Some(PaidPlanId(r.plan_id)),
            expired: r.a,
            renewed: r.b,
            active_members: 0,
        })
        .collect())
}

/// Per plan: members with a period of it covering `at_ms`; the total counts each member once.
pub async fn active_members(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    at_ms: i64,
    plan: Option<PaidPlanId>,
) -> Result<(Vec<(PaidPlanId, i64)>, i64), AppError> {
    let mut values = vec![uuid(tenant.0), at_ms.into()];
    let mut filter = "tenant = $1 AND revoked_at_ms IS NULL AND starts_at_ms <= $2 \
                      AND ends_at_ms > $2"
        .to_owned();
    if let Some(plan) = plan {
        filter.push_str(" AND plan_id = $3");
        values.push(uuid(plan.0));
    }
    let rows: Vec<CountRow> = fetch_all(
        conn,
        &format!(
            "SELECT plan_id, COUNT(DISTINCT member_id) AS a, CAST(0 AS BIGINT) AS b FROM mem_paid_periods \
             WHERE {filter} GROUP BY plan_id"
        ),
        values.clone(),
    )
    .await?;
    let total = crate::repo::total(
        conn,
        &format!("SELECT COUNT(DISTINCT member_id) AS n FROM mem_paid_periods WHERE {filter}"),
        values,
    )
    .await?;
    Ok((
        rows.into_iter()
            .map(|r| (PaidPlanId(r.plan_id), r.a))
            .collect(),
        total,
    ))
}
