//! Staff administration storage: account updates under a version check, role grants with
//! their org units, and guide codes.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::repo::staff::StaffRow;
use crate::repo::{all, exec, one, text, ts, ts_opt};

/// Writes every mutable column of `s` when the stored version is `expected`; returns the rows
/// changed (0 = a concurrent change won).
#[tracing::instrument(skip_all, fields(tenant = %s.tenant_id, staff = %s.id))]
pub async fn update(
    conn: &impl ConnectionTrait,
    s: &StaffRow,
    expected: i64,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_staff SET display_name = $3, employee_no = $4, phone = $5, email = $6, \
         avatar_url = $7, wecom_user_id = $8, home_org_id = $9, status = $10, \
         must_change_password = $11, password_hash = $12, failed_attempts = $13, \
         failure_window_start = $14, locked_until = $15, version = $16, updated_at = $17 \
         WHERE id = $1 AND tenant_id = $2 AND version = $18",
        vec![
            text(&s.id),
            text(&s.tenant_id),
            text(&s.display_name),
            text(&s.employee_no),
            text(&s.phone),
            text(&s.email),
            text(&s.avatar_url),
            text(&s.wecom_user_id),
            text(&s.home_org_id),
            text(&s.status),
            Value::Bool(Some(s.must_change_password)),
            text(&s.password_hash),
            Value::Int(Some(s.failed_attempts)),
            ts_opt(s.failure_window_start),
            ts_opt(s.locked_until),
            Value::BigInt(Some(s.version)),
            ts(s.updated_at),
            Value::BigInt(Some(expected)),
        ],
    )
    .await
}

/// Every staff account of a tenant, by display name.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn list(conn: &impl ConnectionTrait, tenant: &str) -> Result<Vec<StaffRow>, DbErr> {
    let rows = all(
        conn,
        &format!(
            "SELECT {} FROM identity_staff WHERE tenant_id = $1 ORDER BY display_name, id",
            crate::repo::staff::COLUMNS
        ),
        vec![text(tenant)],
    )
    .await?;
    rows.iter().map(crate::repo::staff::decode).collect()
}

/// Materialized paths of every org unit of a tenant, by id.
pub async fn org_paths(
    conn: &impl ConnectionTrait,
    tenant: &str,
) -> Result<std::collections::HashMap<String, String>, DbErr> {
    let rows = all(
        conn,
        "SELECT id, path FROM identity_org_units WHERE tenant_id = $1",
        vec![text(tenant)],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "path")?)))
        .collect()
}

/// True when another account of the tenant has this employee number.
pub async fn employee_no_taken(
    conn: &impl ConnectionTrait,
    tenant: &str,
    employee_no: &str,
    except: &str,
) -> Result<bool, DbErr> {
    Ok(one(
        conn,
        "SELECT id FROM identity_staff WHERE tenant_id = $1 AND employee_no = $2 AND id <> $3",
        vec![text(tenant), text(employee_no), text(except)],
    )
    .await?
    .is_some())
}

/// Marks a successful login.
pub async fn touch_login(
    conn: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    exec(
        conn,
        "UPDATE identity_staff SET last_login_at = $1 WHERE id = $2",
        vec![ts(now), text(id)],
    )
    .await?;
    Ok(())
}

/// A role grant with its org unit.
#[derive(Debug, Clone)]
pub struct GrantRow {
    /// Grant id.
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
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

const GRANT_COLUMNS: &str = "r.id, r.tenant_id, r.staff_id, r.role, r.org_unit_id, \
    o.name AS org_unit_name, o.path AS org_path, r.granted_by, r.created_at";
const GRANT_FROM: &str = "FROM identity_staff_roles r JOIN identity_org_units o \
    ON o.id = r.org_unit_id AND o.tenant_id = r.tenant_id";

/// Grants of a tenant, optionally of one staff member, oldest first.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn grants(
    conn: &impl ConnectionTrait,
    tenant: &str,
    staff_id: Option<&str>,
) -> Result<Vec<GrantRow>, DbErr> {
    let rows = all(
        conn,
        &format!(
            "SELECT {GRANT_COLUMNS} {GRANT_FROM} WHERE r.tenant_id = $1 \
             AND ($2 = '' OR r.staff_id = $2) ORDER BY r.created_at, r.id"
        ),
        vec![text(tenant), text(staff_id.unwrap_or_default())],
    )
    .await?;
    rows.iter().map(decode_grant).collect()
}

/// One grant.
#[tracing::instrument(skip_all, fields(tenant, grant = id))]
pub async fn grant_by_id(
    conn: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
) -> Result<Option<GrantRow>, DbErr> {
    one(
        conn,
        &format!("SELECT {GRANT_COLUMNS} {GRANT_FROM} WHERE r.tenant_id = $1 AND r.id = $2"),
        vec![text(tenant), text(id)],
    )
    .await?
    .map(|r| decode_grant(&r))
    .transpose()
}

/// Inserts a grant; false when (staff, role, unit) already exists.
pub async fn insert_grant(conn: &impl ConnectionTrait, g: &GrantRow) -> Result<bool, DbErr> {
    let n = exec(
        conn,
        "INSERT INTO identity_staff_roles (id, tenant_id, staff_id, role, org_unit_id, \
         created_at, granted_by) VALUES ($1,$2,$3,$4,$5,$6,$7) \
         ON CONFLICT (staff_id, role, org_unit_id) DO NOTHING",
        vec![
            text(&g.id),
            text(&g.tenant_id),
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
    tenant: &str,
    id: &str,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "DELETE FROM identity_staff_roles WHERE tenant_id = $1 AND id = $2",
        vec![text(tenant), text(id)],
    )
    .await
}

/// Active staff other than `except` holding tenant_admin on `root`.
pub async fn other_root_admins(
    conn: &impl ConnectionTrait,
    tenant: &str,
    root: &str,
    except: &str,
) -> Result<i64, DbErr> {
    let row = one(
        conn,
        "SELECT COUNT(*) AS n FROM identity_staff_roles r JOIN identity_staff s ON s.id = r.staff_id \
         WHERE r.tenant_id = $1 AND r.role = 'tenant_admin' AND r.org_unit_id = $2 \
         AND s.status = 'ACTIVE' AND s.id <> $3",
        vec![text(tenant), text(root), text(except)],
    )
    .await?;
    row.map_or(Ok(0), |r| r.try_get("", "n"))
}

fn decode_grant(r: &sea_orm::QueryResult) -> Result<GrantRow, DbErr> {
    Ok(GrantRow {
        id: r.try_get("", "id")?,
        tenant_id: r.try_get("", "tenant_id")?,
        staff_id: r.try_get("", "staff_id")?,
        role: r.try_get("", "role")?,
        org_unit_id: r.try_get("", "org_unit_id")?,
        org_unit_name: r.try_get("", "org_unit_name")?,
        org_path: r.try_get("", "org_path")?,
        granted_by: r.try_get("", "granted_by")?,
        created_at: r.try_get("", "created_at")?,
    })
}

/// A guide code.
#[derive(Debug, Clone)]
pub struct GuideRow {
    /// The code.
    pub code: String,
    /// Tenant.
    pub tenant_id: String,
    /// Guide.
    pub staff_id: String,
    /// Store.
    pub store_id: String,
    /// Current code of (guide, store).
    pub active: bool,
    /// Issued.
    pub created_at: DateTime<Utc>,
    /// When it stops resolving (retired codes).
    pub retire_at: Option<DateTime<Utc>>,
}

const GUIDE_COLUMNS: &str = "code, tenant_id, staff_id, store_id, active, created_at, retire_at";

/// Inserts a code (a unique violation means the random code is taken; the caller retries).
pub async fn insert_guide_code(conn: &impl ConnectionTrait, g: &GuideRow) -> Result<(), DbErr> {
    exec(
        conn,
        &format!(
            "INSERT INTO identity_guide_codes ({GUIDE_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7)"
        ),
        vec![
            text(&g.code),
            text(&g.tenant_id),
            text(&g.staff_id),
            text(&g.store_id),
            Value::Bool(Some(g.active)),
            ts(g.created_at),
            ts_opt(g.retire_at),
        ],
    )
    .await?;
    Ok(())
}

/// Codes of a tenant, newest first, optionally of one guide and/or store.
pub async fn guide_codes(
    conn: &impl ConnectionTrait,
    tenant: &str,
    staff_id: &str,
    store_id: &str,
) -> Result<Vec<GuideRow>, DbErr> {
    let rows = all(
        conn,
        &format!(
            "SELECT {GUIDE_COLUMNS} FROM identity_guide_codes WHERE tenant_id = $1 \
             AND ($2 = '' OR staff_id = $2) AND ($3 = '' OR store_id = $3) \
             ORDER BY created_at DESC, code"
        ),
        vec![text(tenant), text(staff_id), text(store_id)],
    )
    .await?;
    rows.iter().map(decode_guide).collect()
}

/// A code of a tenant.
pub async fn guide_code(
    conn: &impl ConnectionTrait,
    tenant: &str,
    code: &str,
) -> Result<Option<GuideRow>, DbErr> {
    one(
        conn,
        &format!(
            "SELECT {GUIDE_COLUMNS} FROM identity_guide_codes WHERE tenant_id = $1 AND code = $2"
        ),
        vec![text(tenant), text(code)],
    )
    .await?
    .map(|r| decode_guide(&r))
    .transpose()
}

/// Retires the active codes of a guide (at one store, or everywhere with `store_id` = '')
/// as of `at`; returns how many.
pub async fn retire_guide_codes(
    conn: &impl ConnectionTrait,
    tenant: &str,
    staff_id: &str,
    store_id: &str,
    at: DateTime<Utc>,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_guide_codes SET active = $1, retire_at = $2 WHERE tenant_id = $3 \
         AND staff_id = $4 AND ($5 = '' OR store_id = $5) AND active = $6",
        vec![
            Value::Bool(Some(false)),
            ts(at),
            text(tenant),
            text(staff_id),
            text(store_id),
            Value::Bool(Some(true)),
        ],
    )
    .await
}

fn decode_guide(r: &sea_orm::QueryResult) -> Result<GuideRow, DbErr> {
    Ok(GuideRow {
        code: r.try_get("", "code")?,
        tenant_id: r.try_get("", "tenant_id")?,
        staff_id: r.try_get("", "staff_id")?,
        store_id: r.try_get("", "store_id")?,
        active: r.try_get("", "active")?,
        created_at: r.try_get("", "created_at")?,
        retire_at: r.try_get("", "retire_at")?,
    })
}
