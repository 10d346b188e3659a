//! Staff administration: accounts (create, update, disable/enable, unlock, password reset).
//!
//! Scope rule (staff_service.proto): the caller must hold the required role on a unit whose
//! subtree contains the target's primary org unit; a store_manager may act on guides only
//! (accounts whose every grant is `guide`). Nobody changes their own status or password here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use siyu_proto::events::v1 as ev;

use crate::app::App;
use crate::app::org::covers;
use crate::app::tenants::check_password;
use crate::error::AppError;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::staff::{self as staff_repo, StaffRow};
use crate::repo::staff_admin::{self as repo, GrantRow};

/// A staff account with what authorization needs.
#[derive(Debug, Clone)]
pub struct StaffView {
    /// The account.
    pub staff: StaffRow,
    /// Its primary org unit's path ('' when missing).
    pub path: String,
    /// Its grants.
    pub grants: Vec<GrantRow>,
    /// TOTP second factor enabled.
    pub totp_enabled: bool,
}

/// Fields of CreateStaff / UpdateStaff (None = untouched).
#[derive(Debug, Clone, Default)]
pub struct StaffFields {
    /// Display name.
    pub display_name: Option<String>,
    /// Employee number.
    pub employee_no: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Avatar.
    pub avatar_url: Option<String>,
    /// Primary org unit.
    pub primary_org_unit_id: Option<String>,
    /// WeCom user id.
    pub wecom_user_id: Option<String>,
}

/// A store_manager acting on guides only, or a tenant_admin.
pub fn may_manage(ctx: &Ctx, target: &StaffView, admin_roles: &[&str]) -> bool {
    covers(ctx, admin_roles, &target.path)
        || (covers(ctx, &["store_manager"], &target.path)
            && target.grants.iter().all(|g| g.role == "guide"))
}

/// Whether `ctx` may grant `role` on a unit at `path`.
pub fn grantable(ctx: &Ctx, role: &str, path: &str) -> bool {
    covers(ctx, &["tenant_admin"], path)
        || (role == "guide" && covers(ctx, &["store_manager"], path))
}

fn is_self(ctx: &Ctx, id: &str) -> bool {
    ctx.principal.subject == id
}

impl App {
    /// A staff account of the tenant with its path and grants, or NOT_FOUND STAFF_NOT_FOUND.
    pub async fn staff_view(
        &self,
        conn: &impl ConnectionTrait,
        tenant: &str,
        id: &str,
    ) -> Result<StaffView, AppError> {
        let staff = staff_repo::get(conn, tenant, id)
            .await?
            .ok_or(AppError::NotFound("STAFF_NOT_FOUND"))?;
        let path = crate::repo::org::get(conn, tenant, &staff.home_org_id)
            .await?
            .map(|o| o.path)
            .unwrap_or_default();
        let grants = repo::grants(conn, tenant, Some(id)).await?;
        let totp_enabled = crate::repo::staff_totp::is_enabled(conn, tenant, id).await?;
        Ok(StaffView {
            staff,
            path,
            grants,
            totp_enabled,
        })
    }

    /// Every account of the tenant with paths and grants.
    pub async fn staff_views(&self, tenant: &str) -> Result<Vec<StaffView>, AppError> {
        let staff = repo::list(&self.db, tenant).await?;
        let paths = repo::org_paths(&self.db, tenant).await?;
        let grants = repo::grants(&self.db, tenant, None).await?;
        let totp = crate::repo::staff_totp::enabled_ids(&self.db, tenant).await?;
        Ok(staff
            .into_iter()
            .map(|s| StaffView {
                totp_enabled: totp.contains(&s.id),
                path: paths.get(&s.home_org_id).cloned().unwrap_or_default(),
                grants: grants
                    .iter()
                    .filter(|g| g.staff_id == s.id)
                    .cloned()
                    .collect(),
                staff: s,
            })
            .collect())
    }

    /// CreateStaff with an initial password (forced change at first login) and grants.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_staff(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        login_name: &str,
        fields: StaffFields,
        password: &str,
        roles: Vec<(String, String)>,
    ) -> Result<StaffView, AppError> {
        let tenant = ctx.tenant.to_string();
        let now = self.clock.now();
        let home = fields.primary_org_unit_id.clone().unwrap_or_default();
        let home = self.org_unit(txn, &tenant, &home).await?;
        let manager_only = !covers(ctx, &["tenant_admin"], &home.path);
        if manager_only && !covers(ctx, &["store_manager"], &home.path) {
            return Err(AppError::PermissionDenied("PERMISSION_DENIED"));
        }
        let mut units = Vec::new();
        for (role, unit) in &roles {
            let unit = self.org_unit(txn, &tenant, unit).await?;
            if !grantable(ctx, role, &unit.path) || (manager_only && role != "guide") {
                return Err(AppError::PermissionDenied("ROLE_NOT_GRANTABLE"));
            }
            units.push((role.clone(), unit));
        }
        check_password(password, "initial_password")?;
        if password.to_lowercase().contains(&login_name.to_lowercase()) {
            return Err(AppError::invalid_with(
                "PASSWORD_TOO_WEAK",
                "initial_password",
                "must not contain the login name",
            ));
        }
        if staff_repo::by_login(txn, &tenant, login_name)
            .await?
            .is_some()
        {
            return Err(AppError::AlreadyExists("LOGIN_NAME_TAKEN"));
        }
        let employee_no = fields.employee_no.clone().unwrap_or_default();
        if !employee_no.is_empty()
            && repo::employee_no_taken(txn, &tenant, &employee_no, "").await?
        {
            return Err(AppError::AlreadyExists("EMPLOYEE_NO_TAKEN"));
        }
        let row = StaffRow {
            id: siyu_core::id::new_string(),
            tenant_id: tenant.clone(),
            login_name: login_name.to_owned(),
            display_name: fields.display_name.unwrap_or_default(),
            password_hash: self.hashing.hash(password)?,
            status: "ACTIVE".into(),
            must_change_password: true,
            home_org_id: home.id.clone(),
            created_at: now,
            updated_at: now,
            employee_no,
            phone: fields.phone.unwrap_or_default(),
            email: fields.email.unwrap_or_default(),
            avatar_url: fields.avatar_url.unwrap_or_default(),
            wecom_user_id: fields.wecom_user_id.unwrap_or_default(),
            version: 1,
            ..StaffRow::default()
        };
        if let Err(err) = staff_repo::insert(txn, &row).await {
            return Err(if crate::repo::is_unique_violation(&err) {
                AppError::AlreadyExists("LOGIN_NAME_TAKEN")
            } else {
                err.into()
            });
        }
        self.audit_staff_admin(txn, ctx, "STAFF_CREATED", &row.id, BTreeMap::new(), now)
            .await?;
        for (role, unit) in units {
            self.insert_grant(txn, ctx, &row.id, &role, &unit.id, now)
                .await?;
        }
        self.staff_view(txn, &tenant, &row.id).await
    }

    /// UpdateStaff: `allowed` paths were already checked against the caller's relation.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, staff = id))]
    pub async fn update_staff(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: &str,
        etag: &str,
        fields: StaffFields,
    ) -> Result<StaffView, AppError> {
        let tenant = ctx.tenant.to_string();
        let now = self.clock.now();
        let target = self.staff_view(txn, &tenant, id).await?;
        let admin = covers(ctx, &["tenant_admin"], &target.path);
        let manager = may_manage(ctx, &target, &["tenant_admin"]);
        let own = is_self(ctx, id);
        let allowed = |field: &Option<String>, manager_ok: bool, self_ok: bool| {
            field.is_none() || admin || (manager_ok && manager) || (self_ok && own)
        };
        let ok = allowed(&fields.display_name, true, true)
            && allowed(&fields.avatar_url, true, true)
            && allowed(&fields.phone, true, false)
            && allowed(&fields.email, false, true)
            && allowed(&fields.employee_no, false, false)
            && allowed(&fields.primary_org_unit_id, false, false)
            && allowed(&fields.wecom_user_id, false, false);
        if !ok {
            return Err(AppError::PermissionDenied("PERMISSION_DENIED"));
        }
        if target.staff.version.to_string() != etag {
            return Err(AppError::Aborted("CONCURRENT_MODIFICATION"));
        }
        let mut row = target.staff.clone();
        if let Some(unit) = &fields.primary_org_unit_id {
            let unit = self.org_unit(txn, &tenant, unit).await?;
            if !covers(ctx, &["tenant_admin"], &unit.path) {
                return Err(AppError::PermissionDenied("PERMISSION_DENIED"));
            }
            row.home_org_id = unit.id;
        }
        if let Some(no) = fields.employee_no {
            if !no.is_empty() && repo::employee_no_taken(txn, &tenant, &no, id).await? {
                return Err(AppError::AlreadyExists("EMPLOYEE_NO_TAKEN"));
            }
            row.employee_no = no;
        }
        for (value, slot) in [
            (fields.display_name, &mut row.display_name),
            (fields.phone, &mut row.phone),
            (fields.email, &mut row.email),
            (fields.avatar_url, &mut row.avatar_url),
            (fields.wecom_user_id, &mut row.wecom_user_id),
        ] {
            if let Some(value) = value {
                *slot = value;
            }
        }
        self.write_staff(txn, row, target.staff.version, now)
            .await?;
        self.staff_view(txn, &tenant, id).await
    }

    /// Stores `row` with the next version (ABORTED CONCURRENT_MODIFICATION on a lost race).
    pub(crate) async fn write_staff(
        &self,
        txn: &impl ConnectionTrait,
        mut row: StaffRow,
        expected: i64,
        now: DateTime<Utc>,
    ) -> Result<StaffRow, AppError> {
        row.version = expected + 1;
        row.updated_at = now;
        if repo::update(txn, &row, expected).await? == 0 {
            return Err(AppError::Aborted("CONCURRENT_MODIFICATION"));
        }
        Ok(row)
    }

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
        let tenant = ctx.tenant.to_string();
        let now = self.clock.now();
        let target = self.staff_view(txn, &tenant, id).await?;
        if !may_manage(ctx, &target, &["tenant_admin"]) {
            return Err(AppError::PermissionDenied("PERMISSION_DENIED"));
        }
        if is_self(ctx, id) {
            return Err(AppError::FailedPrecondition("CANNOT_MODIFY_SELF"));
        }
        if target.staff.status == "DISABLED" {
            return Ok((target, 0));
        }
        self.require_other_admin(txn, &tenant, &target).await?;
        let mut row = target.staff.clone();
        row.status = "DISABLED".into();
        self.write_staff(txn, row, target.staff.version, now)
            .await?;
        let actor = (
            crate::app::tokens::sessions::kind_name(ctx.principal.kind),
            ctx.principal.subject.as_str(),
        );
        let revoked = self
            .revoke_subject_sessions(txn, &tenant, actor, id, None, "staff_disabled")
            .await?;
        crate::repo::partners::revoke_subject_tokens(txn, &tenant, id, now).await?;
        repo::retire_guide_codes(txn, &tenant, id, "", now).await?;
        let details = BTreeMap::from([("reason".to_owned(), reason.to_owned())]);
        self.audit_staff_admin(txn, ctx, "STAFF_DISABLED", id, details, now)
            .await?;
        let guide_stores: Vec<String> = target
            .grants
            .iter()
            .filter(|g| g.role == "guide")
            .map(|g| g.org_unit_id.clone())
            .collect();
        crate::events::staff_disabled(
            txn,
            &tenant,
            ev::StaffDisabled {
                staff_id: id.to_owned(),
                primary_org_unit_id: target.staff.home_org_id.clone(),
                was_guide: !guide_stores.is_empty(),
                guide_store_ids: guide_stores,
                reason: reason.to_owned(),
                disabled_by_staff_id: ctx.principal.subject.clone(),
                disabled_at: Some(crate::events::timestamp(now)),
            },
            now,
        )
        .await?;
        Ok((self.staff_view(txn, &tenant, id).await?, revoked))
    }

    /// FAILED_PRECONDITION LAST_TENANT_ADMIN when `target` is the only active tenant_admin on
    /// the root.
    async fn require_other_admin(
        &self,
        txn: &impl ConnectionTrait,
        tenant: &str,
        target: &StaffView,
    ) -> Result<(), AppError> {
        let root = crate::repo::tenants::get(txn, tenant)
            .await?
            .map(|t| t.root_org_id)
            .unwrap_or_default();
        let is_root_admin = target
            .grants
            .iter()
            .any(|g| g.role == "tenant_admin" && g.org_unit_id == root);
        if is_root_admin
            && repo::other_root_admins(txn, tenant, &root, &target.staff.id).await? == 0
        {
            return Err(AppError::FailedPrecondition("LAST_TENANT_ADMIN"));
        }
        Ok(())
    }

    /// EnableStaff, UnlockStaff (tenant_admin in scope).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, staff = id))]
    pub async fn enable_or_unlock_staff(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: &str,
        unlock: bool,
        reason: &str,
    ) -> Result<StaffView, AppError> {
        let tenant = ctx.tenant.to_string();
        let now = self.clock.now();
        let target = self.staff_view(txn, &tenant, id).await?;
        if !covers(ctx, &["tenant_admin"], &target.path) {
            return Err(AppError::PermissionDenied("PERMISSION_DENIED"));
        }
        let mut row = target.staff.clone();
        let kind = if unlock {
            row.failed_attempts = 0;
            row.failure_window_start = None;
            row.locked_until = None;
            "STAFF_UNLOCKED"
        } else {
            if is_self(ctx, id) {
                return Err(AppError::FailedPrecondition("CANNOT_MODIFY_SELF"));
            }
            row.status = "ACTIVE".into();
            "STAFF_ENABLED"
        };
        self.write_staff(txn, row, target.staff.version, now)
            .await?;
        let details = BTreeMap::from([("reason".to_owned(), reason.to_owned())]);
        self.audit_staff_admin(txn, ctx, kind, id, details, now)
            .await?;
        self.staff_view(txn, &tenant, id).await
    }

    /// ResetStaffPassword: sets `password` (forced change at next login) and revokes every
    /// session.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, staff = id))]
    pub async fn reset_staff_password(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: &str,
        password: &str,
        remove_totp: bool,
        reason: &str,
    ) -> Result<(), AppError> {
        let tenant = ctx.tenant.to_string();
        let now = self.clock.now();
        let target = self.staff_view(txn, &tenant, id).await?;
        let admin = covers(ctx, &["tenant_admin"], &target.path);
        if !may_manage(ctx, &target, &["tenant_admin"]) || (remove_totp && !admin) {
            return Err(AppError::PermissionDenied("PERMISSION_DENIED"));
        }
        if is_self(ctx, id) {
            return Err(AppError::FailedPrecondition("CANNOT_MODIFY_SELF"));
        }
        check_password(password, "temporary_password")?;
        let mut row = target.staff.clone();
        row.password_hash = self.hashing.hash(password)?;
        row.must_change_password = true;
        row.failed_attempts = 0;
        row.failure_window_start = None;
        row.locked_until = None;
        self.write_staff(txn, row, target.staff.version, now)
            .await?;
        let actor = (
            crate::app::tokens::sessions::kind_name(ctx.principal.kind),
            ctx.principal.subject.as_str(),
        );
        self.revoke_subject_sessions(txn, &tenant, actor, id, None, "password_reset")
            .await?;
        let details = BTreeMap::from([("reason".to_owned(), reason.to_owned())]);
        self.audit_staff_admin(txn, ctx, "PASSWORD_RESET", id, details.clone(), now)
            .await?;
        // A pending (unconfirmed) secret goes too; only removing an enabled one is audited.
        if remove_totp && crate::repo::staff_totp::remove(txn, &tenant, id).await? {
            self.audit_staff_admin(txn, ctx, "TOTP_DISABLED", id, details, now)
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn audit_staff_admin(
        &self,
        txn: &impl ConnectionTrait,
        ctx: &Ctx,
        kind: &'static str,
        target: &str,
        details: BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        audit_repo::append(
            txn,
            &ctx.tenant.to_string(),
            NewEntry {
                kind,
                outcome: "SUCCESS",
                actor_kind: crate::app::tokens::sessions::kind_name(ctx.principal.kind).to_owned(),
                actor_id: ctx.principal.subject.clone(),
                target_kind: "staff".into(),
                target_id: target.to_owned(),
                details,
            },
            now,
        )
        .await?;
        Ok(())
    }
}
