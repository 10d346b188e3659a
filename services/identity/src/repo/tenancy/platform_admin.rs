//! The platform's tenant-wide writes: list tenants, rename or suspend one, and revoke every
//! session of a suspended tenant.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::repo::tenancy::tenants::TenantRow;
use crate::repo::{all, exec, text, ts};

/// Every tenant, newest first.
pub async fn list_tenants(conn: &impl ConnectionTrait) -> Result<Vec<TenantRow>, DbErr> {
    let rows = all(
        conn,
        "SELECT id, code, name, status, is_platform, root_org_id, privacy_policy_version, \
         created_at, updated_at FROM identity_tenants ORDER BY created_at DESC, id DESC",
        vec![],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TenantRow {
                id: row.try_get("", "id")?,
                code: row.try_get("", "code")?,
                name: row.try_get("", "name")?,
                status: row.try_get("", "status")?,
                is_platform: row.try_get("", "is_platform")?,
                root_org_id: row.try_get("", "root_org_id")?,
                privacy_policy_version: row.try_get("", "privacy_policy_version")?,
                created_at: row.try_get("", "created_at")?,
                updated_at: row.try_get("", "updated_at")?,
            })
        })
        .collect()
}

/// Writes a tenant's name and status (the row must be locked by the caller).
pub async fn update_tenant(conn: &impl ConnectionTrait, t: &TenantRow) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_tenants SET name = $1, status = $2, version = version + 1, \
         updated_at = $3 WHERE id = $4",
        vec![
            text(&t.name),
            text(&t.status),
            ts(t.updated_at),
            text(&t.id),
        ],
    )
    .await
}

/// Revokes every live session of a tenant (suspension); returns the sessions revoked. Their
/// refresh tokens die with them (RefreshSession refuses any token of a revoked session before
/// spending it). The refresh tokens are deliberately not updated here: a racing refresh holds
/// its token row and then waits for its session row, so touching both would deadlock with it.
pub async fn revoke_tenant_sessions(
    conn: &impl ConnectionTrait,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_sessions SET revoked_at = $1, revoke_reason = 'tenant_suspended' \
         WHERE tenant_id = $2 AND revoked_at IS NULL",
        vec![ts(now), text(tenant)],
    )
    .await
}
