//! Personal data exports (RequestDataExport / GetDataExport / DownloadDataExport).
//!
//! A request inserts a PENDING row and a leased job (`siyu_store::jobs`) in the request's
//! transaction, under the user's row lock: concurrent requests of one user serialise there and
//! all but the first find the job in flight and return it (a partial unique index backs this
//! up). The runner builds the document (`export_document`) under the user's lock, so it never
//! races an erasure, seals it (AES-256-GCM, it is PII) and schedules a purge job at its expiry.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sha2::{Digest, Sha256};
use siyu_core::TenantId;
use siyu_store::jobs::JobHandlerResult;
use siyu_store::{Job, JobQueue, JobRunner, NewJob};

use super::users::Actor;
use super::{App, AppError, export_document};
use crate::repo::audit::{self as audit_repo, NewEntry};
use crate::repo::exports::{self as repo, ExportRow, Finished};
use crate::repo::merges as merges_repo;

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
    pub tenant: &'a str,
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
pub fn effective_status(row: &ExportRow, now: DateTime<Utc>) -> &str {
    match row.expires_at {
        Some(at) if row.status == "READY" && at <= now => "EXPIRED",
        _ => row.status.as_str(),
    }
}

/// The runner of export and purge jobs, started by `Application::build`.
pub fn export_runner(app: &Arc<App>) -> JobRunner {
    let queue = JobQueue::new(app.db.clone(), Arc::clone(&app.clock));
    let (build, purge) = (Arc::clone(app), Arc::clone(app));
    JobRunner::new(queue, "identity")
        .with_poll_interval(Duration::from_millis(500))
        .with_lease(Duration::from_secs(60))
        .handle(EXPORT_JOB, move |job| {
            let app = Arc::clone(&build);
            async move { app.run_export_job(job).await }
        })
        .handle(PURGE_JOB, move |job| {
            let app = Arc::clone(&purge);
            async move { app.purge_export_job(job).await }
        })
}

impl App {
    /// RequestDataExport: the job in flight, or a new one (EXPORT_LIMIT past 3 in 30 days).
    #[tracing::instrument(skip_all, fields(tenant = req.tenant, user = req.user_id))]
    pub async fn request_export(
        &self,
        txn: &impl ConnectionTrait,
        req: ExportRequest<'_>,
    ) -> Result<ExportRow, AppError> {
        let (tenant, user_id) = (req.tenant, req.user_id);
        let now = crate::repo::micros(self.clock.now());
        let user = merges_repo::lock_users(txn, tenant, &[user_id])
            .await?
            .pop()
            .ok_or(AppError::NotFound("USER_NOT_FOUND"))?;
        match user.status.as_str() {
            "MERGED" => {
                return Err(AppError::UserMerged {
                    kept_user_id: user.merged_into.unwrap_or_default(),
                });
            }
            "ERASED" => return Err(AppError::FailedPrecondition("USER_ERASED")),
            _ => {}
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
        let row = ExportRow {
            id: siyu_core::id::new_string(),
            tenant_id: tenant.to_owned(),
            user_id: user_id.to_owned(),
            status: "PENDING".into(),
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
                outcome: "SUCCESS",
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
        tenant: &str,
        id: &str,
        owner: Option<&str>,
    ) -> Result<ExportRow, AppError> {
        repo::get(&self.db, tenant, id)
            .await?
            .filter(|e| owner.is_none_or(|o| o == e.user_id))
            .ok_or(AppError::NotFound("EXPORT_NOT_FOUND"))
    }

    /// DownloadDataExport for the consumer `user_id`; audited DATA_EXPORT_DOWNLOADED.
    #[tracing::instrument(skip_all, fields(tenant, export = id))]
    pub async fn download_export(
        &self,
        tenant: &str,
        user_id: &str,
        id: &str,
    ) -> Result<Download, AppError> {
        let now = self.clock.now();
        let export = self.data_export(tenant, id, Some(user_id)).await?;
        match effective_status(&export, now) {
            "READY" => {}
            "EXPIRED" => return Err(AppError::FailedPrecondition("EXPORT_EXPIRED")),
            _ => return Err(AppError::FailedPrecondition("EXPORT_NOT_READY")),
        }
        let sealed = repo::payload(&self.db, tenant, id)
            .await?
            .ok_or(AppError::FailedPrecondition("EXPORT_EXPIRED"))?;
        let payload = self.sealer.open(&sealed)?;
        let txn = siyu_store::db::begin_write(&self.db).await?;
        audit_repo::append(
            &txn,
            tenant,
            NewEntry {
                kind: "DATA_EXPORT_DOWNLOADED",
                outcome: "SUCCESS",
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

    /// Builds one export; on the job's last attempt a failure marks the export FAILED.
    async fn run_export_job(&self, job: Job) -> JobHandlerResult {
        let (tenant, id) = job_input(&job)?;
        match self.build_export(&tenant, &id).await {
            Ok(()) => Ok(()),
            Err(err) => {
                tracing::warn!(error = %err, export = %id, "data export attempt failed");
                if job.attempts >= job.max_attempts {
                    self.end_export(&tenant, &id, "internal").await;
                }
                Err(err.to_string())
            }
        }
    }

    async fn build_export(&self, tenant: &str, id: &str) -> Result<(), AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let running = repo::mark_running(&txn, tenant, id, self.clock.now()).await?;
        txn.commit().await?;
        if !running {
            return Ok(());
        }
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let Some(export) = repo::get(&txn, tenant, id).await? else {
            return Ok(());
        };
        let user = merges_repo::lock_users(&txn, tenant, &[&export.user_id])
            .await?
            .pop()
            .filter(|u| u.status != "ERASED");
        let now = crate::repo::micros(self.clock.now());
        let Some(user) = user else {
            repo::mark_failed(&txn, tenant, id, "user_erased", now).await?;
            txn.commit().await?;
            return Ok(());
        };
        let document = export_document::build(&txn, tenant, &user, &export.app_id, now).await?;
        if document.len() > MAX_EXPORT_BYTES {
            repo::mark_failed(&txn, tenant, id, "too_large", now).await?;
            txn.commit().await?;
            return Ok(());
        }
        let sha256 = hex::encode(Sha256::digest(&document));
        let expires_at = now + chrono::Duration::days(EXPORT_TTL_DAYS);
        let finished = Finished {
            sealed: self.sealer.seal(&document)?,
            size_bytes: i64::try_from(document.len()).unwrap_or(i64::MAX),
            sha256: &sha256,
            finished_at: now,
            expires_at,
        };
        if repo::mark_ready(&txn, tenant, id, finished).await? == 1 {
            self.enqueue_job(&txn, tenant, PURGE_JOB, id, Some(expires_at))
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Marks an export FAILED after its last attempt (best effort: the job is failed anyway).
    async fn end_export(&self, tenant: &str, id: &str, cause: &str) {
        let ended = async {
            let txn = siyu_store::db::begin_write(&self.db).await?;
            repo::mark_failed(&txn, tenant, id, cause, self.clock.now()).await?;
            txn.commit().await?;
            Ok::<(), AppError>(())
        };
        if let Err(err) = ended.await {
            tracing::error!(error = %err, export = %id, "could not mark an export failed");
        }
    }

    /// Deletes an expired export's payload.
    async fn purge_export_job(&self, job: Job) -> JobHandlerResult {
        let (tenant, id) = job_input(&job)?;
        let purged = async {
            let txn = siyu_store::db::begin_write(&self.db).await?;
            repo::expire(&txn, &tenant, &id).await?;
            txn.commit().await?;
            Ok::<(), AppError>(())
        };
        purged.await.map_err(|e| e.to_string())
    }

    async fn enqueue_job(
        &self,
        txn: &impl ConnectionTrait,
        tenant: &str,
        kind: &str,
        export_id: &str,
        run_at: Option<DateTime<Utc>>,
    ) -> Result<(), AppError> {
        let tenant_id = TenantId::parse(tenant).map_err(|e| AppError::Internal(e.to_string()))?;
        let input = serde_json::json!({ "tenant": tenant, "export_id": export_id });
        let job = NewJob {
            tenant: Some(tenant_id),
            kind: kind.to_owned(),
            payload: input.to_string().into_bytes(),
            run_at,
            max_attempts: 3,
        };
        JobQueue::new(self.db.clone(), Arc::clone(&self.clock))
            .enqueue(txn, job)
            .await?;
        Ok(())
    }
}

/// (tenant, export id) of a job's input.
fn job_input(job: &Job) -> Result<(String, String), String> {
    let input: serde_json::Value =
        serde_json::from_slice(&job.payload).map_err(|e| format!("job input: {e}"))?;
    let field = |name: &str| {
        input
            .get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("job input lacks {name}"))
    };
    Ok((field("tenant")?, field("export_id")?))
}
