//! The platform's administration of tenants (ListTenants, UpdateTenant): rename, suspend and
//! reactivate. Suspending revokes every session of the tenant in the same transaction; the
//! platform tenant itself cannot be suspended. Also who the platform is, and the tenant-wide
//! acts of a tenant's own admins.

use siyu_core::{Ctx, OrgPath, PrincipalKind, TenantId};

use crate::app::App;
use crate::app::audit::append::audit;
use crate::app::role::TENANT_ADMIN;
use crate::error::AppError;
use crate::repo::tenancy::TenantStatus;
use crate::repo::tenancy::platform_admin as repo;
use crate::repo::tenancy::tenants::{self as tenants_repo, Tenant};

/// What UpdateTenant changes.
#[derive(Debug, Clone, Default)]
pub struct TenantChange {
    /// New display name.
    pub name: Option<String>,
    /// New status.
    pub status: Option<TenantStatus>,
    /// Why (required to suspend).
    pub reason: String,
}

impl App {
    /// The platform rule (tenant_service.proto's "platform" callers): staff holding
    /// tenant_admin on the root of the platform tenant. PERMISSION_DENIED for anyone else.
    pub async fn require_platform(&self, ctx: &Ctx) -> Result<(), AppError> {
        let platform = self.is_platform_tenant(ctx.tenant).await?;
        let admin = platform.is_some_and(|t| {
            OrgPath::parse(&t.root_org_id).is_ok_and(|root| {
                ctx.principal.kind == PrincipalKind::Staff
                    && ctx
                        .principal
                        .grants
                        .iter()
                        .any(|g| g.role == TENANT_ADMIN && g.org == root)
            })
        });
        if admin {
            Ok(())
        } else {
            Err(AppError::PermissionDenied)
        }
    }

    /// A tenant-wide act: staff must hold one of the called method's roles on the root of
    /// their tenant (a grant further down covers only its subtree); other admitted kinds pass.
    pub async fn require_on_root(&self, ctx: &Ctx) -> Result<(), AppError> {
        let root = self.tenant(ctx.tenant).await?.root_org_id;
        crate::app::org::require_on(ctx, &root)
    }

    /// The tenant a read that may name one acts on: the caller's own (`wanted` empty or its
    /// own: one of the method's roles on the root), or — for the platform only — another one.
    /// Anyone else naming another tenant learns nothing: NOT_FOUND TENANT_NOT_FOUND.
    pub async fn tenant_in_reach(
        &self,
        ctx: &Ctx,
        wanted: Option<TenantId>,
    ) -> Result<TenantId, AppError> {
        match wanted {
            Some(other) if other != ctx.tenant => {
                if self.require_platform(ctx).await.is_err() {
                    return Err(AppError::TenantNotFound);
                }
                Ok(other)
            }
            _ => {
                self.require_on_root(ctx).await?;
                Ok(ctx.tenant)
            }
        }
    }

    /// Every tenant, newest first (platform).
    pub async fn list_tenants(&self) -> Result<Vec<Tenant>, AppError> {
        repo::list_tenants(&self.db).await
    }

    /// Renames, suspends or reactivates a tenant. Suspending revokes every session (and with
    /// it every refresh token) of the tenant; the platform's own tenant cannot be suspended.
    /// Audits TENANT_UPDATED in the tenant's chain.
    pub async fn update_tenant(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        id: TenantId,
        change: TenantChange,
        actor: (&str, &str),
    ) -> Result<Tenant, AppError> {
        let now = self.clock.now();
        if !tenants_repo::lock_tenant(txn, id).await? {
            return Err(AppError::TenantNotFound);
        }
        let mut t = tenants_repo::get(txn, id)
            .await?
            .ok_or(AppError::TenantNotFound)?;
        if t.is_platform && change.status == Some(TenantStatus::Suspended) {
            return Err(AppError::PlatformTenant);
        }
        let before = t.status;
        if let Some(name) = change.name {
            t.name = name;
        }
        if let Some(status) = change.status {
            t.status = status;
        }
        t.updated_at = now;
        repo::update_tenant(txn, &t).await?;
        let mut details = vec![("status", t.status.as_str().to_owned())];
        if before != TenantStatus::Suspended && t.status == TenantStatus::Suspended {
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
            ("tenant", &id.to_string()),
            details,
            now,
        )
        .await?;
        Ok(t)
    }
}
