//! Staff accounts, role grants and login-failure counters.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::repo::{all, exec, one, text, ts, ts_opt};

/// A staff row.
#[derive(Debug, Clone, Default)]
pub struct StaffRow {
    /// Staff id.
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
    /// Login name.
    pub login_name: String,
    /// Display name.
    pub display_name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// ACTIVE or DISABLED.
    pub status: String,
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

pub(crate) const COLUMNS: &str = "id, tenant_id, login_name, display_name, password_hash, status, \
    must_change_password, failed_attempts, failure_window_start, locked_until, home_org_id, \
    created_at, employee_no, phone, email, avatar_url, wecom_user_id, version, last_login_at, \
    updated_at";

/// Inserts a staff account.
#[tracing::instrument(skip_all, fields(staff = %s.id))]
pub async fn insert(conn: &impl ConnectionTrait, s: &StaffRow) -> Result<(), DbErr> {
    exec(
        conn,
        &format!(
            "INSERT INTO identity_staff ({COLUMNS}) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$12)"
        ),
        vec![
            text(&s.id),
            text(&s.tenant_id),
            text(&s.login_name),
            text(&s.display_name),
            text(&s.password_hash),
            text(&s.status),
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
    tenant: &str,
    staff_id: &str,
    role: &str,
    org_unit_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    exec(
        conn,
        "INSERT INTO identity_staff_roles (id, tenant_id, staff_id, role, org_unit_id, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6)",
        vec![
            text(siyu_core::id::new_string()),
            text(tenant),
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
    tenant: &str,
    login_name: &str,
) -> Result<Option<StaffRow>, DbErr> {
    one(
        conn,
        &format!("SELECT {COLUMNS} FROM identity_staff WHERE tenant_id = $1 AND login_name = $2"),
        vec![text(tenant), text(login_name)],
    )
    .await?
    .map(|row| decode(&row))
    .transpose()
}

/// A staff member by store code + employee number: the employee number must match exactly one
/// account whose primary unit is the store or who holds a role on it (None when there is no
/// such account or the pair is ambiguous).
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn by_employee_no(
    conn: &impl ConnectionTrait,
    tenant: &str,
    store_code: &str,
    employee_no: &str,
) -> Result<Option<StaffRow>, DbErr> {
    let rows = all(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM identity_staff s WHERE s.tenant_id = $1 AND s.employee_no = $2 \
             AND s.employee_no <> '' AND EXISTS (SELECT 1 FROM identity_org_units o \
             WHERE o.tenant_id = s.tenant_id AND o.code = $3 AND (o.id = s.home_org_id \
             OR EXISTS (SELECT 1 FROM identity_staff_roles r WHERE r.tenant_id = s.tenant_id \
             AND r.staff_id = s.id AND r.org_unit_id = o.id))) LIMIT 2"
        ),
        vec![text(tenant), text(employee_no), text(store_code)],
    )
    .await?;
    match rows.as_slice() {
        [row] => decode(row).map(Some),
        _ => Ok(None),
    }
}

/// A staff member by id in a tenant.
#[tracing::instrument(skip_all, fields(tenant, staff = id))]
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
) -> Result<Option<StaffRow>, DbErr> {
    one(
        conn,
        &format!("SELECT {COLUMNS} FROM identity_staff WHERE tenant_id = $1 AND id = $2"),
        vec![text(tenant), text(id)],
    )
    .await?
    .map(|row| decode(&row))
    .transpose()
}

/// Stores the failure counter and lock of an account.
pub async fn set_failures(
    conn: &impl ConnectionTrait,
    id: &str,
    failed_attempts: i32,
    window_start: Option<DateTime<Utc>>,
    locked_until: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    exec(
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
) -> Result<(), DbErr> {
    exec(
        conn,
        "UPDATE identity_staff SET password_hash = $1, must_change_password = $2, updated_at = $3 \
         WHERE id = $4",
        vec![text(hash), Value::Bool(Some(false)), ts(now), text(id)],
    )
    .await?;
    Ok(())
}

/// The (role, org path) grants of a staff member; the path is the org unit's materialized path.
pub async fn role_claims(
    conn: &impl ConnectionTrait,
    tenant: &str,
    staff_id: &str,
) -> Result<Vec<(String, String)>, DbErr> {
    let rows = all(
        conn,
        "SELECT r.role, o.path FROM identity_staff_roles r JOIN identity_org_units o \
         ON o.id = r.org_unit_id AND o.tenant_id = r.tenant_id \
         WHERE r.tenant_id = $1 AND r.staff_id = $2 ORDER BY r.created_at",
        vec![text(tenant), text(staff_id)],
    )
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "role")?, r.try_get("", "path")?)))
        .collect()
}

pub(crate) fn decode(row: &sea_orm::QueryResult) -> Result<StaffRow, DbErr> {
    Ok(StaffRow {
        id: row.try_get("", "id")?,
        tenant_id: row.try_get("", "tenant_id")?,
        login_name: row.try_get("", "login_name")?,
        display_name: row.try_get("", "display_name")?,
        password_hash: row.try_get("", "password_hash")?,
        status: row.try_get("", "status")?,
        must_change_password: row.try_get("", "must_change_password")?,
        failed_attempts: row.try_get("", "failed_attempts")?,
        failure_window_start: row.try_get("", "failure_window_start")?,
        locked_until: row.try_get("", "locked_until")?,
        home_org_id: row.try_get("", "home_org_id")?,
        created_at: row.try_get("", "created_at")?,
        employee_no: row.try_get("", "employee_no")?,
        phone: row.try_get("", "phone")?,
        email: row.try_get("", "email")?,
        avatar_url: row.try_get("", "avatar_url")?,
        wecom_user_id: row.try_get("", "wecom_user_id")?,
        version: row.try_get("", "version")?,
        last_login_at: row.try_get("", "last_login_at")?,
        updated_at: row.try_get("", "updated_at")?,
    })
}
