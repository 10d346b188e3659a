//! `mem_holds`: checkout holds, one row per (order, kind, attempt). The row is the anchor of
//! the hold's business idempotency: a hold is inserted before any balance moves (a concurrent
//! hold of the same order and attempt waits on the unique index, then finds it), and every
//! state change is one conditional `UPDATE … WHERE status = HELD`, so each hold moves to
//! CAPTURED or RELEASED exactly once.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{Hold, HoldKind, HoldStatus, MemberId};
use crate::repo::{execute, fetch_all, fetch_one, for_update, stored, uuid};

const COLUMNS: &str = "id, order_id, kind, attempt, member_id, status, points, amount, \
    principal_part, bonus_part, refunded_points, refunded_amount, refunded_bonus, \
    release_reason, created_at_ms, settled_at_ms";

#[derive(Debug, FromQueryResult)]
struct HoldRow {
    id: Uuid,
    order_id: Uuid,
    kind: i16,
    attempt: i32,
    member_id: Uuid,
    status: i16,
    points: i64,
    amount: i64,
    principal_part: i64,
    bonus_part: i64,
    refunded_points: i64,
    refunded_amount: i64,
    refunded_bonus: i64,
    release_reason: String,
    created_at_ms: i64,
    settled_at_ms: Option<i64>,
}

impl TryFrom<HoldRow> for Hold {
    type Error = AppError;

    fn try_from(r: HoldRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            order_id: r.order_id,
            kind: stored(r.kind)?,
            attempt: r.attempt,
            member_id: MemberId(r.member_id),
            status: stored(r.status)?,
            points: r.points,
            amount: r.amount,
            principal_part: r.principal_part,
            bonus_part: r.bonus_part,
            refunded_points: r.refunded_points,
            refunded_amount: r.refunded_amount,
            refunded_bonus: r.refunded_bonus,
            release_reason: r.release_reason,
            created_at_ms: r.created_at_ms,
            settled_at_ms: r.settled_at_ms,
        })
    }
}

/// Inserts `h` unless its (order, kind, attempt) exists; `false` when it did.
#[tracing::instrument(skip_all, fields(order_id = %h.order_id, attempt = h.attempt))]
pub async fn claim(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    h: &Hold,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_holds (tenant, id, order_id, kind, attempt, member_id, status, points, \
         amount, principal_part, bonus_part, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, \
         $8, $9, $10, $11, $12) ON CONFLICT (tenant, order_id, kind, attempt) DO NOTHING",
        [
            uuid(tenant.0),
            uuid(h.id),
            uuid(h.order_id),
            Value::SmallInt(Some(h.kind.number())),
            h.attempt.into(),
            uuid(h.member_id.0),
            Value::SmallInt(Some(h.status.number())),
            h.points.into(),
            h.amount.into(),
            h.principal_part.into(),
            h.bonus_part.into(),
            h.created_at_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// The order's latest hold of `kind` (highest attempt); locked (Postgres) when `lock`.
#[tracing::instrument(skip_all, fields(%order_id))]
pub async fn latest(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
    kind: HoldKind,
    lock: bool,
) -> Result<Option<Hold>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mem_holds WHERE tenant = $1 AND order_id = $2 AND kind = $3 \
         ORDER BY attempt DESC LIMIT 1{}",
        if lock { for_update(conn) } else { "" }
    );
    let row: Option<HoldRow> = fetch_one(
        conn,
        &sql,
        [
            uuid(tenant.0),
            uuid(order_id),
            Value::SmallInt(Some(kind.number())),
        ],
    )
    .await?;
    row.map(Hold::try_from).transpose()
}

/// The order's latest hold of each kind.
pub async fn of_order(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    order_id: Uuid,
) -> Result<Vec<Hold>, AppError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mem_holds h WHERE tenant = $1 AND order_id = $2 AND attempt = \
         (SELECT MAX(attempt) FROM mem_holds x WHERE x.tenant = h.tenant \
         AND x.order_id = h.order_id AND x.kind = h.kind) ORDER BY kind"
    );
    let rows: Vec<HoldRow> = fetch_all(conn, &sql, [uuid(tenant.0), uuid(order_id)]).await?;
    rows.into_iter().map(Hold::try_from).collect()
}

/// HELD → `to`, once; `None` when the hold was no longer HELD.
pub async fn settle(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    hold: Uuid,
    to: HoldStatus,
    reason: &str,
    now_ms: i64,
) -> Result<Option<Hold>, AppError> {
    let sql = format!(
        "UPDATE mem_holds SET status = $3, release_reason = $4, settled_at_ms = $5 \
         WHERE tenant = $1 AND id = $2 AND status = $6 RETURNING {COLUMNS}"
    );
    let row: Option<HoldRow> = fetch_one(
        conn,
        &sql,
        [
            uuid(tenant.0),
            uuid(hold),
            Value::SmallInt(Some(to.number())),
            reason.into(),
            now_ms.into(),
            Value::SmallInt(Some(HoldStatus::Held.number())),
        ],
    )
    .await?;
    row.map(Hold::try_from).transpose()
}

/// Adds a refund to a captured hold, within what was captured; `None` when it would exceed it.
pub async fn add_refund(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    hold: Uuid,
    points: i64,
    amount: i64,
    bonus: i64,
) -> Result<Option<Hold>, AppError> {
    let sql = format!(
        "UPDATE mem_holds SET refunded_points = refunded_points + $3, \
         refunded_amount = refunded_amount + $4, refunded_bonus = refunded_bonus + $5 \
         WHERE tenant = $1 AND id = $2 AND refunded_points + $3 <= points \
         AND refunded_amount + $4 <= amount RETURNING {COLUMNS}"
    );
    let row: Option<HoldRow> = fetch_one(
        conn,
        &sql,
        [
            uuid(tenant.0),
            uuid(hold),
            points.into(),
            amount.into(),
            bonus.into(),
        ],
    )
    .await?;
    row.map(Hold::try_from).transpose()
}

/// Records the principal/bonus split of a stored-value hold (known once the member is locked).
pub async fn set_parts(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    hold: Uuid,
    principal: i64,
    bonus: i64,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_holds SET principal_part = $3, bonus_part = $4 WHERE tenant = $1 AND id = $2",
        [uuid(tenant.0), uuid(hold), principal.into(), bonus.into()],
    )
    .await
    .map(|_| ())
}
