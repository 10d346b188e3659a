//! Staff accounts, role grants and login-failure counters.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::staff::StaffStatus;
use crate::repo::{
    execute, fetch_all, fetch_one, stored, stored_tenant, tenant_text, text, ts, ts_opt,
};

/// A staff account.
#[derive(Debug, Clone)]
pub struct Staff {
    /// Staff id.
    pub id: String,
    /// Tenant.
    pub tenant_id: TenantId,
    /// Login name.
    pub login_name: String,
    /// Display name.
    pub display_name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Whether it may log in.
    pub status: StaffStatus,
    /// The next login must change the password.
    pub must_change_password: bool,
    /// Failures in the current window.
    pub failed_attempts: i32,
    /// When the current failure window began.
    pub failure_window_start: Option<DateTime<Utc>>,
    /// Locked until.
    pub locked_until: Option<DateTime<Utc>>,
    /// Home org unit.
    pub home_org_id: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Employee number ('' = unset).
    pub employee_no: String,
    /// Mobile phone ('' = unset).
    pub phone: String,
    /// Work e-mail.
    pub email: String,
    /// Avatar URL.
    pub avatar_url: String,
    /// WeCom user id.
    pub wecom_user_id: String,
    /// Optimistic concurrency version (the etag).
    pub version: i64,
    /// Last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A row of [`COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct StaffRow {
    id: String,
    tenant_id: String,
    login_name: String,
    display_name: String,
    password_hash: String,
    status: String,
    must_change_password: bool,
    failed_attempts: i32,
    failure_window_start: Option<DateTime<Utc>>,
    locked_until: Option<DateTime<Utc>>,
    home_org_id: String,
    created_at: DateTime<Utc>,
    employee_no: String,
    phone: String,
    email: String,
    avatar_url: String,
    wecom_user_id: String,
    version: i64,
    last_login_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<StaffRow> for Staff {
    type Error = AppError;

    fn try_from(r: StaffRow) -> Result<Self, AppError> {
        Ok(Self {
            status: stored("identity_staff", &r.status)?,
            id: r.id,
            tenant_id: stored_tenant("identity_staff", &r.tenant_id)?,
            login_name: r.login_name,
            display_name: r.display_name,
            password_hash: r.password_hash,
            must_change_password: r.must_change_password,
            failed_attempts: r.failed_attempts,
            failure_window_start: r.failure_window_start,
            locked_until: r.locked_until,
            home_org_id: r.home_org_id,
            created_at: r.created_at,
            employee_no: r.employee_no,
            phone: r.phone,
            email: r.email,
            avatar_url: r.avatar_url,
            wecom_user_id: r.wecom_user_id,
            version: r.version,
            last_login_at: r.last_login_at,
            updated_at: r.updated_at,
        })
    }
}

/// The accounts of a query selecting [`COLUMNS`].
pub(super) async fn accounts(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<Staff>, AppError> {
    fetch_all::<StaffRow>(conn, sql, values)
        .await?
        .into_iter()
        .map(Staff::try_from)
        .collect()
}

/// The account of a query selecting [`COLUMNS`], if any.
async fn account(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<Staff>, AppError> {
    fetch_one::<StaffRow>(conn, sql, values)
        .await?
        .map(Staff::try_from)
        .transpose()
}

pub(crate) const COLUMNS: &str = "id, tenant_id, login_name, display_name, password_hash, status, \
    must_change_password, failed_attempts, failure_window_start, locked_until, home_org_id, \
    created_at, employee_no, phone, email, avatar_url, wecom_user_id, version, last_login_at, \
    updated_at";

/// Inserts a staff account.
#[tracing::instrument(skip_all, fields(staff = %s.id))]
pub async fn insert(conn: &impl ConnectionTrait, s: &Staff) -> Result<(), AppError> {
    execute(
        conn,
        &format!(
            "INSERT INTO identity_staff ({COLUMNS}) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$12)"
        ),
        vec![
            text(&s.id),
            tenant_text(s.tenant_id),
            text(&s.login_name),
            text(&s.display_name),
            text(&s.password_hash),
            text(s.status.as_str()),
            Value::Bool(Some(s.must_change_password)),
            Value::Int(Some(s.failed_attempts)),
            ts_opt(s.failure_window_start),
            ts_opt(s.locked_until),
            text(&s.home_org_id),
            ts(s.created_at),
            text(&s.employee_no),
            text(&s.phone),
            text(&s.email),
            text(&s.avatar_url),
            text(&s.wecom_user_id),
            Value::BigInt(Some(s.version.max(1))),
            ts_opt(s.last_login_at),
        ],
    )
    .await?;
    Ok(())
}

/// Grants `role` on `org_unit_id` (by the system: bootstrap, tenant creation).
pub async fn grant(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: &str,
    role: &str,
    org_unit_id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO identity_staff_roles (id, tenant_id, staff_id, role, org_unit_id, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6)",
        vec![
            text(siyu_core::id::new_string()),
            tenant_text(tenant),
            text(staff_id),
            text(role),
            text(org_unit_id),
            ts(now),
        ],
    )
    .await?;
    Ok(())
}

/// A staff member by login name in a tenant.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn by_login(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    login_name: &str,
) -> Result<Option<Staff>, AppError> {
    account(
        conn,
        &format!("SELECT {COLUMNS} FROM identity_staff WHERE tenant_id = $1 AND login_name = $2"),
        vec![tenant_text(tenant), text(login_name)],
    )
    .await
}

/// A staff member by store code + employee number: the employee number must match exactly one
/// account whose primary unit is the store or who holds a role on it (None when there is no
/// such account or the pair is ambiguous).
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn by_employee_no(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    store_code: &str,
    employee_no: &str,
) -> Result<Option<Staff>, AppError> {
    let mut found = accounts(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM identity_staff s WHERE s.tenant_id = $1 AND s.employee_no = $2 \
             AND s.employee_no <> '' AND EXISTS (SELECT 1 FROM identity_org_units o \
             WHERE o.tenant_id = s.tenant_id AND o.code = $3 AND (o.id = s.home_org_id \
             OR EXISTS (SELECT 1 FROM identity_staff_roles r WHERE r.tenant_id = s.tenant_id \
             AND r.staff_id = s.id AND r.org_unit_id = o.id))) LIMIT 2"
        ),
        vec![tenant_text(tenant), text(employee_no), text(store_code)],
    )
    .await?;
    Ok(if found.len() == 1 { found.pop() } else { None })
}

/// A staff member by id in a tenant.
#[tracing::instrument(skip_all, fields(tenant, staff = id))]
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<Option<Staff>, AppError> {
    account(
        conn,
        &format!("SELECT {COLUMNS} FROM identity_staff WHERE tenant_id = $1 AND id = $2"),
        vec![tenant_text(tenant), text(id)],
    )
    .await
}

/// Takes the account's row lock until the transaction ends (an UPDATE, so it also serialises
/// on SQLite's write lock).
pub async fn lock(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: &str,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE identity_staff SET updated_at = updated_at WHERE tenant_id = $1 AND id = $2",
        vec![tenant_text(tenant), text(staff_id)],
    )
    .await?;
    Ok(())
}

/// Stores the failure counter and lock of an account.
pub async fn set_failures(
    conn: &impl ConnectionTrait,
    id: &str,
    failed_attempts: i32,
    window_start: Option<DateTime<Utc>>,
    locked_until: Option<DateTime<Utc>>,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE identity_staff SET failed_attempts = $1, failure_window_start = $2, \
         locked_until = $3 WHERE id = $4",
        vec![
            Value::Int(Some(failed_attempts)),
            ts_opt(window_start),
            ts_opt(locked_until),
            text(id),
        ],
    )
    .await?;
    Ok(())
}

/// Sets a new password hash and clears the forced-change flag.
pub async fn set_password(
    conn: &impl ConnectionTrait,
    id: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE identity_staff SET password_hash = $1, must_change_password = $2, updated_at = $3 \
         WHERE id = $4",
        vec![text(hash), Value::Bool(Some(false)), ts(now), text(id)],
    )
    .await?;
    Ok(())
}

/// A (role, org path) row.
#[derive(Debug, FromQueryResult)]
struct ClaimRow {
    role: String,
    path: String,
}

/// The (role, org path) grants of a staff member; the path is the org unit's materialized path.
pub async fn role_claims(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    staff_id: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let rows = fetch_all::<ClaimRow>(
        conn,
        "SELECT r.role, o.path FROM identity_staff_roles r JOIN identity_org_units o \
         ON o.id = r.org_unit_id AND o.tenant_id = r.tenant_id \
         WHERE r.tenant_id = $1 AND r.staff_id = $2 ORDER BY r.created_at",
        vec![tenant_text(tenant), text(staff_id)],
    )
    .await?;
    Ok(rows.into_iter().map(|r| (r.role, r.path)).collect())
}
