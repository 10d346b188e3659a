//! Tenants: creation (with the root HQ unit and the first tenant_admin), the platform bootstrap,
//! and tenant reads.

use siyu_core::TenantId;

use crate::app::App;
use crate::app::staff::password_policy::check_password;
use crate::app::tenancy::apps::NewApp;
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::staff::StaffStatus;
use crate::repo::staff::accounts::{self as staff_repo, Staff};
use crate::repo::tenancy::TenantStatus;
use crate::repo::tenancy::tenants::{self as repo, Tenant};

/// What CreateTenant needs.
#[derive(Debug, Clone)]
pub struct NewTenant {
    /// Unique slug.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Apps to register at once.
    pub apps: Vec<NewApp>,
    /// First tenant_admin's login name.
    pub admin_login_name: String,
    /// Their display name.
    pub admin_display_name: String,
    /// Their initial password.
    pub admin_password: String,
}

/// A created tenant.
#[derive(Debug, Clone)]
pub struct CreatedTenant {
    /// The tenant.
    pub tenant: Tenant,
    /// First admin's staff id.
    pub admin_staff_id: String,
}

impl App {
    /// Creates a tenant with its HQ unit and first tenant_admin (must change the password at
    /// first login unless `platform`), auditing TENANT_CREATED in the new tenant's chain.
    #[tracing::instrument(skip_all, fields(code = %new.code))]
    pub async fn create_tenant(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        new: NewTenant,
        actor: (&str, &str),
        platform: bool,
    ) -> Result<CreatedTenant, AppError> {
        check_password(&new.admin_password, "admin_initial_password")?;
        let now = self.clock.now();
        let hash = self.hashing.hash(&new.admin_password)?;
        if repo::by_code(txn, &new.code).await?.is_some() {
            return Err(AppError::TenantCodeTaken);
        }
        let tenant = Tenant {
            id: TenantId(siyu_core::id::new()),
            code: new.code.clone(),
            name: new.name.clone(),
            status: TenantStatus::Active,
            is_platform: platform,
            root_org_id: siyu_core::id::new_string(),
            privacy_policy_version: "1".into(),
            created_at: now,
            updated_at: now,
        };
        if let Err(err) = repo::insert(txn, &tenant).await {
            return Err(if crate::repo::is_unique_violation(&err) {
                AppError::TenantCodeTaken
            } else {
                err
            });
        }
        repo::insert_root_org(txn, tenant.id, &tenant.root_org_id, &tenant.name, now).await?;
        for app in &new.apps {
            self.write_app(txn, tenant.id, app, now).await?;
        }
        let admin = Staff {
            id: siyu_core::id::new_string(),
            tenant_id: tenant.id,
            login_name: new.admin_login_name.clone(),
            display_name: new.admin_display_name.clone(),
            password_hash: hash,
            status: StaffStatus::Active,
            must_change_password: !platform,
            failed_attempts: 0,
            failure_window_start: None,
            locked_until: None,
            home_org_id: tenant.root_org_id.clone(),
            created_at: now,
            updated_at: now,
            employee_no: String::new(),
            phone: String::new(),
            email: String::new(),
            avatar_url: String::new(),
            wecom_user_id: String::new(),
            version: 1,
            last_login_at: None,
        };
        staff_repo::insert(txn, &admin).await?;
        staff_repo::grant(
            txn,
            tenant.id,
            &admin.id,
            crate::app::role::TENANT_ADMIN,
            &tenant.root_org_id,
            now,
        )
        .await?;
        audit_repo::append(
            txn,
            tenant.id,
            NewEntry {
                kind: "TENANT_CREATED",
                outcome: AuditOutcome::Success,
                actor_kind: actor.0.to_owned(),
                actor_id: actor.1.to_owned(),
                target_kind: "tenant".into(),
                target_id: tenant.id.to_string(),
                details: [("code".to_owned(), tenant.code.clone())]
                    .into_iter()
                    .collect(),
            },
            now,
        )
        .await?;
        Ok(CreatedTenant {
            tenant,
            admin_staff_id: admin.id,
        })
    }

    /// Creates the platform operator's tenant (`siyu-identity bootstrap`), or returns the
    /// existing one. Its tenant_admins on the root are the contract's "platform" callers.
    pub async fn bootstrap_platform(
        &self,
        admin_login_name: &str,
        admin_password: &str,
    ) -> Result<Tenant, AppError> {
        let code = self.settings.platform.tenant_code.clone();
        if let Some(existing) = repo::by_code(&self.db, &code).await? {
            return Ok(existing);
        }
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let created = self
            .create_tenant(
                &txn,
                NewTenant {
                    code: code.clone(),
                    name: "Siyu platform".into(),
                    apps: Vec::new(),
                    admin_login_name: admin_login_name.to_owned(),
                    admin_display_name: "Platform admin".into(),
                    admin_password: admin_password.to_owned(),
                },
                ("service", "bootstrap"),
                true,
            )
            .await?;
        txn.commit().await?;
        Ok(created.tenant)
    }

    /// True when `tenant` is the platform tenant.
    pub async fn is_platform_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, AppError> {
        Ok(repo::get(&self.db, tenant).await?.filter(|t| t.is_platform))
    }

    /// A tenant by id.
    pub async fn tenant(&self, id: TenantId) -> Result<Tenant, AppError> {
        repo::get(&self.db, id)
            .await?
            .ok_or(AppError::TenantNotFound)
    }
}
