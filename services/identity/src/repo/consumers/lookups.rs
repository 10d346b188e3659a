//! Customer-service look-ups: users by an exact identity value, and reveal counting.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::repo::consumers::users::{UserRow, decode};
use crate::repo::{all, one, text, ts};

/// Users linked to identity (kind, value) in `tenant`; `scope` None matches every app.
#[tracing::instrument(skip_all, fields(tenant, kind))]
pub async fn users_by_identity(
    conn: &impl ConnectionTrait,
    tenant: &str,
    kind: &str,
    scope: Option<&str>,
    value: &str,
) -> Result<Vec<UserRow>, DbErr> {
    let mut values = vec![text(tenant), text(kind), text(value)];
    let scoped = if let Some(scope) = scope {
        values.push(text(scope));
        " AND i.scope = $4"
    } else {
        ""
    };
    let sql = format!(
        "SELECT DISTINCT u.id, u.tenant_id, u.status, u.phone, u.merged_into, u.created_at, \
         u.updated_at FROM identity_user_identities i JOIN identity_users u ON u.id = i.user_id \
         WHERE i.tenant_id = $1 AND i.kind = $2 AND i.value = $3{scoped} ORDER BY u.created_at, u.id"
    );
    all(conn, &sql, values).await?.iter().map(decode).collect()
}

/// Audit entries of `kind` by `actor_id` in `tenant` since `since`.
#[tracing::instrument(skip_all, fields(tenant, kind))]
pub async fn audit_count_since(
    conn: &impl ConnectionTrait,
    tenant: &str,
    kind: &str,
    actor_id: &str,
    since: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let row = one(
        conn,
        "SELECT COUNT(*) AS n FROM identity_audit_log \
         WHERE tenant_id = $1 AND kind = $2 AND actor_id = $3 AND created_at >= $4",
        vec![text(tenant), text(kind), text(actor_id), ts(since)],
    )
    .await?;
    Ok(match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    })
}
