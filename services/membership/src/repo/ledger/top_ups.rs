//! `mem_top_ups`: one row per paid top-up order, with what was reversed of it.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{MemberId, TopUp};
use crate::repo::{execute, fetch_one, for_update, opt_uuid, total, uuid};

#[derive(Debug, FromQueryResult)]
struct TopUpRow {
    order_id: Uuid,
    member_id: Uuid,
    plan_id: Option<Uuid>,
    principal: i64,
    bonus: i64,
    reversed_principal: i64,
    reversed_bonus: i64,
    entry_id: Uuid,
}

/// Records a credited top-up.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    t: &TopUp,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_top_ups (tenant, order_id, member_id, plan_id, principal, bonus, \
         entry_id, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            uuid(tenant.0),
            uuid(t.order_id),
            uuid(t.member_id.0),
            opt_uuid(t.plan_id),
            t.principal.into(),
            t.bonus.into(),
            uuid(t.entry_id),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// The top-up of `order_id`; locked (Postgres) when `lock`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    lock: bool,
) -> Result<Option<TopUp>, AppError> {
    let sql = format!(
        "SELECT order_id, member_id, plan_id, principal, bonus, reversed_principal, \
         reversed_bonus, entry_id FROM mem_top_ups WHERE tenant = $1 AND order_id = $2{}",
        if lock { for_update(conn) } else { "" }
    );
    let row: Option<TopUpRow> = fetch_one(conn, &sql, [uuid(tenant.0), uuid(order_id)]).await?;
    Ok(row.map(|r| TopUp {
        order_id: r.order_id,
        member_id: MemberId(r.member_id),
        plan_id: r.plan_id,
        principal: r.principal,
        bonus: r.bonus,
        reversed_principal: r.reversed_principal,
        reversed_bonus: r.reversed_bonus,
        entry_id: r.entry_id,
    }))
}

/// Adds a reversal, within what was credited; `false` when it would exceed it.
pub async fn add_reversal(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    principal: i64,
    bonus: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE mem_top_ups SET reversed_principal = reversed_principal + $3, \
         reversed_bonus = reversed_bonus + $4 WHERE tenant = $1 AND order_id = $2 \
         AND reversed_principal + $3 <= principal AND reversed_bonus + $4 <= bonus",
        [
            uuid(tenant.0),
            uuid(order_id),
            principal.into(),
            bonus.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// How many top-ups of `plan` credited a bonus to `member` (the plan's per-member limit).
pub async fn bonuses_of(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    plan: Uuid,
) -> Result<i64, AppError> {
    total(
        conn,
        "SELECT COUNT(*) AS n FROM mem_top_ups WHERE tenant = $1 AND member_id = $2 \
         AND plan_id = $3 AND bonus > 0",
        [uuid(tenant.0), uuid(member.0), uuid(plan)],
    )
    .await
}
