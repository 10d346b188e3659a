//! The platform's tenant-wide writes: list tenants, rename or suspend one, and revoke every
//! session of a suspended tenant.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::tenancy::tenants::{TENANT_COLUMNS, Tenant, tenants};
use crate::repo::{execute, tenant_text, text, ts};

/// Every tenant, newest first.
pub async fn list_tenants(conn: &impl ConnectionTrait) -> Result<Vec<Tenant>, AppError> {
    tenants(
        conn,
        &format!("SELECT {TENANT_COLUMNS} FROM identity_tenants ORDER BY created_at DESC, id DESC"),
        vec![],
    )
    .await
}

/// Writes a tenant's name and status (the row must be locked by the caller).
pub async fn update_tenant(conn: &impl ConnectionTrait, t: &Tenant) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_tenants SET name = $1, status = $2, version = version + 1, \
         updated_at = $3 WHERE id = $4",
        vec![
            text(&t.name),
            text(t.status.as_str()),
            ts(t.updated_at),
            tenant_text(t.id),
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
    tenant: TenantId,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_sessions SET revoked_at = $1, revoke_reason = 'tenant_suspended' \
         WHERE tenant_id = $2 AND revoked_at IS NULL",
        vec![ts(now), tenant_text(tenant)],
    )
    .await
}
