//! Role grants with their org units (and paths), as the staff admin RPCs and token issuance
//! read them.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::{count, execute, fetch_all, fetch_one, stored_tenant, tenant_text, text, ts};

/// A role grant with its org unit.
#[derive(Debug, Clone)]
pub struct RoleGrant {
    /// Grant id.
    pub id: String,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Staff.
    pub staff_id: String,
    /// Role name (lower case).
    pub role: String,
    /// Org unit.
    pub org_unit_id: String,
    /// Its name.
    pub org_unit_name: String,
    /// Its materialized path.
    pub org_path: String,
    /// Who granted it.
    pub granted_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A row of [`GRANT_COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct GrantRow {
    id: String,
    tenant_id: String,
    staff_id: String,
    role: String,
    org_unit_id: String,
    org_unit_name: String,
    org_path: String,
    granted_by: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<GrantRow> for RoleGrant {
    type Error = AppError;

    fn try_from(r: GrantRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            tenant_id: stored_tenant("identity_staff_roles", &r.tenant_id)?,
            staff_id: r.staff_id,
            role: r.role,
            org_unit_id: r.org_unit_id,
            org_unit_name: r.org_unit_name,
            org_path: r.org_path,
            granted_by: r.granted_by,
            created_at: r.created_at,
        })
    }
}

const GRANT_COLUMNS: &str = "r.id, r.tenant_id, r.staff_id, r.role, r.org_unit_id, \
    o.name AS org_unit_name, o.path AS org_path, r.granted_by, r.created_at";
const GRANT_FROM: &str = "FROM identity_staff_roles r JOIN identity_org_units o \
    ON o.id = r.org_unit_id AND o.tenant_id = r.tenant_id";

/// Grants of a tenant, optionally of one staff member, oldest first.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn grants(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: Option<&str>,
) -> Result<Vec<RoleGrant>, AppError> {
    let rows = fetch_all::<GrantRow>(
        conn,
        &format!(
            "SELECT {GRANT_COLUMNS} {GRANT_FROM} WHERE r.tenant_id = $1 \
             AND ($2 = '' OR r.staff_id = $2) ORDER BY r.created_at, r.id"
        ),
        vec![tenant_text(tenant), text(staff_id.unwrap_or_default())],
    )
    .await?;
    rows.into_iter().map(RoleGrant::try_from).collect()
}

/// One grant.
#[tracing::instrument(skip_all, fields(tenant, grant = id))]
pub async fn grant_by_id(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<Option<RoleGrant>, AppError> {
    fetch_one::<GrantRow>(
        conn,
        &format!("SELECT {GRANT_COLUMNS} {GRANT_FROM} WHERE r.tenant_id = $1 AND r.id = $2"),
        vec![tenant_text(tenant), text(id)],
    )
    .await?
    .map(RoleGrant::try_from)
    .transpose()
}

/// Inserts a grant; false when (staff, role, unit) already exists.
pub async fn insert_grant(conn: &impl ConnectionTrait, g: &RoleGrant) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO identity_staff_roles (id, tenant_id, staff_id, role, org_unit_id, \
         created_at, granted_by) VALUES ($1,$2,$3,$4,$5,$6,$7) \
         ON CONFLICT (staff_id, role, org_unit_id) DO NOTHING",
        vec![
            text(&g.id),
            tenant_text(g.tenant_id),
            text(&g.staff_id),
            text(&g.role),
            text(&g.org_unit_id),
            ts(g.created_at),
            text(&g.granted_by),
        ],
    )
    .await?;
    Ok(n > 0)
}

/// Deletes a grant.
pub async fn delete_grant(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<u64, AppError> {
    execute(
        conn,
        "DELETE FROM identity_staff_roles WHERE tenant_id = $1 AND id = $2",
        vec![tenant_text(tenant), text(id)],
    )
    .await
}

/// Active staff other than `except` holding tenant_admin on `root`.
pub async fn other_root_admins(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    root: &str,
    except: &str,
) -> Result<i64, AppError> {
    count(
        conn,
        "SELECT COUNT(*) AS n FROM identity_staff_roles r JOIN identity_staff s ON s.id = r.staff_id \
         WHERE r.tenant_id = $1 AND r.role = 'tenant_admin' AND r.org_unit_id = $2 \
         AND s.status = 'ACTIVE' AND s.id <> $3",
        vec![tenant_text(tenant), text(root), text(except)],
    )
    .await
}
