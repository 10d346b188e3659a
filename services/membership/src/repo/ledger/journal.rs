//! A member's journal (积分明细 / 储值明细): entries newest first, with their postings in one more
//! query per page.

use sea_orm::{ConnectionTrait, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{ENTRY, EntryRow, postings_of};
use crate::AppError;
use crate::app::domain::{EntryType, JournalEntry, MemberId, Posting};
use crate::repo::{fetch_all, uuid};

/// What ListJournalEntries filters on.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    /// Only entries touching this asset: 1 points, 2 stored value; 0 both.
    pub asset_mask: i16,
    /// Only these types; empty = all.
    pub types: Vec<EntryType>,
    /// At or after (ms).
    pub start_ms: Option<i64>,
    /// Before (ms).
    pub end_ms: Option<i64>,
    /// Only this order.
    pub order_id: Option<Uuid>,
}

/// A member's entries, newest first (ids are UUIDv7), after the entry `after`, at most `limit`.
#[tracing::instrument(skip_all, fields(member_id = %member))]
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    f: &EntryFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<JournalEntry>, AppError> {
    let mut sql = format!("SELECT {ENTRY} FROM mem_entries WHERE tenant = $1 AND member_id = $2");
    let mut values = vec![uuid(tenant.0), uuid(member.0)];
    let mut bind = |sql: &mut String, cond: &str, v: Value| {
        values.push(v);
        sql.push_str(&cond.replace('?', &format!("${}", values.len())));
    };
    if f.asset_mask != 0 {
        bind(
            &mut sql,
            " AND (assets & ?) <> 0",
            Value::SmallInt(Some(f.asset_mask)),
        );
    }
    if let Some(start) = f.start_ms {
        bind(&mut sql, " AND created_at_ms >= ?", start.into());
    }
    if let Some(end) = f.end_ms {
        bind(&mut sql, " AND created_at_ms < ?", end.into());
    }
    if let Some(order) = f.order_id {
        bind(&mut sql, " AND order_id = ?", uuid(order));
    }
    if let Some(after) = after {
        bind(&mut sql, " AND id < ?", uuid(after));
    }
    if !f.types.is_empty() {
        let list: Vec<String> = f.types.iter().map(|t| t.number().to_string()).collect();
        sql.push_str(&format!(" AND entry_type IN ({})", list.join(", ")));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
    let rows: Vec<EntryRow> = fetch_all(conn, &sql, values).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut postings = postings_of(conn, tenant, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let mine: Vec<Posting> = postings
                .iter()
                .filter(|(e, _)| *e == row.id)
                .map(|(_, p)| *p)
                .collect();
            postings.retain(|(e, _)| *e != row.id);
            row.into_entry(mine).map(|(entry, _)| entry)
        })
        .collect()
}
