//! Role grants on org units (GrantRole, RevokeRole, ListRoleGrants): a grant covers the unit's
//! subtree, and tokens issued after a grant carry it as `{role, org path}`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, OrgPath};

use crate::app::App;
use crate::app::org::may_act_on;
use crate::app::role::{GUIDE, TENANT_ADMIN};
use crate::app::staff::scope::grantable;
use crate::error::AppError;
use crate::repo::staff::guide_codes as guides_repo;
use crate::repo::staff::roles::{self as repo, RoleGrant};

impl App {
    pub(crate) async fn insert_grant(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        staff_id: &str,
        role: &str,
        unit: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, AppError> {
        let tenant = ctx.tenant;
        let inserted = repo::insert_grant(
            txn,
            &RoleGrant {
                id: siyu_core::id::new_string(),
                tenant_id: tenant,
                staff_id: staff_id.to_owned(),
                role: role.to_owned(),
                org_unit_id: unit.to_owned(),
                org_unit_name: String::new(),
                org_path: String::new(),
                granted_by: ctx.principal.subject.clone(),
                created_at: now,
            },
        )
        .await?;
        if inserted {
            let details = BTreeMap::from([
                ("role".to_owned(), role.to_owned()),
                ("org_unit_id".to_owned(), unit.to_owned()),
            ]);
            self.audit_staff_admin(txn, ctx, "ROLE_GRANTED", staff_id, details, now)
                .await?;
        }
        Ok(inserted)
    }

    /// GrantRole (an existing identical grant is returned).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, staff = staff_id))]
    pub async fn grant_role(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        staff_id: &str,
        role: &str,
        unit_id: &str,
    ) -> Result<RoleGrant, AppError> {
        let tenant = ctx.tenant;
        let target = self.staff_view(txn, tenant, staff_id).await?;
        let unit = self.org_unit(txn, tenant, unit_id).await?;
        if !may_act_on(ctx, &target.path) {
            return Err(AppError::PermissionDenied);
        }
        if ctx.principal.subject == staff_id {
            return Err(AppError::CannotModifySelf);
        }
        if !grantable(ctx, role, &unit.path) || !grantable(ctx, role, &target.path) {
            return Err(AppError::RoleNotGrantable);
        }
        self.insert_grant(txn, ctx, staff_id, role, &unit.id, self.clock.now())
            .await?;
        repo::grants(txn, tenant, Some(staff_id))
            .await?
            .into_iter()
            .find(|g| g.role == role && g.org_unit_id == unit.id)
            .ok_or_else(|| AppError::Internal("grant vanished".into()))
    }

    /// RevokeRole.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, grant = grant_id))]
    pub async fn revoke_role(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        grant_id: &str,
        revoke_sessions: bool,
        reason: &str,
    ) -> Result<(), AppError> {
        let tenant = ctx.tenant;
        let now = self.clock.now();
        let grant = repo::grant_by_id(txn, tenant, grant_id)
            .await?
            .ok_or(AppError::RoleGrantNotFound)?;
        if !grantable(ctx, &grant.role, &grant.org_path) {
            return Err(AppError::RoleNotGrantable);
        }
        if ctx.principal.subject == grant.staff_id {
            return Err(AppError::CannotModifySelf);
        }
        // The last tenant admin of the root keeps the tenant administrable.
        if grant.role == TENANT_ADMIN {
            let root = crate::repo::tenancy::tenants::get(txn, tenant)
                .await?
                .map(|t| t.root_org_id)
                .unwrap_or_default();
            if grant.org_unit_id == root
                && repo::other_root_admins(txn, tenant, &root, &grant.staff_id).await? == 0
            {
                return Err(AppError::LastTenantAdmin);
            }
        }
        repo::delete_grant(txn, tenant, grant_id).await?;
        if grant.role == GUIDE {
            // Retire codes for stores no remaining guide grant covers.
            let remaining = repo::grants(txn, tenant, Some(&grant.staff_id)).await?;
            let paths = crate::repo::staff::admin::org_paths(txn, tenant).await?;
            for code in guides_repo::guide_codes(txn, tenant, &grant.staff_id, "").await? {
                let store_path = paths.get(&code.store_id).cloned().unwrap_or_default();
                let still = remaining
                    .iter()
                    .any(|g| g.role == GUIDE && path_covers(&g.org_path, &store_path));
                if code.active && !still {
                    guides_repo::retire_guide_codes(
                        txn,
                        tenant,
                        &grant.staff_id,
                        &code.store_id,
                        now,
                    )
                    .await?;
                }
            }
        }
        if revoke_sessions {
            let actor = (
                crate::app::kind_name(ctx.principal.kind),
                ctx.principal.subject.as_str(),
            );
            self.revoke_subject_sessions(txn, tenant, actor, &grant.staff_id, None, "role_revoked")
                .await?;
        }
        let details = BTreeMap::from([
            ("role".to_owned(), grant.role.clone()),
            ("org_unit_id".to_owned(), grant.org_unit_id.clone()),
            ("reason".to_owned(), reason.to_owned()),
        ]);
        self.audit_staff_admin(txn, ctx, "ROLE_REVOKED", &grant.staff_id, details, now)
            .await
    }

    /// Grants visible to the caller (grants on units where it holds one of the method's roles),
    /// filtered.
    pub async fn list_role_grants(
        &self,
        ctx: &Ctx,
        staff_id: &str,
        role: Option<&str>,
        unit_id: &str,
        include_ancestors: bool,
    ) -> Result<Vec<RoleGrant>, AppError> {
        let tenant = ctx.tenant;
        let unit_path = if unit_id.is_empty() {
            None
        } else {
            Some(self.org_unit(&self.db, tenant, unit_id).await?.path)
        };
        let all =
            repo::grants(&self.db, tenant, (!staff_id.is_empty()).then_some(staff_id)).await?;
        Ok(all
            .into_iter()
            .filter(|g| may_act_on(ctx, &g.org_path))
            .filter(|g| role.is_none_or(|r| g.role == r))
            .filter(|g| match &unit_path {
                None => true,
                Some(p) if include_ancestors => path_covers(&g.org_path, p),
                Some(_) => g.org_unit_id == unit_id,
            })
            .collect())
    }
}

/// True when the unit at `outer` contains the unit at `inner` (same or ancestor).
pub fn path_covers(outer: &str, inner: &str) -> bool {
    match (OrgPath::parse(outer), OrgPath::parse(inner)) {
        (Ok(o), Ok(i)) => o.covers(&i),
        _ => false,
    }
}
