//! Tenant settings: the versioned JSON document of defaults (points, orders, security) and the
//! privacy policy version kept on the tenant row. Every query names its tenant.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::{execute, fetch_one, tenant_text, text, ts};

/// The stored settings document of a tenant.
#[derive(Debug, Clone)]
pub struct SettingsDocument {
    /// Settings as JSON (`app::tenancy::defaults::Defaults`).
    pub json: String,
    /// Version, the etag.
    pub version: i64,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A settings row.
#[derive(Debug, FromQueryResult)]
struct SettingsRow {
    settings_json: String,
    version: i64,
    updated_at: DateTime<Utc>,
}

/// The settings row of a tenant, if one was ever written.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Option<SettingsDocument>, AppError> {
    Ok(fetch_one::<SettingsRow>(
        conn,
        "SELECT settings_json, version, updated_at FROM identity_tenant_settings \
         WHERE tenant_id = $1",
        vec![tenant_text(tenant)],
    )
    .await?
    .map(|r| SettingsDocument {
        json: r.settings_json,
        version: r.version,
        updated_at: r.updated_at,
    }))
}

/// Writes the settings when the stored version is `expected` (0 = never written); returns the
/// rows changed (0 = a concurrent change won).
pub async fn put(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    json: &str,
    expected: i64,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    // Version 0 is the implicit row of defaults; materialise it so one conditional UPDATE
    // decides every race, including two first writers.
    execute(
        conn,
        "INSERT INTO identity_tenant_settings (tenant_id, settings_json, version, updated_at) \
         VALUES ($1, '{}', 0, $2) ON CONFLICT (tenant_id) DO NOTHING",
        vec![tenant_text(tenant), ts(now)],
    )
    .await?;
    execute(
        conn,
        "UPDATE identity_tenant_settings SET settings_json = $1, version = version + 1, \
         updated_at = $2 WHERE tenant_id = $3 AND version = $4",
        vec![
            text(json),
            ts(now),
            tenant_text(tenant),
            Value::BigInt(Some(expected)),
        ],
    )
    .await
}

/// Sets the privacy policy version consumers must accept.
pub async fn set_privacy_version(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    version: &str,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE identity_tenants SET privacy_policy_version = $1 WHERE id = $2",
        vec![text(version), tenant_text(tenant)],
    )
    .await?;
    Ok(())
}
