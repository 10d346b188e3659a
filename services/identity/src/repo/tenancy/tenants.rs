//! Tenants: rows, look-ups by id or code, the root org unit of a new tenant, and the tenant
//! row lock that suspension, app removal and pay configuration serialise on.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::tenancy::TenantStatus;
use crate::repo::{
    execute, exists, fetch_all, fetch_one, for_update, stored, stored_tenant, tenant_text, text, ts,
};

/// A tenant.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// Tenant id.
    pub id: TenantId,
    /// Unique slug.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Whether it is in business.
    pub status: TenantStatus,
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

/// A row of [`TENANT_COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct TenantRow {
    id: String,
    code: String,
    name: String,
    status: String,
    is_platform: bool,
    root_org_id: String,
    privacy_policy_version: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<TenantRow> for Tenant {
    type Error = AppError;

    fn try_from(r: TenantRow) -> Result<Self, AppError> {
        Ok(Self {
            status: stored("identity_tenants", &r.status)?,
            id: stored_tenant("identity_tenants", &r.id)?,
            code: r.code,
            name: r.name,
            is_platform: r.is_platform,
            root_org_id: r.root_org_id,
            privacy_policy_version: r.privacy_policy_version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

pub(super) const TENANT_COLUMNS: &str = "id, code, name, status, is_platform, root_org_id, \
    privacy_policy_version, created_at, updated_at";

/// Tenants of a query selecting [`TENANT_COLUMNS`].
pub(super) async fn tenants(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<Tenant>, AppError> {
    fetch_all::<TenantRow>(conn, sql, values)
        .await?
        .into_iter()
        .map(Tenant::try_from)
        .collect()
}

/// Inserts a tenant.
#[tracing::instrument(skip_all, fields(tenant = %t.id))]
pub async fn insert(conn: &impl ConnectionTrait, t: &Tenant) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO identity_tenants (id, code, name, status, is_platform, root_org_id, \
         privacy_policy_version, settings_json, version, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,'{}',1,$8,$9)",
        vec![
            tenant_text(t.id),
            text(&t.code),
            text(&t.name),
            text(t.status.as_str()),
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
pub async fn get(conn: &impl ConnectionTrait, id: TenantId) -> Result<Option<Tenant>, AppError> {
    by(conn, "id", &id.to_string()).await
}

/// A tenant by code.
pub async fn by_code(conn: &impl ConnectionTrait, code: &str) -> Result<Option<Tenant>, AppError> {
    by(conn, "code", code).await
}

async fn by(
    conn: &impl ConnectionTrait,
    column: &str,
    value: &str,
) -> Result<Option<Tenant>, AppError> {
    fetch_one::<TenantRow>(
        conn,
        &format!("SELECT {TENANT_COLUMNS} FROM identity_tenants WHERE {column} = $1"),
        vec![text(value)],
    )
    .await?
    .map(Tenant::try_from)
    .transpose()
}

/// Inserts an org unit (root HQ at tenant creation).
pub async fn insert_root_org(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO identity_org_units (id, tenant_id, parent_id, kind, code, name, path, depth, \
         status, address, latitude, longitude, phone, opening_hours, version, created_at, updated_at) \
         VALUES ($1,$2,NULL,'HQ','HQ',$3,$1,0,'ACTIVE','',NULL,NULL,'','',1,$4,$4)",
        vec![text(id), tenant_text(tenant), text(name), ts(now)],
    )
    .await?;
    Ok(())
}

/// Locks the tenant row until the transaction ends: app removal and pay configuration
/// serialise on it, so the pay app can never be removed under a concurrent SetWeChatPayConfig.
pub async fn lock_tenant(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<bool, AppError> {
    exists(
        conn,
        &format!(
            "SELECT id FROM identity_tenants WHERE id = $1{}",
            for_update(conn)
        ),
        vec![tenant_text(tenant)],
    )
    .await
}
