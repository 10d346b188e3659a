//! Staff account status: DisableStaff (revoking every session and retiring guide codes),
//! EnableStaff and UnlockStaff. The last active tenant_admin on the tenant root cannot be
//! disabled.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use siyu_proto::events::v1 as ev;

use crate::app::App;
use crate::app::org::require_on;
use crate::app::role::{GUIDE, TENANT_ADMIN};
use crate::app::staff::accounts::StaffView;
use crate::app::staff::scope::{administers, is_self};
use crate::error::AppError;
use crate::repo::staff::StaffStatus;
use crate::repo::staff::guide_codes as guides_repo;
use crate::repo::staff::roles as roles_repo;

impl App {
    /// DisableStaff: revokes every session, retires guide codes, publishes StaffDisabled.
    /// Returns the account and the sessions revoked (0 and no event when already disabled).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, staff = id))]
    pub async fn disable_staff(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: &str,
        reason: &str,
    ) -> Result<(StaffView, u64), AppError> {
        let tenant = ctx.tenant;
        let now = self.clock.now();
        let target = self.staff_view(txn, tenant, id).await?;
        if !administers(ctx, &target.path, &target.grants) {
            return Err(AppError::PermissionDenied);
        }
        if is_self(ctx, id) {
            return Err(AppError::CannotModifySelf);
        }
        if target.staff.status == StaffStatus::Disabled {
            return Ok((target, 0));
        }
        self.require_other_admin(txn, tenant, &target).await?;
        let mut row = target.staff.clone();
        row.status = StaffStatus::Disabled;
        self.write_staff(txn, row, target.staff.version, now)
            .await?;
        let actor = (
            crate::app::kind_name(ctx.principal.kind),
            ctx.principal.subject.as_str(),
        );
        let revoked = self
            .revoke_subject_sessions(txn, tenant, actor, id, None, "staff_disabled")
            .await?;
        crate::repo::partners::clients::revoke_subject_tokens(txn, tenant, id, now).await?;
        guides_repo::retire_guide_codes(txn, tenant, id, "", now).await?;
        let details = BTreeMap::from([("reason".to_owned(), reason.to_owned())]);
        self.audit_staff_admin(txn, ctx, "STAFF_DISABLED", id, details, now)
            .await?;
        let guide_stores: Vec<String> = target
            .grants
            .iter()
            .filter(|g| g.role == GUIDE)
            .map(|g| g.org_unit_id.clone())
            .collect();
        crate::events::staff_disabled(
            txn,
            tenant,
            ev::StaffDisabled {
                staff_id: id.to_owned(),
                primary_org_unit_id: target.staff.home_org_id.clone(),
                was_guide: !guide_stores.is_empty(),
                guide_store_ids: guide_stores,
                reason: reason.to_owned(),
                disabled_by_staff_id: ctx.principal.subject.clone(),
                disabled_at: Some(siyu_proto::time::timestamp(now)),
            },
            now,
        )
        .await?;
        Ok((self.staff_view(txn, tenant, id).await?, revoked))
    }

    /// FAILED_PRECONDITION LAST_TENANT_ADMIN when `target` is the only active tenant_admin on
    /// the root.
    async fn require_other_admin(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        target: &StaffView,
    ) -> Result<(), AppError> {
        let root = crate::repo::tenancy::tenants::get(txn, tenant)
            .await?
            .map(|t| t.root_org_id)
            .unwrap_or_default();
        let is_root_admin = target
            .grants
            .iter()
            .any(|g| g.role == TENANT_ADMIN && g.org_unit_id == root);
        if is_root_admin
            && roles_repo::other_root_admins(txn, tenant, &root, &target.staff.id).await? == 0
        {
            return Err(AppError::LastTenantAdmin);
        }
        Ok(())
    }

    /// EnableStaff, UnlockStaff (the method's roles in scope).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, staff = id))]
    pub async fn enable_or_unlock_staff(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: &str,
        unlock: bool,
        reason: &str,
    ) -> Result<StaffView, AppError> {
        let tenant = ctx.tenant;
        let now = self.clock.now();
        let target = self.staff_view(txn, tenant, id).await?;
        require_on(ctx, &target.path)?;
        let mut row = target.staff.clone();
        let kind = if unlock {
            row.failed_attempts = 0;
            row.failure_window_start = None;
            row.locked_until = None;
            "STAFF_UNLOCKED"
        } else {
            if is_self(ctx, id) {
                return Err(AppError::CannotModifySelf);
            }
            row.status = StaffStatus::Active;
            "STAFF_ENABLED"
        };
        self.write_staff(txn, row, target.staff.version, now)
            .await?;
        let details = BTreeMap::from([("reason".to_owned(), reason.to_owned())]);
        self.audit_staff_admin(txn, ctx, kind, id, details, now)
            .await?;
        self.staff_view(txn, tenant, id).await
    }
}
