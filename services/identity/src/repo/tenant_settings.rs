//! Tenant settings (versioned JSON of defaults and security), the WeChat Pay configuration
//! (key material sealed by the caller), and tenant-wide writes of the platform: list, update,
//! suspend. Every query names its tenant.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::repo::tenants::{AppRow, TenantRow};
use crate::repo::{all, exec, for_update, one, text, ts};

/// The stored settings document of a tenant.
#[derive(Debug, Clone)]
pub struct SettingsRow {
    /// Settings as JSON (`app::tenant_settings::Defaults`).
    pub json: String,
    /// Version, the etag.
    pub version: i64,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The stored WeChat Pay configuration of a tenant (key material sealed).
#[derive(Debug, Clone)]
pub struct PayRow {
    /// Tenant.
    pub tenant_id: String,
    /// Merchant id.
    pub mch_id: String,
    /// Mini-program the merchant is bound to.
    pub app_id: String,
    /// Merchant certificate serial number.
    pub merchant_serial_no: String,
    /// Sealed APIv3 key.
    pub api_v3_key_enc: Vec<u8>,
    /// Sealed PKCS#8 private key PEM.
    pub private_key_enc: Vec<u8>,
    /// WeChat Pay public key id.
    pub public_key_id: String,
    /// WeChat Pay public key PEM.
    pub public_key_pem: String,
    /// When key material last changed.
    pub key_updated_at: DateTime<Utc>,
}

/// The settings row of a tenant, if one was ever written.
pub async fn get(conn: &impl ConnectionTrait, tenant: &str) -> Result<Option<SettingsRow>, DbErr> {
    let Some(row) = one(
        conn,
        "SELECT settings_json, version, updated_at FROM identity_tenant_settings \
         WHERE tenant_id = $1",
        vec![text(tenant)],
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(SettingsRow {
        json: row.try_get("", "settings_json")?,
        version: row.try_get("", "version")?,
        updated_at: row.try_get("", "updated_at")?,
    }))
}

/// Writes the settings when the stored version is `expected` (0 = never written); returns the
/// rows changed (0 = a concurrent change won).
pub async fn put(
    conn: &impl ConnectionTrait,
    tenant: &str,
    json: &str,
    expected: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    // Version 0 is the implicit row of defaults; materialise it so one conditional UPDATE
    // decides every race, including two first writers.
    exec(
        conn,
        "INSERT INTO identity_tenant_settings (tenant_id, settings_json, version, updated_at) \
         VALUES ($1, '{}', 0, $2) ON CONFLICT (tenant_id) DO NOTHING",
        vec![text(tenant), ts(now)],
    )
    .await?;
    exec(
        conn,
        "UPDATE identity_tenant_settings SET settings_json = $1, version = version + 1, \
         updated_at = $2 WHERE tenant_id = $3 AND version = $4",
        vec![
            text(json),
            ts(now),
            text(tenant),
            Value::BigInt(Some(expected)),
        ],
    )
    .await
}

/// Sets the privacy policy version consumers must accept.
pub async fn set_privacy_version(
    conn: &impl ConnectionTrait,
    tenant: &str,
    version: &str,
) -> Result<(), DbErr> {
    exec(
        conn,
        "UPDATE identity_tenants SET privacy_policy_version = $1 WHERE id = $2",
        vec![text(version), text(tenant)],
    )
    .await?;
    Ok(())
}

/// Locks the tenant row until the transaction ends: app removal and pay configuration
/// serialise on it, so the pay app can never be removed under a concurrent SetWeChatPayConfig.
pub async fn lock_tenant(conn: &impl ConnectionTrait, tenant: &str) -> Result<bool, DbErr> {
    Ok(one(
        conn,
        &format!(
            "SELECT id FROM identity_tenants WHERE id = $1{}",
            for_update(conn)
        ),
        vec![text(tenant)],
    )
    .await?
    .is_some())
}

/// Every app of a tenant, by app id.
pub async fn apps(conn: &impl ConnectionTrait, tenant: &str) -> Result<Vec<AppRow>, DbErr> {
    let rows = all(
        conn,
        "SELECT app_id, tenant_id, kind, name, secret_enc, secret_last4, enabled \
         FROM identity_apps WHERE tenant_id = $1 ORDER BY app_id",
        vec![text(tenant)],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AppRow {
                app_id: row.try_get("", "app_id")?,
                tenant_id: row.try_get("", "tenant_id")?,
                kind: row.try_get("", "kind")?,
                name: row.try_get("", "name")?,
                secret_enc: row.try_get("", "secret_enc")?,
                secret_last4: row.try_get("", "secret_last4")?,
                enabled: row.try_get("", "enabled")?,
            })
        })
        .collect()
}

/// Deletes an app of a tenant; returns the rows deleted.
pub async fn delete_app(
    conn: &impl ConnectionTrait,
    tenant: &str,
    app_id: &str,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "DELETE FROM identity_apps WHERE app_id = $1 AND tenant_id = $2",
        vec![text(app_id), text(tenant)],
    )
    .await
}

const PAY_COLUMNS: &str = "tenant_id, mch_id, app_id, merchant_serial_no, api_v3_key_enc, \
    private_key_enc, public_key_id, public_key_pem, key_updated_at";

/// The WeChat Pay configuration of a tenant.
pub async fn pay(conn: &impl ConnectionTrait, tenant: &str) -> Result<Option<PayRow>, DbErr> {
    let Some(row) = one(
        conn,
        &format!("SELECT {PAY_COLUMNS} FROM identity_pay_configs WHERE tenant_id = $1"),
        vec![text(tenant)],
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(PayRow {
        tenant_id: row.try_get("", "tenant_id")?,
        mch_id: row.try_get("", "mch_id")?,
        app_id: row.try_get("", "app_id")?,
        merchant_serial_no: row.try_get("", "merchant_serial_no")?,
        api_v3_key_enc: row.try_get("", "api_v3_key_enc")?,
        private_key_enc: row.try_get("", "private_key_enc")?,
        public_key_id: row.try_get("", "public_key_id")?,
        public_key_pem: row.try_get("", "public_key_pem")?,
        key_updated_at: row.try_get("", "key_updated_at")?,
    }))
}

/// Inserts or replaces the WeChat Pay configuration of `p.tenant_id`.
pub async fn put_pay(
    conn: &impl ConnectionTrait,
    p: &PayRow,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let values = vec![
        text(&p.tenant_id),
        text(&p.mch_id),
        text(&p.app_id),
        text(&p.merchant_serial_no),
        Value::Bytes(Some(p.api_v3_key_enc.clone())),
        Value::Bytes(Some(p.private_key_enc.clone())),
        text(&p.public_key_id),
        text(&p.public_key_pem),
        ts(p.key_updated_at),
        ts(now),
    ];
    exec(
        conn,
        &format!(
            "INSERT INTO identity_pay_configs ({PAY_COLUMNS}, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (tenant_id) DO UPDATE SET \
             mch_id = $2, app_id = $3, merchant_serial_no = $4, api_v3_key_enc = $5, \
             private_key_enc = $6, public_key_id = $7, public_key_pem = $8, \
             key_updated_at = $9, updated_at = $10"
        ),
        values,
    )
    .await?;
    Ok(())
}

/// Every tenant, newest first.
pub async fn list_tenants(conn: &impl ConnectionTrait) -> Result<Vec<TenantRow>, DbErr> {
    let rows = all(
        conn,
        "SELECT id, code, name, status, is_platform, root_org_id, privacy_policy_version, \
         created_at, updated_at FROM identity_tenants ORDER BY created_at DESC, id DESC",
        vec![],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TenantRow {
                id: row.try_get("", "id")?,
                code: row.try_get("", "code")?,
                name: row.try_get("", "name")?,
                status: row.try_get("", "status")?,
                is_platform: row.try_get("", "is_platform")?,
                root_org_id: row.try_get("", "root_org_id")?,
                privacy_policy_version: row.try_get("", "privacy_policy_version")?,
                created_at: row.try_get("", "created_at")?,
                updated_at: row.try_get("", "updated_at")?,
            })
        })
        .collect()
}

/// Writes a tenant's name and status (the row must be locked by the caller).
pub async fn update_tenant(conn: &impl ConnectionTrait, t: &TenantRow) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_tenants SET name = $1, status = $2, version = version + 1, \
         updated_at = $3 WHERE id = $4",
        vec![
            text(&t.name),
            text(&t.status),
            ts(t.updated_at),
            text(&t.id),
        ],
    )
    .await
}

/// Revokes every live session of a tenant (suspension); returns the sessions revoked. Their
/// refresh tokens die with them (RefreshSession refuses any token of a revoked session before
/// spending it). The refresh tokens are deliberately not updated here: a racing refresh holds
/// its token row and then waits for its session row, so touching both would deadlock with it.
pub async fn revoke_tenant_sessions(
    conn: &impl ConnectionTrait,
    tenant: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_sessions SET revoked_at = $1, revoke_reason = 'tenant_suspended' \
         WHERE tenant_id = $2 AND revoked_at IS NULL",
        vec![ts(now), text(tenant)],
    )
    .await
}
