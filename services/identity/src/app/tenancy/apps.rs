//! The WeChat apps of a tenant (UpsertApp, RemoveApp) with write-only secrets, and app-id
//! resolution for anonymous consumer calls (ResolveTenantByAppId).

use chrono::{DateTime, Utc};

use siyu_core::TenantId;

use crate::app::App;
use crate::app::audit::append::audit;
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::tenancy::apps::{self as repo, TenantApp};
use crate::repo::tenancy::pay_config as pay_repo;
use crate::repo::tenancy::tenants::{self as tenants_repo, Tenant};
use crate::repo::tenancy::{AppKind, TenantStatus};

/// An app to add or update.
#[derive(Debug, Clone)]
pub struct NewApp {
    /// App id.
    pub app_id: String,
    /// What kind of app.
    pub kind: AppKind,
    /// Display name.
    pub name: String,
    /// Write-only secret; empty keeps the stored one.
    pub secret: String,
    /// Enabled.
    pub enabled: bool,
}

/// The tenant and app behind an app id.
#[derive(Debug, Clone)]
pub struct ResolvedApp {
    /// Tenant.
    pub tenant: Tenant,
    /// App (secret sealed).
    pub app: TenantApp,
}

impl App {
    /// Adds or updates an app of `tenant`; returns (stored app, created).
    pub async fn upsert_app(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        tenant: TenantId,
        app: NewApp,
        actor: (&str, &str),
    ) -> Result<(TenantApp, bool), AppError> {
        let now = self.clock.now();
        let created = repo::get_app(txn, &app.app_id).await?.is_none();
        if created && app.secret.is_empty() && app.kind != AppKind::H5 {
            return Err(AppError::invalid_with(
                "APP_SECRET_REQUIRED",
                "app.app_secret",
                "a new app needs its secret",
            ));
        }
        self.write_app(txn, tenant, &app, now).await?;
        audit_repo::append(
            txn,
            tenant,
            NewEntry {
                kind: if app.secret.is_empty() {
                    "TENANT_SETTINGS_UPDATED"
                } else {
                    "APP_SECRET_CHANGED"
                },
                outcome: AuditOutcome::Success,
                actor_kind: actor.0.to_owned(),
                actor_id: actor.1.to_owned(),
                target_kind: "app".into(),
                target_id: app.app_id.clone(),
                details: Default::default(),
            },
            now,
        )
        .await?;
        let stored = repo::get_app(txn, &app.app_id)
            .await?
            .ok_or_else(|| AppError::Internal("app vanished".into()))?;
        Ok((stored, created))
    }

    /// Removes an app of `tenant`, refusing the WeChat Pay app (APP_IN_USE). Linked openids
    /// stay; logins through the app answer APP_NOT_FOUND from now on.
    pub async fn remove_app(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        tenant: TenantId,
        app_id: &str,
        actor: (&str, &str),
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        if !tenants_repo::lock_tenant(txn, tenant).await? {
            return Err(AppError::TenantNotFound);
        }
        if pay_repo::pay(txn, tenant)
            .await?
            .is_some_and(|p| p.app_id == app_id)
        {
            return Err(AppError::AppInUse);
        }
        if repo::delete_app(txn, tenant, app_id).await? == 0 {
            return Err(AppError::AppNotFound);
        }
        audit(
            txn,
            tenant,
            "TENANT_SETTINGS_UPDATED",
            actor,
            ("app", app_id),
            vec![("removed_app", app_id.to_owned())],
            now,
        )
        .await
    }

    /// The apps of `tenant` (secrets sealed as stored).
    pub async fn apps_of(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        tenant: TenantId,
    ) -> Result<Vec<TenantApp>, AppError> {
        repo::apps(conn, tenant).await
    }

    /// INVALID_ARGUMENT `field` unless `app_id` is a usable app of `tenant` (an openid
    /// belongs to one of the tenant's apps).
    pub async fn require_tenant_app(
        &self,
        tenant: TenantId,
        app_id: &str,
        field: &str,
    ) -> Result<(), AppError> {
        let own = match self.resolve_app(app_id).await {
            Ok(resolved) => resolved.tenant.id == tenant,
            Err(AppError::AppNotFound | AppError::AppDisabled | AppError::TenantSuspended) => false,
            Err(err) => return Err(err),
        };
        if own {
            Ok(())
        } else {
            Err(AppError::invalid(field, "is not an app of the tenant"))
        }
    }

    /// Resolves an app id to its tenant, refusing disabled apps and suspended tenants.
    pub async fn resolve_app(&self, app_id: &str) -> Result<ResolvedApp, AppError> {
        let app = repo::get_app(&self.db, app_id)
            .await?
            .ok_or(AppError::AppNotFound)?;
        let tenant = tenants_repo::get(&self.db, app.tenant_id)
            .await?
            .ok_or(AppError::AppNotFound)?;
        if !app.enabled {
            return Err(AppError::AppDisabled);
        }
        if tenant.status != TenantStatus::Active {
            return Err(AppError::TenantSuspended);
        }
        Ok(ResolvedApp { tenant, app })
    }

    pub(super) async fn write_app(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        tenant: TenantId,
        app: &NewApp,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let secret_enc = if app.secret.is_empty() {
            None
        } else {
            Some(self.sealer.seal(app.secret.as_bytes())?)
        };
        let last4: String = {
            let chars: Vec<char> = app.secret.chars().collect();
            chars[chars.len().saturating_sub(4)..].iter().collect()
        };
        let row = TenantApp {
            app_id: app.app_id.clone(),
            tenant_id: tenant,
            kind: app.kind,
            name: app.name.clone(),
            secret_enc,
            secret_last4: last4,
            enabled: app.enabled,
        };
        if !repo::upsert_app(txn, &row, now).await? {
            return Err(AppError::AppIdTaken);
        }
        Ok(())
    }
}
