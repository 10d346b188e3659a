//! `mem_commission_balances` (available, withdrawing, paid out — each `CHECK (>= 0)`, changed
//! only by conditional updates under the row's lock) and `mem_withdrawals` (at most one open
//! per member: a partial unique index).

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{MemberId, Withdrawal, WithdrawalStatus};
use crate::repo::{execute, fetch_all, fetch_one, for_update, placeholders, stored, uuid};

/// A balance row's columns, fen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromQueryResult)]
pub struct Wallet {
    /// Settled and withdrawable.
    pub available: i64,
    /// In open withdrawals.
    pub withdrawing: i64,
    /// Paid out.
    pub paid_out: i64,
}

/// The member's balance row, created if missing and locked (Postgres; SQLite's writer holds
/// the database) when `lock`.
pub async fn wallet(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    lock: bool,
    now_ms: i64,
) -> Result<Wallet, AppError> {
    if lock {
        execute(
            conn,
            "INSERT INTO mem_commission_balances (tenant, member_id, updated_at_ms) \
             VALUES ($1, $2, $3) ON CONFLICT (tenant, member_id) DO NOTHING",
            [uuid(tenant.0), uuid(member.0), now_ms.into()],
        )
        .await?;
    }
    let suffix = if lock { for_update(conn) } else { "" };
    let row: Option<Wallet> = fetch_one(
        conn,
        &format!(
            "SELECT available, withdrawing, paid_out FROM mem_commission_balances \
             WHERE tenant = $1 AND member_id = $2{suffix}"
        ),
        [uuid(tenant.0), uuid(member.0)],
    )
    .await?;
    Ok(row.unwrap_or_default())
}

/// Moves fen between the balance columns by the deltas, never below zero; false (nothing
/// changed) when a column would go negative.
pub async fn shift(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    available: i64,
    withdrawing: i64,
    paid_out: i64,
    now_ms: i64,
) -> Result<bool, AppError> {
    execute(
        conn,
        "INSERT INTO mem_commission_balances (tenant, member_id, updated_at_ms) \
         VALUES ($1, $2, $3) ON CONFLICT (tenant, member_id) DO NOTHING",
        [uuid(tenant.0), uuid(member.0), now_ms.into()],
    )
    .await?;
    let n = execute(
        conn,
        "UPDATE mem_commission_balances SET available = available + $3, \
         withdrawing = withdrawing + $4, paid_out = paid_out + $5, updated_at_ms = $6 \
         WHERE tenant = $1 AND member_id = $2 AND available + $3 >= 0 \
         AND withdrawing + $4 >= 0 AND paid_out + $5 >= 0",
        [
            uuid(tenant.0),
            uuid(member.0),
            available.into(),
            withdrawing.into(),
            paid_out.into(),
            now_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

#[derive(Debug, FromQueryResult)]
struct WithdrawalRow {
    id: Uuid,
    member_id: Uuid,
    amount: i64,
    status: i16,
    reason: String,
    reviewed_by: String,
    payout_reference: String,
    requested_at_ms: i64,
    updated_at_ms: i64,
}

impl TryFrom<WithdrawalRow> for Withdrawal {
    type Error = AppError;

    fn try_from(r: WithdrawalRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            member_id: MemberId(r.member_id),
            amount: r.amount,
            status: stored(r.status)?,
            reason: r.reason,
            reviewed_by: r.reviewed_by,
            payout_reference: r.payout_reference,
            requested_at_ms: r.requested_at_ms,
            updated_at_ms: r.updated_at_ms,
        })
    }
}

const SELECT: &str = "SELECT id, member_id, amount, status, reason, reviewed_by, \
    payout_reference, requested_at_ms, updated_at_ms FROM mem_withdrawals";

/// Inserts a withdrawal; false when the member has an open one (the partial unique index).
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    w: &Withdrawal,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_withdrawals (tenant, id, member_id, amount, status, reason, reviewed_by, \
         payout_reference, requested_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, \
         $8, $9, $10) ON CONFLICT DO NOTHING",
        [
            uuid(tenant.0),
            uuid(w.id),
            uuid(w.member_id.0),
            w.amount.into(),
            Value::SmallInt(Some(w.status.number())),
            w.reason.clone().into(),
            w.reviewed_by.clone().into(),
            w.payout_reference.clone().into(),
            w.requested_at_ms.into(),
            w.updated_at_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// True when the member has a REQUESTED or APPROVED withdrawal.
pub async fn has_open(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
) -> Result<bool, AppError> {
    let n = crate::repo::total(
        conn,
        "SELECT COUNT(*) AS n FROM mem_withdrawals WHERE tenant = $1 AND member_id = $2 \
         AND status IN (1, 2)",
        [uuid(tenant.0), uuid(member.0)],
    )
    .await?;
    Ok(n > 0)
}

/// The withdrawal `id`, locked when `lock`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    lock: bool,
) -> Result<Option<Withdrawal>, AppError> {
    let suffix = if lock { for_update(conn) } else { "" };
    let row: Option<WithdrawalRow> = fetch_one(
        conn,
        &format!("{SELECT} WHERE tenant = $1 AND id = $2{suffix}"),
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    row.map(Withdrawal::try_from).transpose()
}

/// Stores a withdrawal's new state.
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    w: &Withdrawal,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_withdrawals SET status = $3, reason = $4, reviewed_by = $5, \
         payout_reference = $6, updated_at_ms = $7 WHERE tenant = $1 AND id = $2",
        [
            uuid(tenant.0),
            uuid(w.id),
            Value::SmallInt(Some(w.status.number())),
            w.reason.clone().into(),
            w.reviewed_by.clone().into(),
            w.payout_reference.clone().into(),
            w.updated_at_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Withdrawals (one member's, or all), newest first, after the cursor (requested_at_ms, id).
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: Option<MemberId>,
    statuses: &[WithdrawalStatus],
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<Withdrawal>, AppError> {
    let mut values = vec![uuid(tenant.0)];
    let mut sql = format!("{SELECT} WHERE tenant = $1");
    if let Some(m) = member {
        values.push(uuid(m.0));
        sql.push_str(&format!(" AND member_id = ${}", values.len()));
    }
    if !statuses.is_empty() {
        let from = values.len() + 1;
        sql.push_str(&format!(
            " AND status IN ({})",
            placeholders(from, statuses.len())
        ));
        values.extend(statuses.iter().map(|s| Value::SmallInt(Some(s.number()))));
    }
    if let Some((at, id)) = after {
        let n = values.len();
        sql.push_str(&format!(
            " AND (requested_at_ms < ${} OR (requested_at_ms = ${} AND id < ${}))",
            n + 1,
            n + 1,
            n + 2
        ));
        values.extend([at.into(), uuid(id)]);
    }
    sql.push_str(&format!(
        " ORDER BY requested_at_ms DESC, id DESC LIMIT {limit}"
    ));
    let rows: Vec<WithdrawalRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter().map(Withdrawal::try_from).collect()
}
