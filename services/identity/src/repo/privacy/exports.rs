//! Personal data export jobs: one row per request, the sealed JSON document once READY.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::repo::{all, exec, for_update, one, text, ts};

/// An export job as stored (without its payload).
#[derive(Debug, Clone)]
pub struct ExportRow {
    /// Export id.
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
    /// The user whose data it holds.
    pub user_id: String,
    /// PENDING, RUNNING, READY, FAILED, EXPIRED (as stored; READY past `expires_at` reads as
    /// EXPIRED before the purge job runs).
    pub status: String,
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

const COLUMNS: &str = "id, tenant_id, user_id, status, app_id, requested_by, created_at, \
     finished_at, expires_at, size_bytes, sha256";

/// Inserts a PENDING job.
pub async fn insert(conn: &impl ConnectionTrait, e: &ExportRow) -> Result<(), DbErr> {
    exec(
        conn,
        "INSERT INTO identity_data_exports (id, tenant_id, user_id, status, app_id, requested_by, \
         created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)",
        vec![
            text(&e.id),
            text(&e.tenant_id),
            text(&e.user_id),
            text(&e.status),
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
    tenant: &str,
    id: &str,
) -> Result<Option<ExportRow>, DbErr> {
    one(
        conn,
        &format!("SELECT {COLUMNS} FROM identity_data_exports WHERE tenant_id = $1 AND id = $2"),
        vec![text(tenant), text(id)],
    )
    .await?
    .map(|row| decode(&row))
    .transpose()
}

/// The user's PENDING or RUNNING export, if any.
pub async fn live_for_user(
    conn: &impl ConnectionTrait,
    tenant: &str,
    user_id: &str,
) -> Result<Option<ExportRow>, DbErr> {
    one(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM identity_data_exports WHERE tenant_id = $1 AND user_id = $2 \
             AND status IN ('PENDING', 'RUNNING')"
        ),
        vec![text(tenant), text(user_id)],
    )
    .await?
    .map(|row| decode(&row))
    .transpose()
}

/// Request times of the user's exports since `since` that did not fail, oldest first.
pub async fn requested_since(
    conn: &impl ConnectionTrait,
    tenant: &str,
    user_id: &str,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, DbErr> {
    all(
        conn,
        "SELECT created_at FROM identity_data_exports WHERE tenant_id = $1 AND user_id = $2 \
         AND created_at > $3 AND status <> 'FAILED' ORDER BY created_at",
        vec![text(tenant), text(user_id), ts(since)],
    )
    .await?
    .iter()
    .map(|row| row.try_get("", "created_at"))
    .collect()
}

/// PENDING → RUNNING (a retried job finds it RUNNING already); false when the job has ended
/// meanwhile (the user was erased).
pub async fn mark_running(
    conn: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let n = exec(
        conn,
        "UPDATE identity_data_exports SET status = 'RUNNING', started_at = $3 \
         WHERE tenant_id = $1 AND id = $2 AND status IN ('PENDING', 'RUNNING')",
        vec![text(tenant), text(id), ts(now)],
    )
    .await?;
    Ok(n == 1)
}

/// The export row locked for the runner's transaction.
pub async fn lock(
    conn: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
) -> Result<Option<ExportRow>, DbErr> {
    one(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM identity_data_exports WHERE tenant_id = $1 AND id = $2{}",
            for_update(conn)
        ),
        vec![text(tenant), text(id)],
    )
    .await?
    .map(|row| decode(&row))
    .transpose()
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
    tenant: &str,
    id: &str,
    f: Finished<'_>,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_data_exports SET status = 'READY', payload = $3, size_bytes = $4, \
         sha256 = $5, finished_at = $6, expires_at = $7 \
         WHERE tenant_id = $1 AND id = $2 AND status = 'RUNNING'",
        vec![
            text(tenant),
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
    tenant: &str,
    id: &str,
    error: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_data_exports SET status = 'FAILED', error = $3, finished_at = $4 \
         WHERE tenant_id = $1 AND id = $2 AND status IN ('PENDING', 'RUNNING')",
        vec![text(tenant), text(id), text(error), ts(now)],
    )
    .await
}

/// READY → EXPIRED, deleting the payload.
pub async fn expire(conn: &impl ConnectionTrait, tenant: &str, id: &str) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_data_exports SET status = 'EXPIRED', payload = NULL \
         WHERE tenant_id = $1 AND id = $2 AND status = 'READY'",
        vec![text(tenant), text(id)],
    )
    .await
}

/// The sealed payload of an export.
pub async fn payload(
    conn: &impl ConnectionTrait,
    tenant: &str,
    id: &str,
) -> Result<Option<Vec<u8>>, DbErr> {
    Ok(one(
        conn,
        "SELECT payload FROM identity_data_exports WHERE tenant_id = $1 AND id = $2",
        vec![text(tenant), text(id)],
    )
    .await?
    .map(|row| row.try_get::<Option<Vec<u8>>>("", "payload"))
    .transpose()?
    .flatten())
}

/// Erasure: every export of the user loses its payload; jobs in flight fail.
pub async fn purge_user(
    conn: &impl ConnectionTrait,
    tenant: &str,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_data_exports SET status = CASE WHEN status IN ('PENDING', 'RUNNING') \
         THEN 'FAILED' ELSE 'EXPIRED' END, error = CASE WHEN status IN ('PENDING', 'RUNNING') \
         THEN 'user_erased' ELSE error END, finished_at = COALESCE(finished_at, $3), \
         payload = NULL WHERE tenant_id = $1 AND user_id = $2 AND status <> 'FAILED' \
         AND status <> 'EXPIRED'",
        vec![text(tenant), text(user_id), ts(now)],
    )
    .await
}

fn decode(row: &sea_orm::QueryResult) -> Result<ExportRow, DbErr> {
    Ok(ExportRow {
        id: row.try_get("", "id")?,
        tenant_id: row.try_get("", "tenant_id")?,
        user_id: row.try_get("", "user_id")?,
        status: row.try_get("", "status")?,
        app_id: row.try_get("", "app_id")?,
        requested_by: row.try_get("", "requested_by")?,
        created_at: row.try_get("", "created_at")?,
        finished_at: row.try_get("", "finished_at")?,
        expires_at: row.try_get("", "expires_at")?,
        size_bytes: row.try_get("", "size_bytes")?,
        sha256: row.try_get("", "sha256")?,
    })
}
