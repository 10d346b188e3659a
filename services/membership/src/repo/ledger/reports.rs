//! Liability reports from the postings: outstanding balances of member accounts at a time, and
//! the flows through the tenant's counter-accounts over a period, by entry type. Sums are cast
//! to BIGINT (Postgres sums BIGINT as NUMERIC).

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{Account, EntryType, SvPart};
use crate::repo::{fetch_all, stored, total, uuid};

/// The sum of one (account, part) of member accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outstanding {
    /// The member account.
    pub account: Account,
    /// The stored-value part (held accounts).
    pub part: SvPart,
    /// Sum over members.
    pub amount: i64,
}

/// Credits and debits of one tenant account by one entry type over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    /// The tenant account.
    pub account: Account,
    /// The stored-value part (spent account).
    pub part: SvPart,
    /// The entry type.
    pub entry_type: EntryType,
    /// Sum of positive postings.
    pub credit: i64,
    /// Sum of negative postings, as a positive number.
    pub debit: i64,
}

#[derive(Debug, FromQueryResult)]
struct OutstandingRow {
    account: i16,
    part: i16,
    amount: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct FlowRow {
    account: i16,
    part: i16,
    entry_type: i16,
    credit: Option<i64>,
    debit: Option<i64>,
}

/// "AND e.member_id IN (members of the store)" for a store filter, with its value appended.
fn store_filter(store: Option<Uuid>, member_column: &str, values: &mut Vec<Value>) -> String {
    match store {
        Some(s) => {
            values.push(uuid(s));
            format!(
                " AND {member_column} IN (SELECT id FROM mem_members WHERE tenant = $1 \
                 AND home_store_id = ${})",
                values.len()
            )
        }
        None => String::new(),
    }
}

/// Member accounts summed over every member (of `store`) as of `as_of_ms` (inclusive).
pub async fn outstanding(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    as_of_ms: i64,
    store: Option<Uuid>,
) -> Result<Vec<Outstanding>, AppError> {
    let mut values = vec![uuid(tenant.0), as_of_ms.into()];
    let filter = store_filter(store, "p.member_id", &mut values);
    let sql = format!(
        "SELECT p.account, p.part, CAST(SUM(p.amount) AS BIGINT) AS amount FROM mem_postings p \
         WHERE p.tenant = $1 AND p.member_id IS NOT NULL AND p.created_at_ms <= $2{filter} \
         GROUP BY p.account, p.part"
    );
    let rows: Vec<OutstandingRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter()
        .map(|r| {
            Ok(Outstanding {
                account: stored(r.account)?,
                part: stored(r.part)?,
                amount: r.amount.unwrap_or(0),
            })
        })
        .collect()
}

/// Tenant-account flows in [from_ms, to_ms) by account, part and entry type.
pub async fn flows(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    from_ms: i64,
    to_ms: i64,
    store: Option<Uuid>,
) -> Result<Vec<Flow>, AppError> {
    let mut values = vec![uuid(tenant.0), from_ms.into(), to_ms.into()];
    let filter = store_filter(store, "e.member_id", &mut values);
    let sql = format!(
        "SELECT p.account, p.part, e.entry_type, \
         CAST(SUM(CASE WHEN p.amount > 0 THEN p.amount ELSE 0 END) AS BIGINT) AS credit, \
         CAST(SUM(CASE WHEN p.amount < 0 THEN -p.amount ELSE 0 END) AS BIGINT) AS debit \
         FROM mem_postings p JOIN mem_entries e ON e.tenant = p.tenant AND e.id = p.entry_id \
         WHERE p.tenant = $1 AND p.member_id IS NULL AND p.created_at_ms >= $2 \
         AND p.created_at_ms < $3{filter} GROUP BY p.account, p.part, e.entry_type"
    );
    let rows: Vec<FlowRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter()
        .map(|r| {
            Ok(Flow {
                account: stored(r.account)?,
                part: stored(r.part)?,
                entry_type: stored(r.entry_type)?,
                credit: r.credit.unwrap_or(0),
                debit: r.debit.unwrap_or(0),
            })
        })
        .collect()
}

/// Members (of `store`) with a positive stored-value balance (available + held) at `as_of_ms`.
pub async fn members_with_stored_value(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    as_of_ms: i64,
    store: Option<Uuid>,
) -> Result<i64, AppError> {
    let mut values = vec![uuid(tenant.0), as_of_ms.into()];
    let filter = store_filter(store, "p.member_id", &mut values);
    let accounts = [Account::SvPrincipal, Account::SvBonus, Account::SvHeld]
        .map(|a| a.number().to_string())
        .join(", ");
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT p.member_id FROM mem_postings p WHERE p.tenant = $1 \
         AND p.member_id IS NOT NULL AND p.account IN ({accounts}) AND p.created_at_ms <= $2\
         {filter} GROUP BY p.member_id HAVING SUM(p.amount) > 0) holders"
    );
    total(conn, &sql, values).await
}

/// Points left in the tenant's lots expiring in (from_ms, to_ms].
pub async fn points_expiring(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    from_ms: i64,
    to_ms: i64,
) -> Result<i64, AppError> {
    total(
        conn,
        "SELECT CAST(SUM(remaining_points) AS BIGINT) AS n FROM mem_lots WHERE tenant = $1 \
         AND remaining_points > 0 AND expires_at_ms > $2 AND expires_at_ms <= $3",
        [uuid(tenant.0), from_ms.into(), to_ms.into()],
    )
    .await
}
