//! The platform's administration of tenants (ListTenants, UpdateTenant): rename, suspend and
//! reactivate. Suspending revokes every session of the tenant in the same transaction; the
//! platform tenant itself cannot be suspended.

use crate::app::App;
use crate::app::audit::append::audit;
use crate::error::AppError;
use crate::repo::tenancy::platform_admin as repo;
use crate::repo::tenancy::tenants::{self as tenants_repo, TenantRow};

/// What UpdateTenant changes.
#[derive(Debug, Clone, Default)]
pub struct TenantChange {
    /// New display name.
    pub name: Option<String>,
    /// New status, `ACTIVE` or `SUSPENDED`.
    pub status: Option<&'static str>,
    /// Why (required to suspend).
    pub reason: String,
}

impl App {
    /// Every tenant, newest first (platform).
    pub async fn list_tenants(&self) -> Result<Vec<TenantRow>, AppError> {
        Ok(repo::list_tenants(&self.db).await?)
    }

    /// Renames, suspends or reactivates a tenant. Suspending revokes every session (and with
    /// it every refresh token) of the tenant; the platform's own tenant cannot be suspended.
    /// Audits TENANT_UPDATED in the tenant's chain.
    pub async fn update_tenant(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        id: &str,
        change: TenantChange,
        actor: (&str, &str),
    ) -> Result<TenantRow, AppError> {
        let now = self.clock.now();
        if !tenants_repo::lock_tenant(txn, id).await? {
            return Err(AppError::NotFound("TENANT_NOT_FOUND"));
        }
        let mut t = tenants_repo::get(txn, id)
            .await?
            .ok_or(AppError::NotFound("TENANT_NOT_FOUND"))?;
        if t.is_platform && change.status == Some("SUSPENDED") {
            return Err(AppError::FailedPrecondition("PLATFORM_TENANT"));
        }
        let before = t.status.clone();
        if let Some(name) = change.name {
            t.name = name;
        }
        if let Some(status) = change.status {
            t.status = status.to_owned();
        }
        t.updated_at = now;
        repo::update_tenant(txn, &t).await?;
        let mut details = vec![("status", t.status.clone())];
        if before != "SUSPENDED" && t.status == "SUSPENDED" {
            let n = repo::revoke_tenant_sessions(txn, id, now).await?;
            details.push(("revoked_sessions", n.to_string()));
        }
        if !change.reason.is_empty() {
            details.push(("reason", change.reason));
        }
        audit(
            txn,
            id,
            "TENANT_UPDATED",
            actor,
            ("tenant", id),
            details,
            now,
        )
        .await?;
        Ok(t)
    }
}
