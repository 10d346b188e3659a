//! Customer-service look-ups: users by an exact identity value, and reveal counting.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::consumers::IdentityKind;
use crate::repo::consumers::users::{User, users};
use crate::repo::{count, tenant_text, text, ts};

/// Users linked to identity (kind, value) in `tenant`; `scope` None matches every app.
#[tracing::instrument(skip_all, fields(tenant, kind = kind.as_str()))]
pub async fn users_by_identity(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    kind: IdentityKind,
    scope: Option<&str>,
    value: &str,
) -> Result<Vec<User>, AppError> {
    let mut values = vec![tenant_text(tenant), text(kind.as_str()), text(value)];
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
    users(conn, &sql, values).await
}

/// Audit entries of `kind` by `actor_id` in `tenant` since `since`.
#[tracing::instrument(skip_all, fields(tenant, kind))]
pub async fn audit_count_since(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    kind: &str,
    actor_id: &str,
    since: DateTime<Utc>,
) -> Result<i64, AppError> {
    count(
        conn,
        "SELECT COUNT(*) AS n FROM identity_audit_log \
         WHERE tenant_id = $1 AND kind = $2 AND actor_id = $3 AND created_at >= $4",
        vec![tenant_text(tenant), text(kind), text(actor_id), ts(since)],
    )
    .await
}
