//! `mem_balances`: one row per member, one column per member account. Every ledger operation
//! locks the member's row first (`FOR UPDATE` on Postgres; SQLite's writer already holds the
//! database lock), so a member's operations run one at a time; the change itself is one
//! conditional UPDATE that refuses to take any column below zero, and CHECK constraints back
//! it up.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::AppError;
use crate::app::domain::{Balances, MemberId};
use crate::repo::{execute, fetch_one, for_update, uuid};

const COLUMNS: &str = "points_available, points_held, sv_principal, sv_bonus, \
    sv_held_principal, sv_held_bonus, points_earned_total";

#[derive(Debug, FromQueryResult)]
struct BalanceRow {
    points_available: i64,
    points_held: i64,
    sv_principal: i64,
    sv_bonus: i64,
    sv_held_principal: i64,
    sv_held_bonus: i64,
    points_earned_total: i64,
}

impl From<BalanceRow> for Balances {
    fn from(r: BalanceRow) -> Self {
        Self {
            points_available: r.points_available,
            points_held: r.points_held,
            sv_principal: r.sv_principal,
            sv_bonus: r.sv_bonus,
            sv_held_principal: r.sv_held_principal,
            sv_held_bonus: r.sv_held_bonus,
            points_earned_total: r.points_earned_total,
        }
    }
}

/// Opens a member's (zero) balances at enrolment.
pub async fn open(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    now_ms: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO mem_balances (tenant, member_id, updated_at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant, member_id) DO NOTHING",
        [uuid(tenant.0), uuid(member.0), now_ms.into()],
    )
    .await
    .map(|_| ())
}

/// A member's balances; locked until the transaction ends (Postgres) when `lock`.
#[tracing::instrument(skip_all, fields(member_id = %member, lock))]
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    lock: bool,
) -> Result<Option<Balances>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mem_balances WHERE tenant = $1 AND member_id = $2{}",
        if lock { for_update(conn) } else { "" }
    );
    let row: Option<BalanceRow> = fetch_one(conn, &sql, [uuid(tenant.0), uuid(member.0)]).await?;
    Ok(row.map(Balances::from))
}

/// Placeholders [`apply`]'s statement takes (`$1…$10`); a prefix given to [`apply_with`]
/// numbers its own from the next.
pub const APPLY_PARAMS: usize = 10;

/// Adds `delta` to the member's columns in one conditional statement; `None` when a column
/// would go negative (nothing is written then).
pub async fn apply(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    delta: &Balances,
    now_ms: i64,
) -> Result<Option<Balances>, AppError> {
    apply_with(conn, tenant, member, delta, now_ms, None).await
}

/// [`apply`] with `prefix` — a `WITH …` of data-modifying statements whose placeholders follow
/// [`APPLY_PARAMS`], and their values — written before the UPDATE in the same statement.
pub async fn apply_with(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    delta: &Balances,
    now_ms: i64,
    prefix: Option<(String, Vec<Value>)>,
) -> Result<Option<Balances>, AppError> {
    let (with, more) = prefix.unwrap_or_default();
    let sql = format!(
        "{with}UPDATE mem_balances SET points_available = points_available + $3, \
         points_held = points_held + $4, sv_principal = sv_principal + $5, \
         sv_bonus = sv_bonus + $6, sv_held_principal = sv_held_principal + $7, \
         sv_held_bonus = sv_held_bonus + $8, points_earned_total = points_earned_total + $9, \
         updated_at_ms = $10 WHERE tenant = $1 AND member_id = $2 \
         AND points_available + $3 >= 0 AND points_held + $4 >= 0 AND sv_principal + $5 >= 0 \
         AND sv_bonus + $6 >= 0 AND sv_held_principal + $7 >= 0 AND sv_held_bonus + $8 >= 0 \
         RETURNING {COLUMNS}"
    );
    let mut values: Vec<Value> = vec![
        uuid(tenant.0),
        uuid(member.0),
        delta.points_available.into(),
        delta.points_held.into(),
        delta.sv_principal.into(),
        delta.sv_bonus.into(),
        delta.sv_held_principal.into(),
        delta.sv_held_bonus.into(),
        delta.points_earned_total.into(),
        now_ms.into(),
    ];
    values.extend(more);
    let row: Option<BalanceRow> = fetch_one(conn, &sql, values).await?;
    Ok(row.map(Balances::from))
}
