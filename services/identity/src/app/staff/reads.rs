//! Reads of staff accounts (GetStaff, GetCurrentStaff, ListStaff), scoped by the caller: the
//! accounts whose primary unit lies where the caller holds one of the method's roles (services
//! see the tenant), and one's own.

use siyu_core::Ctx;

use crate::app::App;
use crate::app::org::may_act_on;
use crate::app::staff::accounts::StaffView;
use crate::app::staff::roles::path_covers;
use crate::error::AppError;
use crate::repo::staff::StaffStatus;
use crate::repo::tenancy::tenants::Tenant;

/// The filters of ListStaff.
#[derive(Debug, Clone, Default)]
pub struct StaffFilter {
    /// Accounts whose primary unit lies under this unit.
    pub under: Option<String>,
    /// Accounts holding this role.
    pub role: Option<String>,
    /// Accounts of this status.
    pub status: Option<StaffStatus>,
    /// A fragment of the display name, login name or employee number (lower case).
    pub query: String,
}

impl App {
    /// GetStaff: the account, if the caller may read it (its own, or in scope).
    pub async fn staff_for(&self, ctx: &Ctx, id: &str) -> Result<StaffView, AppError> {
        let v = self.staff_view(&self.db, ctx.tenant, id).await?;
        if ctx.principal.subject == id || may_act_on(ctx, &v.path) {
            Ok(v)
        } else {
            Err(AppError::PermissionDenied)
        }
    }

    /// GetCurrentStaff: the caller's own account and its tenant.
    pub async fn current_staff(&self, ctx: &Ctx) -> Result<(StaffView, Tenant), AppError> {
        let tenant = self.tenant(ctx.tenant).await?;
        let v = self
            .staff_view(&self.db, tenant.id, &ctx.principal.subject)
            .await?;
        Ok((v, tenant))
    }

    /// ListStaff: the accounts in the caller's scope matching `filter` (a unit filter outside
    /// the scope is PERMISSION_DENIED).
    pub async fn list_staff(
        &self,
        ctx: &Ctx,
        filter: &StaffFilter,
    ) -> Result<Vec<StaffView>, AppError> {
        let tenant = ctx.tenant;
        let under = match &filter.under {
            Some(id) => {
                let unit = self.org_unit(&self.db, tenant, id).await?;
                crate::app::org::require_on(ctx, &unit.path)?;
                Some(unit.path)
            }
            None => None,
        };
        let query = &filter.query;
        Ok(self
            .staff_views(tenant)
            .await?
            .into_iter()
            .filter(|v| may_act_on(ctx, &v.path))
            .filter(|v| under.as_deref().is_none_or(|u| path_covers(u, &v.path)))
            .filter(|v| {
                filter
                    .role
                    .as_deref()
                    .is_none_or(|r| v.grants.iter().any(|g| g.role == r))
            })
            .filter(|v| filter.status.is_none_or(|s| v.staff.status == s))
            .filter(|v| {
                query.is_empty()
                    || [
                        &v.staff.display_name,
                        &v.staff.login_name,
                        &v.staff.employee_no,
                    ]
                    .iter()
                    .any(|f| f.to_lowercase().contains(query))
            })
            .collect())
    }
}
