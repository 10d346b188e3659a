//! Tenant settings (GetTenantSettings, UpdateTenantSettings): points, order and security
//! defaults and the privacy policy version, under an etag.

use chrono::{DateTime, Utc};

use siyu_core::TenantId;

use crate::app::App;
use crate::app::audit::append::audit;
use crate::app::tenancy::defaults::Defaults;
use crate::error::AppError;
use crate::repo::tenancy::settings as repo;
use crate::repo::tenancy::tenants::{self as tenants_repo};

/// A tenant's settings as read.
#[derive(Debug, Clone)]
pub struct StoredSettings {
    /// The defaults.
    pub defaults: Defaults,
    /// Privacy policy version.
    pub privacy_policy_version: String,
    /// Version (etag).
    pub version: i64,
    /// Last change (the tenant's creation before the first change).
    pub updated_at: DateTime<Utc>,
}

/// What UpdateTenantSettings writes: the merged document and the mask paths it came from.
#[derive(Debug, Clone)]
pub struct SettingsChange {
    /// The new document (the caller merged the masked fields into the current one).
    pub defaults: Defaults,
    /// New privacy policy version, when masked.
    pub privacy_policy_version: Option<String>,
    /// The etag the caller read.
    pub expected_version: i64,
    /// The mask paths (for the audit entry).
    pub paths: Vec<String>,
}

impl App {
    /// The settings of `tenant` (defaults when never changed).
    pub async fn tenant_settings(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        tenant: TenantId,
    ) -> Result<StoredSettings, AppError> {
        let t = tenants_repo::get(conn, tenant)
            .await?
            .ok_or(AppError::TenantNotFound)?;
        let stored = repo::get(conn, tenant).await?;
        let (defaults, version, updated_at) = match stored {
            Some(row) => (
                serde_json::from_str(&row.json)
                    .map_err(|e| AppError::Internal(format!("settings do not decode: {e}")))?,
                row.version,
                row.updated_at,
            ),
            None => (Defaults::default(), 0, t.created_at),
        };
        Ok(StoredSettings {
            defaults,
            privacy_policy_version: t.privacy_policy_version,
            version,
            updated_at,
        })
    }

    /// Writes a settings change under the etag; audits TENANT_SETTINGS_UPDATED.
    pub async fn update_tenant_settings(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        tenant: TenantId,
        change: SettingsChange,
        actor: (&str, &str),
    ) -> Result<StoredSettings, AppError> {
        let now = self.clock.now();
        let json = serde_json::to_string(&change.defaults)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        if repo::put(txn, tenant, &json, change.expected_version, now).await? == 0 {
            return Err(AppError::ConcurrentModification);
        }
        if let Some(version) = &change.privacy_policy_version {
            repo::set_privacy_version(txn, tenant, version).await?;
        }
        audit(
            txn,
            tenant,
            "TENANT_SETTINGS_UPDATED",
            actor,
            ("tenant", &tenant.to_string()),
            vec![("paths", change.paths.join(","))],
            now,
        )
        .await?;
        self.tenant_settings(txn, tenant).await
    }
}
