//! Staff accounts: the view authorization needs, CreateStaff and UpdateStaff (status in
//! `account_status.rs`, password reset in `passwords.rs`, who administers whom in `scope.rs`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};

use crate::app::App;
use crate::app::org::{holds, may_act_on};
use crate::app::role::{GUIDE, STORE_MANAGER, TENANT_ADMIN};
use crate::app::staff::password_policy::check_password;
use crate::app::staff::scope::{acts_beyond_store_manager, grantable, guide_only, is_self};
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::staff::StaffStatus;
use crate::repo::staff::accounts::{self as staff_repo, Staff};
use crate::repo::staff::admin as repo;
use crate::repo::staff::roles::{self as roles_repo, RoleGrant};

/// A staff account with what authorization needs.
#[derive(Debug, Clone)]
pub struct StaffView {
    /// The account.
    pub staff: Staff,
    /// Its primary org unit's path ('' when missing).
    pub path: String,
    /// Its grants.
    pub grants: Vec<RoleGrant>,
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

impl App {
    /// A staff account of the tenant with its path and grants, or NOT_FOUND STAFF_NOT_FOUND.
    pub async fn staff_view(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        id: &str,
    ) -> Result<StaffView, AppError> {
        let staff = staff_repo::get(conn, tenant, id)
            .await?
            .ok_or(AppError::StaffNotFound)?;
        let path = crate::repo::org::units::get(conn, tenant, &staff.home_org_id)
            .await?
            .map(|o| o.path)
            .unwrap_or_default();
        let grants = roles_repo::grants(conn, tenant, Some(id)).await?;
        let totp_enabled = crate::repo::staff::totp::is_enabled(conn, tenant, id).await?;
        Ok(StaffView {
            staff,
            path,
            grants,
            totp_enabled,
        })
    }

    /// Every account of the tenant with paths and grants.
    pub async fn staff_views(&self, tenant: TenantId) -> Result<Vec<StaffView>, AppError> {
        let staff = repo::list(&self.db, tenant).await?;
        let paths = repo::org_paths(&self.db, tenant).await?;
        let grants = roles_repo::grants(&self.db, tenant, None).await?;
        let totp = crate::repo::staff::totp::enabled_ids(&self.db, tenant).await?;
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
        let tenant = ctx.tenant;
        let now = self.clock.now();
        let home = fields.primary_org_unit_id.clone().unwrap_or_default();
        let home = self.org_unit(txn, tenant, &home).await?;
        let manager_only = !acts_beyond_store_manager(ctx, &home.path);
        if manager_only && !may_act_on(ctx, &home.path) {
            return Err(AppError::PermissionDenied);
        }
        let mut units = Vec::new();
        for (role, unit) in &roles {
            let unit = self.org_unit(txn, tenant, unit).await?;
            if !grantable(ctx, role, &unit.path) || (manager_only && role != GUIDE) {
                return Err(AppError::RoleNotGrantable);
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
        if staff_repo::by_login(txn, tenant, login_name)
            .await?
            .is_some()
        {
            return Err(AppError::LoginNameTaken);
        }
        let employee_no = fields.employee_no.clone().unwrap_or_default();
        if !employee_no.is_empty() && repo::employee_no_taken(txn, tenant, &employee_no, "").await?
        {
            return Err(AppError::EmployeeNoTaken);
        }
        let row = Staff {
            id: siyu_core::id::new_string(),
            tenant_id: tenant,
            login_name: login_name.to_owned(),
            display_name: fields.display_name.unwrap_or_default(),
            password_hash: self.hashing.hash(password)?,
            status: StaffStatus::Active,
            must_change_password: true,
            failed_attempts: 0,
            failure_window_start: None,
            locked_until: None,
            home_org_id: home.id.clone(),
            created_at: now,
            updated_at: now,
            employee_no,
            phone: fields.phone.unwrap_or_default(),
            email: fields.email.unwrap_or_default(),
            avatar_url: fields.avatar_url.unwrap_or_default(),
            wecom_user_id: fields.wecom_user_id.unwrap_or_default(),
            version: 1,
            last_login_at: None,
        };
        if let Err(err) = staff_repo::insert(txn, &row).await {
            return Err(if crate::repo::is_unique_violation(&err) {
                AppError::LoginNameTaken
            } else {
                err
            });
        }
        self.audit_staff_admin(txn, ctx, "STAFF_CREATED", &row.id, BTreeMap::new(), now)
            .await?;
        for (role, unit) in units {
            self.insert_grant(txn, ctx, &row.id, &role, &unit.id, now)
                .await?;
        }
        self.staff_view(txn, tenant, &row.id).await
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
        let tenant = ctx.tenant;
        let now = self.clock.now();
        let target = self.staff_view(txn, tenant, id).await?;
        // Any staff may call UpdateStaff; which fields change is the contract's rule about
        // roles: a tenant admin all of them, a store manager a guide's name, avatar and
        // phone, everyone their own name, avatar and e-mail.
        let admin = holds(ctx, TENANT_ADMIN, &target.path);
        let manager =
            admin || (holds(ctx, STORE_MANAGER, &target.path) && guide_only(&target.grants));
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
            return Err(AppError::PermissionDenied);
        }
        if target.staff.version.to_string() != etag {
            return Err(AppError::ConcurrentModification);
        }
        let mut row = target.staff.clone();
        if let Some(unit) = &fields.primary_org_unit_id {
            let unit = self.org_unit(txn, tenant, unit).await?;
            if !holds(ctx, TENANT_ADMIN, &unit.path) {
                return Err(AppError::PermissionDenied);
            }
            row.home_org_id = unit.id;
        }
        if let Some(no) = fields.employee_no {
            if !no.is_empty() && repo::employee_no_taken(txn, tenant, &no, id).await? {
                return Err(AppError::EmployeeNoTaken);
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
        self.staff_view(txn, tenant, id).await
    }

    /// Stores `row` with the next version (ABORTED CONCURRENT_MODIFICATION on a lost race).
    pub(crate) async fn write_staff(
        &self,
        txn: &impl ConnectionTrait,
        mut row: Staff,
        expected: i64,
        now: DateTime<Utc>,
    ) -> Result<Staff, AppError> {
        row.version = expected + 1;
        row.updated_at = now;
        if repo::update(txn, &row, expected).await? == 0 {
            return Err(AppError::ConcurrentModification);
        }
        Ok(row)
    }

    /// Audits a staff administration step of `ctx` on staff `target`.
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
            ctx.tenant,
            NewEntry {
                kind,
                outcome: AuditOutcome::Success,
                actor_kind: crate::app::kind_name(ctx.principal.kind).to_owned(),
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
