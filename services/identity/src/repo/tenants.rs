//! Tenants and their WeChat applications.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::repo::{exec, one, text, ts};

/// A tenant row.
#[derive(Debug, Clone)]
pub struct TenantRow {
    /// Tenant id.
    pub id: String,
    /// Unique slug.
    pub code: String,
    /// Display name.
    pub name: String,
    /// ACTIVE or SUSPENDED.
    pub status: String,
    /// The platform operator's tenant.
    pub is_platform: bool,
    /// The HQ org unit.
    pub root_org_id: String,
    /// Privacy policy version.
    pub privacy_policy_version: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Updated.
    pub updated_at: DateTime<Utc>,
}

/// An application row (secret still sealed).
#[derive(Debug, Clone)]
pub struct AppRow {
    /// App id.
    pub app_id: String,
    /// Owner.
    pub tenant_id: String,
    /// MINI_PROGRAM, OFFICIAL_ACCOUNT, WECOM, H5.
    pub kind: String,
    /// Display name.
    pub name: String,
    /// Sealed secret.
    pub secret_enc: Option<Vec<u8>>,
    /// Last 4 characters of the secret.
    pub secret_last4: String,
    /// Enabled.
    pub enabled: bool,
}

const TENANT_COLUMNS: &str = "id, code, name, status, is_platform, root_org_id, \
    privacy_policy_version, created_at, updated_at";

/// Inserts a tenant.
#[tracing::instrument(skip_all, fields(tenant = %t.id))]
pub async fn insert(conn: &impl ConnectionTrait, t: &TenantRow) -> Result<(), DbErr> {
    exec(
        conn,
        "INSERT INTO identity_tenants (id, code, name, status, is_platform, root_org_id, \
         privacy_policy_version, settings_json, version, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,'{}',1,$8,$9)",
        vec![
            text(&t.id),
            text(&t.code),
            text(&t.name),
            text(&t.status),
            Value::Bool(Some(t.is_platform)),
            text(&t.root_org_id),
            text(&t.privacy_policy_version),
            ts(t.created_at),
            ts(t.updated_at),
        ],
    )
    .await?;
    Ok(())
}

/// A tenant by id.
pub async fn get(conn: &impl ConnectionTrait, id: &str) -> Result<Option<TenantRow>, DbErr> {
    by(conn, "id", id).await
}

/// A tenant by code.
pub async fn by_code(conn: &impl ConnectionTrait, code: &str) -> Result<Option<TenantRow>, DbErr> {
    by(conn, "code", code).await
}

async fn by(
    conn: &impl ConnectionTrait,
    column: &str,
    value: &str,
) -> Result<Option<TenantRow>, DbErr> {
    let Some(row) = one(
        conn,
        &format!("SELECT {TENANT_COLUMNS} FROM identity_tenants WHERE {column} = $1"),
        vec![text(value)],
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(TenantRow {
        id: row.try_get("", "id")?,
        code: row.try_get("", "code")?,
        name: row.try_get("", "name")?,
        status: row.try_get("", "status")?,
        is_platform: row.try_get("", "is_platform")?,
        root_org_id: row.try_get("", "root_org_id")?,
        privacy_policy_version: row.try_get("", "privacy_policy_version")?,
        created_at: row.try_get("", "created_at")?,
        updated_at: row.try_get("", "updated_at")?,
    }))
}

/// Inserts or updates an app of `tenant`; returns false when the app id belongs to another
/// tenant (nothing written).
#[tracing::instrument(skip_all, fields(tenant = %app.tenant_id))]
pub async fn upsert_app(
    conn: &impl ConnectionTrait,
    app: &AppRow,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let existing = get_app(conn, &app.app_id).await?;
    match existing {
        Some(found) if found.tenant_id != app.tenant_id => Ok(false),
        Some(_) => {
            exec(
                conn,
                "UPDATE identity_apps SET kind = $1, name = $2, \
                 secret_enc = COALESCE($3, secret_enc), secret_last4 = CASE WHEN $3 IS NULL \
                 THEN secret_last4 ELSE $4 END, enabled = $5 WHERE app_id = $6 AND tenant_id = $7",
                vec![
                    text(&app.kind),
                    text(&app.name),
                    Value::Bytes(app.secret_enc.clone()),
                    text(&app.secret_last4),
                    Value::Bool(Some(app.enabled)),
                    text(&app.app_id),
                    text(&app.tenant_id),
                ],
            )
            .await?;
            Ok(true)
        }
        None => {
            exec(
                conn,
                "INSERT INTO identity_apps (app_id, tenant_id, kind, name, secret_enc, \
                 secret_last4, agent_id, enabled, secret_updated_at, created_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,'',$7,$8,$8)",
                vec![
                    text(&app.app_id),
                    text(&app.tenant_id),
                    text(&app.kind),
                    text(&app.name),
                    Value::Bytes(app.secret_enc.clone()),
                    text(&app.secret_last4),
                    Value::Bool(Some(app.enabled)),
                    ts(now),
                ],
            )
            .await?;
            Ok(true)
        }
    }
}

/// An app by app id (any tenant: app ids are globally unique, as in WeChat).
pub async fn get_app(conn: &impl ConnectionTrait, app_id: &str) -> Result<Option<AppRow>, DbErr> {
    let Some(row) = one(
        conn,
        "SELECT app_id, tenant_id, kind, name, secret_enc, secret_last4, enabled \
         FROM identity_apps WHERE app_id = $1",
        vec![text(app_id)],
    )
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(AppRow {
        app_id: row.try_get("", "app_id")?,
        tenant_id: row.try_get("", "tenant_id")?,
        kind: row.try_get("", "kind")?,
        name: row.try_get("", "name")?,
        secret_enc: row.try_get("", "secret_enc")?,
        secret_last4: row.try_get("", "secret_last4")?,
        enabled: row.try_get("", "enabled")?,
    }))
}

/// Inserts an org unit (root HQ at tenant creation).
pub async fn insert_root_org(
    conn: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    exec(
        conn,
        "INSERT INTO identity_org_units (id, tenant_id, parent_id, kind, code, name, path, depth, \
         status, address, latitude, longitude, phone, opening_hours, version, created_at, updated_at) \
         VALUES ($1,$2,NULL,'HQ','HQ',$3,$1,0,'ACTIVE','',NULL,NULL,'','',1,$4,$4)",
        vec![text(id), text(tenant), text(name), ts(now)],
    )
    .await?;
    Ok(())
}
