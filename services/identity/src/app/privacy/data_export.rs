//! Personal data exports (RequestDataExport / GetDataExport / DownloadDataExport).
//!
//! A request inserts a PENDING row and a leased job (`siyu_store::jobs`) in the request's
//! transaction, under the user's row lock: concurrent requests of one user serialise there and
//! all but the first find the job in flight and return it (a partial unique index backs this
//! up). The runner (`export_jobs`) builds the document under the user's lock, so it never races
//! an erasure, seals it (AES-256-GCM, it is PII) and schedules a purge job at its expiry.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use siyu_core::TenantId;

use crate::app::{Actor, App};
use crate::error::AppError;
use crate::repo::audit::AuditOutcome;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::consumers::UserStatus;
use crate::repo::consumers::identities as identities_repo;
use crate::repo::privacy::ExportStatus;
use crate::repo::privacy::exports::{self as repo, DataExport};

/// Job kind that builds an export.
pub const EXPORT_JOB: &str = "identity.data_export";
/// Job kind that deletes an export's payload at its expiry.
pub const PURGE_JOB: &str = "identity.data_export_purge";
/// Days a READY export can be downloaded.
pub const EXPORT_TTL_DAYS: i64 = 7;
/// Exports per user per window (failed ones do not count).
pub const EXPORT_LIMIT: usize = 3;
/// The window of [`EXPORT_LIMIT`], in days.
pub const LIMIT_WINDOW_DAYS: i64 = 30;
/// The largest document served (the proto's 32 MiB).
pub const MAX_EXPORT_BYTES: usize = 32 << 20;

/// Who asks for an export of whose data.
#[derive(Debug, Clone, Copy)]
pub struct ExportRequest<'a> {
    /// Tenant.
    pub tenant: TenantId,
    /// The user.
    pub user_id: &'a str,
    /// App of the consumer's session ('' for staff).
    pub app_id: &'a str,
    /// Who asks.
    pub actor: &'a Actor,
}

/// A downloaded document.
#[derive(Debug, Clone)]
pub struct Download {
    /// The JSON document.
    pub payload: Vec<u8>,
    /// Its SHA-256 (hex).
    pub sha256: String,
}

/// The status a reader sees: READY past its expiry is EXPIRED even before the purge ran.
pub fn effective_status(row: &DataExport, now: DateTime<Utc>) -> ExportStatus {
    match row.expires_at {
        Some(at) if row.status == ExportStatus::Ready && at <= now => ExportStatus::Expired,
        _ => row.status,
    }
}

impl App {
    /// RequestDataExport: the job in flight, or a new one (EXPORT_LIMIT past 3 in 30 days).
    #[tracing::instrument(skip_all, fields(tenant = %req.tenant, user = req.user_id))]
    pub async fn request_export(
        &self,
        txn: &impl ConnectionTrait,
        req: ExportRequest<'_>,
    ) -> Result<DataExport, AppError> {
        let (tenant, user_id) = (req.tenant, req.user_id);
        let now = crate::repo::micros(self.clock.now());
        let user = identities_repo::lock_users(txn, tenant, &[user_id])
            .await?
            .pop()
            .ok_or(AppError::UserNotFound)?;
        match user.status {
            UserStatus::Merged => {
                return Err(AppError::UserMerged {
                    kept_user_id: user.merged_into.unwrap_or_default(),
                });
            }
            UserStatus::Erased => return Err(AppError::UserErased),
            UserStatus::Active | UserStatus::Blocked => {}
        }
        if let Some(live) = repo::live_for_user(txn, tenant, user_id).await? {
            return Ok(live);
        }
        let window = chrono::Duration::days(LIMIT_WINDOW_DAYS);
        let recent = repo::requested_since(txn, tenant, user_id, now - window).await?;
        if recent.len() >= EXPORT_LIMIT {
            let frees_at = recent[recent.len() - EXPORT_LIMIT] + window;
            let wait = (frees_at - now).num_seconds().max(1);
            return Err(AppError::ResourceExhausted {
                reason: "EXPORT_LIMIT",
                meta: BTreeMap::from([("retry_after_seconds".to_owned(), wait.to_string())]),
            });
        }
        let row = DataExport {
            id: siyu_core::id::new_string(),
            tenant_id: tenant,
            user_id: user_id.to_owned(),
            status: ExportStatus::Pending,
            app_id: req.app_id.to_owned(),
            requested_by: format!("{}:{}", req.actor.kind, req.actor.id),
            created_at: now,
            finished_at: None,
            expires_at: None,
            size_bytes: 0,
            sha256: String::new(),
        };
        repo::insert(txn, &row).await?;
        self.enqueue_job(txn, tenant, EXPORT_JOB, &row.id, None)
            .await?;
        audit_repo::append(
            txn,
            tenant,
            NewEntry {
                kind: "DATA_EXPORT_REQUESTED",
                outcome: AuditOutcome::Success,
                actor_kind: req.actor.kind.clone(),
                actor_id: req.actor.id.clone(),
                target_kind: "user".into(),
                target_id: user_id.to_owned(),
                details: BTreeMap::from([("export_id".to_owned(), row.id.clone())]),
            },
            now,
        )
        .await?;
        Ok(row)
    }

    /// An export of the tenant; EXPORT_NOT_FOUND when missing (or, for `owner`, not theirs).
    pub async fn data_export(
        &self,
        tenant: TenantId,
        id: &str,
        owner: Option<&str>,
    ) -> Result<DataExport, AppError> {
        repo::get(&self.db, tenant, id)
            .await?
            .filter(|e| owner.is_none_or(|o| o == e.user_id))
            .ok_or(AppError::ExportNotFound)
    }

    /// DownloadDataExport for the consumer `user_id`; audited DATA_EXPORT_DOWNLOADED.
    #[tracing::instrument(skip_all, fields(tenant, export = id))]
    pub async fn download_export(
        &self,
        tenant: TenantId,
        user_id: &str,
        id: &str,
    ) -> Result<Download, AppError> {
        let now = self.clock.now();
        let export = self.data_export(tenant, id, Some(user_id)).await?;
        match effective_status(&export, now) {
            ExportStatus::Ready => {}
            ExportStatus::Expired => return Err(AppError::ExportExpired),
            ExportStatus::Pending | ExportStatus::Running | ExportStatus::Failed => {
                return Err(AppError::ExportNotReady);
            }
        }
        let sealed = repo::payload(&self.db, tenant, id)
            .await?
            .ok_or(AppError::ExportExpired)?;
        let payload = self.sealer.open(&sealed)?;
        let txn = siyu_store::db::begin_write(&self.db).await?;
        audit_repo::append(
            &txn,
            tenant,
            NewEntry {
                kind: "DATA_EXPORT_DOWNLOADED",
                outcome: AuditOutcome::Success,
                actor_kind: "consumer".into(),
                actor_id: user_id.to_owned(),
                target_kind: "user".into(),
                target_id: user_id.to_owned(),
                details: BTreeMap::from([("export_id".to_owned(), id.to_owned())]),
            },
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(Download {
            payload,
            sha256: export.sha256,
        })
    }
}
