//! Personal data export jobs: one row per request, the sealed JSON document once READY.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::privacy::ExportStatus;
use crate::repo::{
    execute, fetch_all, fetch_one, for_update, stored, stored_tenant, tenant_text, text, ts,
};

/// An export job as stored (without its payload).
#[derive(Debug, Clone)]
pub struct DataExport {
    /// Export id.
    pub id: String,
    /// Tenant.
    pub tenant_id: TenantId,
    /// The user whose data it holds.
    pub user_id: String,
    /// As stored (READY past `expires_at` reads as EXPIRED before the purge job runs).
    pub status: ExportStatus,
    /// App of the requesting consumer's session ('' for staff): other apps' openids are omitted.
    pub app_id: String,
    /// `consumer:<id>` or `staff:<id>`.
    pub requested_by: String,
    /// Requested.
    pub created_at: DateTime<Utc>,
    /// READY or FAILED.
    pub finished_at: Option<DateTime<Utc>>,
    /// When the payload is deleted.
    pub expires_at: Option<DateTime<Utc>>,
    /// Size of the document in bytes.
    pub size_bytes: i64,
    /// SHA-256 (hex) of the document.
    pub sha256: String,
}

/// A row of [`COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct ExportRow {
    id: String,
    tenant_id: String,
    user_id: String,
    status: String,
    app_id: String,
    requested_by: String,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    size_bytes: i64,
    sha256: String,
}

impl TryFrom<ExportRow> for DataExport {
    type Error = AppError;

    fn try_from(r: ExportRow) -> Result<Self, AppError> {
        Ok(Self {
            status: stored("identity_data_exports", &r.status)?,
            id: r.id,
            tenant_id: stored_tenant("identity_data_exports", &r.tenant_id)?,
            user_id: r.user_id,
            app_id: r.app_id,
            requested_by: r.requested_by,
            created_at: r.created_at,
            finished_at: r.finished_at,
            expires_at: r.expires_at,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
        })
    }
}

/// The export of a query selecting [`COLUMNS`], if any.
async fn export(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<DataExport>, AppError> {
    fetch_one::<ExportRow>(conn, sql, values)
        .await?
        .map(DataExport::try_from)
        .transpose()
}

/// A request time row.
#[derive(Debug, FromQueryResult)]
struct CreatedRow {
    created_at: DateTime<Utc>,
}

/// A payload row.
#[derive(Debug, FromQueryResult)]
struct PayloadRow {
    payload: Option<Vec<u8>>,
}

const COLUMNS: &str = "id, tenant_id, user_id, status, app_id, requested_by, created_at, \
     finished_at, expires_at, size_bytes, sha256";

/// Inserts a PENDING job.
pub async fn insert(conn: &impl ConnectionTrait, e: &DataExport) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO identity_data_exports (id, tenant_id, user_id, status, app_id, requested_by, \
         created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        vec![
            text(&e.id),
            tenant_text(e.tenant_id),
            text(&e.user_id),
            text(e.status.as_str()),
            text(&e.app_id),
            text(&e.requested_by),
            ts(e.created_at),
        ],
    )
    .await?;
    Ok(())
}

/// An export of the tenant by id.
#[tracing::instrument(skip_all, fields(tenant))]
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<Option<DataExport>, AppError> {
    export(
        conn,
        &format!("SELECT {COLUMNS} FROM identity_data_exports WHERE tenant_id = $1 AND id = $2"),
        vec![tenant_text(tenant), text(id)],
    )
    .await
}

/// The user's PENDING or RUNNING export, if any.
pub async fn live_for_user(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
) -> Result<Option<DataExport>, AppError> {
    export(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM identity_data_exports WHERE tenant_id = $1 AND user_id = $2 \
             AND status IN ('PENDING', 'RUNNING')"
        ),
        vec![tenant_text(tenant), text(user_id)],
    )
    .await
}

/// Request times of the user's exports since `since` that did not fail, oldest first.
pub async fn requested_since(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, AppError> {
    Ok(fetch_all::<CreatedRow>(
        conn,
        "SELECT created_at FROM identity_data_exports WHERE tenant_id = $1 AND user_id = $2 \
         AND created_at > $3 AND status <> 'FAILED' ORDER BY created_at",
        vec![tenant_text(tenant), text(user_id), ts(since)],
    )
    .await?
    .into_iter()
    .map(|r| r.created_at)
    .collect())
}

/// PENDING → RUNNING (a retried job finds it RUNNING already); false when the job has ended
/// meanwhile (the user was erased).
pub async fn mark_running(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE identity_data_exports SET status = 'RUNNING', started_at = $3 \
         WHERE tenant_id = $1 AND id = $2 AND status IN ('PENDING', 'RUNNING')",
        vec![tenant_text(tenant), text(id), ts(now)],
    )
    .await?;
    Ok(n == 1)
}

/// The export row locked for the runner's transaction.
pub async fn lock(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<Option<DataExport>, AppError> {
    export(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM identity_data_exports WHERE tenant_id = $1 AND id = $2{}",
            for_update(conn)
        ),
        vec![tenant_text(tenant), text(id)],
    )
    .await
}

/// The document of a finished export.
#[derive(Debug, Clone)]
pub struct Finished<'a> {
    /// The sealed JSON document.
    pub sealed: Vec<u8>,
    /// Size of the plain document.
    pub size_bytes: i64,
    /// SHA-256 (hex) of the plain document.
    pub sha256: &'a str,
    /// When it became READY.
    pub finished_at: DateTime<Utc>,
    /// When it is purged.
    pub expires_at: DateTime<Utc>,
}

/// RUNNING → READY with the sealed document.
pub async fn mark_ready(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
    f: Finished<'_>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_data_exports SET status = 'READY', payload = $3, size_bytes = $4, \
         sha256 = $5, finished_at = $6, expires_at = $7 \
         WHERE tenant_id = $1 AND id = $2 AND status = 'RUNNING'",
        vec![
            tenant_text(tenant),
            text(id),
            Value::Bytes(Some(f.sealed)),
            Value::BigInt(Some(f.size_bytes)),
            text(f.sha256),
            ts(f.finished_at),
            ts(f.expires_at),
        ],
    )
    .await
}

/// PENDING/RUNNING → FAILED with a non-PII cause.
pub async fn mark_failed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
    error: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_data_exports SET status = 'FAILED', error = $3, finished_at = $4 \
         WHERE tenant_id = $1 AND id = $2 AND status IN ('PENDING', 'RUNNING')",
        vec![tenant_text(tenant), text(id), text(error), ts(now)],
    )
    .await
}

/// READY → EXPIRED, deleting the payload.
pub async fn expire(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_data_exports SET status = 'EXPIRED', payload = NULL \
         WHERE tenant_id = $1 AND id = $2 AND status = 'READY'",
        vec![tenant_text(tenant), text(id)],
    )
    .await
}

/// The sealed payload of an export.
pub async fn payload(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> Result<Option<Vec<u8>>, AppError> {
    Ok(fetch_one::<PayloadRow>(
        conn,
        "SELECT payload FROM identity_data_exports WHERE tenant_id = $1 AND id = $2",
        vec![tenant_text(tenant), text(id)],
    )
    .await?
    .and_then(|r| r.payload))
}

/// Erasure: every export of the user loses its payload; jobs in flight fail.
pub async fn purge_user(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_data_exports SET status = CASE WHEN status IN ('PENDING', 'RUNNING') \
         THEN 'FAILED' ELSE 'EXPIRED' END, error = CASE WHEN status IN ('PENDING', 'RUNNING') \
         THEN 'user_erased' ELSE error END, finished_at = COALESCE(finished_at, $3), \
         payload = NULL WHERE tenant_id = $1 AND user_id = $2 AND status <> 'FAILED' \
         AND status <> 'EXPIRED'",
        vec![tenant_text(tenant), text(user_id), ts(now)],
    )
    .await
}
