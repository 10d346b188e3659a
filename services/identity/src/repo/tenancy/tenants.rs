//! Tenants: rows, look-ups by id or code, the root org unit of a new tenant, and the tenant
//! row lock that suspension, app removal and pay configuration serialise on.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::repo::{exec, for_update, one, text, ts};

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
