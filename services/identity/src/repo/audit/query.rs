//! Filtered, keyset-paged reads of a tenant's audit chain (by sequence).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{ENTRY_COLUMNS, Entry, entries, entry};
use crate::repo::{tenant_text, text, ts};

/// Filters of ListAuditEntries; empty / None means no filter.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Actor id.
    pub actor_id: String,
    /// Actor kind (`staff`, `consumer`, …).
    pub actor_kind: String,
    /// Subject id.
    pub subject_id: String,
    /// Kinds (names without prefix).
    pub kinds: Vec<String>,
    /// Entries of this outcome.
    pub outcome: Option<AuditOutcome>,
    /// At or after.
    pub start: Option<DateTime<Utc>>,
    /// Before.
    pub end: Option<DateTime<Utc>>,
}

/// Entries of `tenant` matching `filter`, strictly after (`ascending`) or before `cursor` in
/// sequence order, at most `limit`.
pub async fn page(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    filter: &AuditFilter,
    cursor: Option<i64>,
    ascending: bool,
    limit: i64,
) -> Result<Vec<Entry>, AppError> {
    let mut sql = format!("SELECT {ENTRY_COLUMNS} FROM identity_audit_log WHERE tenant_id = $1");
    let mut values = vec![tenant_text(tenant)];
    let mut push = |sql: &mut String, clause: &str, value: Value| {
        values.push(value);
        sql.push_str(&clause.replace('?', &format!("${}", values.len())));
    };
    if !filter.actor_id.is_empty() {
        push(&mut sql, " AND actor_id = ?", text(&filter.actor_id));
    }
    if !filter.actor_kind.is_empty() {
        push(&mut sql, " AND actor_kind = ?", text(&filter.actor_kind));
    }
    if !filter.subject_id.is_empty() {
        push(&mut sql, " AND target_id = ?", text(&filter.subject_id));
    }
    if let Some(outcome) = filter.outcome {
        push(&mut sql, " AND outcome = ?", text(outcome.as_str()));
    }
    if let Some(start) = filter.start {
        push(&mut sql, " AND created_at >= ?", ts(start));
    }
    if let Some(end) = filter.end {
        push(&mut sql, " AND created_at < ?", ts(end));
    }
    if !filter.kinds.is_empty() {
        sql.push_str(" AND kind IN (");
        for (i, kind) in filter.kinds.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            push(&mut sql, "?", text(kind));
        }
        sql.push(')');
    }
    if let Some(cursor) = cursor {
        let clause = if ascending {
            " AND seq > ?"
        } else {
            " AND seq < ?"
        };
        push(&mut sql, clause, Value::BigInt(Some(cursor)));
    }
    let order = if ascending { "ASC" } else { "DESC" };
    push(
        &mut sql,
        &format!(" ORDER BY seq {order} LIMIT ?"),
        Value::BigInt(Some(limit)),
    );
    entries(conn, &sql, values).await
}

/// One entry of `tenant` by id.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<Option<Entry>, AppError> {
    entry(
        conn,
        &format!("SELECT {ENTRY_COLUMNS} FROM identity_audit_log WHERE tenant_id = $1 AND id = $2"),
        vec![tenant_text(tenant), text(id)],
    )
    .await
}
