//! Staff administration storage: account updates under a version check, listings, the org
//! paths of staff and the last-login stamp.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::staff::accounts::{COLUMNS, Staff, accounts};
use crate::repo::{execute, exists, fetch_all, tenant_text, text, ts, ts_opt};

/// Writes every mutable column of `s` when the stored version is `expected`; returns the rows
/// changed (0 = a concurrent change won).
#[tracing::instrument(skip_all, fields(tenant = %s.tenant_id, staff = %s.id))]
pub async fn update(
    conn: &impl ConnectionTrait,
    s: &Staff,
    expected: i64,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_staff SET display_name = $3, employee_no = $4, phone = $5, email = $6, \
         avatar_url = $7, wecom_user_id = $8, home_org_id = $9, status = $10, \
         must_change_password = $11, password_hash = $12, failed_attempts = $13, \
         failure_window_start = $14, locked_until = $15, version = $16, updated_at = $17 \
         WHERE id = $1 AND tenant_id = $2 AND version = $18",
        vec![
            text(&s.id),
            tenant_text(s.tenant_id),
            text(&s.display_name),
            text(&s.employee_no),
            text(&s.phone),
            text(&s.email),
            text(&s.avatar_url),
            text(&s.wecom_user_id),
            text(&s.home_org_id),
            text(s.status.as_str()),
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
pub async fn list(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<Staff>, AppError> {
    accounts(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM identity_staff WHERE tenant_id = $1 ORDER BY display_name, id"
        ),
        vec![tenant_text(tenant)],
    )
    .await
}

/// An (org unit id, path) row.
#[derive(Debug, FromQueryResult)]
struct PathRow {
    id: String,
    path: String,
}

/// Materialized paths of every org unit of a tenant, by id.
pub async fn org_paths(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let rows = fetch_all::<PathRow>(
        conn,
        "SELECT id, path FROM identity_org_units WHERE tenant_id = $1",
        vec![tenant_text(tenant)],
    )
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.path)).collect())
}

/// True when another account of the tenant has this employee number.
pub async fn employee_no_taken(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    employee_no: &str,
    except: &str,
) -> Result<bool, AppError> {
    exists(
        conn,
        "SELECT id FROM identity_staff WHERE tenant_id = $1 AND employee_no = $2 AND id <> $3",
        vec![tenant_text(tenant), text(employee_no), text(except)],
    )
    .await
}

/// Marks a successful login.
pub async fn touch_login(
    conn: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE identity_staff SET last_login_at = $1 WHERE id = $2",
        vec![ts(now), text(id)],
    )
    .await?;
    Ok(())
}
