//! Member rows changed by a merge of their users (UsersMerged), and what else a merge moves
//! between two members (`mem_merge_moves`: coupons, invitees, commission), given back by its
//! reversal as far as it is still there.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::MemberId;
use crate::repo::{execute, fetch_all, fetch_one, for_update, placeholders, uuid};

/// Points `member` at `user` (the kept user of a merge whose merged user alone was a member);
/// `false` when `user` already has a member of the tenant.
pub async fn repoint(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    user: Uuid,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE mem_members SET user_id = $3, updated_at_ms = $4 WHERE tenant = $1 AND id = $2 \
         AND NOT EXISTS (SELECT 1 FROM mem_members o WHERE o.tenant = $1 AND o.user_id = $3)",
        [uuid(tenant.0), uuid(member.0), uuid(user), now_ms.into()],
    )
    .await?;
    Ok(n == 1)
}

#[derive(Debug, FromQueryResult)]
struct IdRow {
    id: Uuid,
}

#[derive(Debug, FromQueryResult)]
struct MovedRow {
    item_id: Uuid,
    amount: i64,
}

/// Records that merge `merge` moved `items` of `kind` (with `amount` each).
pub async fn record(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    merge: Uuid,
    kind: &str,
    items: &[Uuid],
    amount: i64,
) -> Result<(), AppError> {
    for item in items {
        execute(
            conn,
            "INSERT INTO mem_merge_moves (tenant, merge_id, kind, item_id, amount) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            [
                uuid(tenant.0),
                uuid(merge),
                kind.into(),
                uuid(*item),
                amount.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// What merge `merge` moved of `kind`: (item, amount).
pub async fn moved(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    merge: Uuid,
    kind: &str,
) -> Result<Vec<(Uuid, i64)>, AppError> {
    let rows: Vec<MovedRow> = fetch_all(
        conn,
        "SELECT item_id, amount FROM mem_merge_moves WHERE tenant = $1 AND merge_id = $2 \
         AND kind = $3 ORDER BY item_id",
        [uuid(tenant.0), uuid(merge), kind.into()],
    )
    .await?;
    Ok(rows.into_iter().map(|r| (r.item_id, r.amount)).collect())
}

/// Hands `from`'s unused coupons (AVAILABLE and not past their validity; with `only`, just
/// those) to `to`; answers the coupons moved.
pub async fn move_coupons(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    (from, to): (MemberId, MemberId),
    only: Option<&[Uuid]>,
    now_ms: i64,
) -> Result<Vec<Uuid>, AppError> {
    let (only_sql, extra) = only_ids(5, only);
    let mut values = vec![uuid(tenant.0), uuid(from.0), uuid(to.0), now_ms.into()];
    values.extend(extra);
    let rows: Vec<IdRow> = fetch_all(
        conn,
        &format!(
            "UPDATE mem_coupons SET member_id = $3, updated_at_ms = $4 WHERE tenant = $1 \
             AND member_id = $2 AND status = 2 AND valid_until_ms > $4{only_sql} RETURNING id"
        ),
        values,
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Re-points `from`'s invitees (level 1) to `to` (with `only`, just those); answers them.
pub async fn move_invitees(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    (from, to): (MemberId, MemberId),
    only: Option<&[Uuid]>,
    now_ms: i64,
) -> Result<Vec<Uuid>, AppError> {
    let (only_sql, extra) = only_ids(5, only);
    let mut values = vec![uuid(tenant.0), uuid(from.0), uuid(to.0), now_ms.into()];
    values.extend(extra);
    let rows: Vec<IdRow> = fetch_all(
        conn,
        &format!(
            "UPDATE mem_members SET inviter_member_id = $3, updated_at_ms = $4 \
             WHERE tenant = $1 AND inviter_member_id = $2 AND id <> $3{only_sql} RETURNING id"
        ),
        values,
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Hands `from`'s commission entries to `to` (with `only`, just those); answers them.
pub async fn move_commission_entries(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    (from, to): (MemberId, MemberId),
    only: Option<&[Uuid]>,
) -> Result<Vec<Uuid>, AppError> {
    let (only_sql, extra) = only_ids(4, only);
    let mut values = vec![uuid(tenant.0), uuid(from.0), uuid(to.0)];
    values.extend(extra);
    let rows: Vec<IdRow> = fetch_all(
        conn,
        &format!(
            "UPDATE mem_commission_entries SET member_id = $3 WHERE tenant = $1 \
             AND member_id = $2{only_sql} RETURNING id"
        ),
        values,
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

#[derive(Debug, FromQueryResult)]
struct AvailableRow {
    available: i64,
}

/// Moves up to `at_most` of `from`'s available commission to `to` (the rows locked: Postgres
/// `FOR UPDATE`, SQLite's writer lock); answers the amount moved.
pub async fn move_commission_balance(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    (from, to): (MemberId, MemberId),
    at_most: i64,
    now_ms: i64,
) -> Result<i64, AppError> {
    let row: Option<AvailableRow> = fetch_one(
        conn,
        &format!(
            "SELECT available FROM mem_commission_balances WHERE tenant = $1 AND member_id = $2{}",
            for_update(conn)
        ),
        [uuid(tenant.0), uuid(from.0)],
    )
    .await?;
    let amount = row.map_or(0, |r| r.available).min(at_most);
    if amount <= 0 {
        return Ok(0);
    }
    let n = execute(
        conn,
        "UPDATE mem_commission_balances SET available = available - $3, updated_at_ms = $4 \
         WHERE tenant = $1 AND member_id = $2 AND available >= $3",
        [uuid(tenant.0), uuid(from.0), amount.into(), now_ms.into()],
    )
    .await?;
    if n != 1 {
        return Ok(0);
    }
    execute(
        conn,
        "INSERT INTO mem_commission_balances (tenant, member_id, available, updated_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, member_id) \
         DO UPDATE SET available = mem_commission_balances.available + excluded.available, \
         updated_at_ms = excluded.updated_at_ms",
        [uuid(tenant.0), uuid(to.0), amount.into(), now_ms.into()],
    )
    .await?;
    Ok(amount)
}

/// ` AND id IN (…)` from placeholder `from` on, with its values; nothing without `only`.
fn only_ids(from: usize, only: Option<&[Uuid]>) -> (String, Vec<sea_orm::Value>) {
    match only {
        // An empty list matches nothing (and `IN ()` is no SQL).
        Some([]) => (" AND 1 = 0".into(), Vec::new()),
        Some(ids) => (
            format!(" AND id IN ({})", placeholders(from, ids.len())),
            ids.iter().map(|i| uuid(*i)).collect(),
        ),
        None => (String::new(), Vec::new()),
    }
}
