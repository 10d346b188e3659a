//! The background half of data exports: the leased jobs that build an export's document and
//! purge it at its expiry, and the runner `Application::build` starts.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sha2::{Digest, Sha256};
use siyu_core::TenantId;
use siyu_store::jobs::JobHandlerResult;
use siyu_store::{Job, JobQueue, JobRunner, NewJob};

use crate::app::App;
use crate::app::privacy::data_export::{EXPORT_JOB, EXPORT_TTL_DAYS, MAX_EXPORT_BYTES, PURGE_JOB};
use crate::app::privacy::export_document;
use crate::error::AppError;
use crate::repo::consumers::UserStatus;
use crate::repo::consumers::identities as identities_repo;
use crate::repo::privacy::exports::{self as repo, Finished};

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
    /// Builds one export; on the job's last attempt a failure marks the export FAILED.
    async fn run_export_job(&self, job: Job) -> JobHandlerResult {
        let (tenant, id) = job_input(&job)?;
        match self.build_export(tenant, &id).await {
            Ok(()) => Ok(()),
            Err(err) => {
                tracing::warn!(error = %err, export = %id, "data export attempt failed");
                if job.attempts >= job.max_attempts {
                    self.end_export(tenant, &id, "internal").await;
                }
                Err(err.to_string())
            }
        }
    }

    async fn build_export(&self, tenant: TenantId, id: &str) -> Result<(), AppError> {
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
        let user = identities_repo::lock_users(&txn, tenant, &[&export.user_id])
            .await?
            .pop()
            .filter(|u| u.status != UserStatus::Erased);
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
    async fn end_export(&self, tenant: TenantId, id: &str, cause: &str) {
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
            repo::expire(&txn, tenant, &id).await?;
            txn.commit().await?;
            Ok::<(), AppError>(())
        };
        purged.await.map_err(|e| e.to_string())
    }

    pub(super) async fn enqueue_job(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        kind: &str,
        export_id: &str,
        run_at: Option<DateTime<Utc>>,
    ) -> Result<(), AppError> {
        let input = serde_json::json!({ "tenant": tenant, "export_id": export_id });
        let job = NewJob {
            tenant: Some(tenant),
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
fn job_input(job: &Job) -> Result<(TenantId, String), String> {
    let input: serde_json::Value =
        serde_json::from_slice(&job.payload).map_err(|e| format!("job input: {e}"))?;
    let field = |name: &str| {
        input
            .get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("job input lacks {name}"))
    };
    let tenant = TenantId::parse(&field("tenant")?).map_err(|e| format!("job input: {e}"))?;
    Ok((tenant, field("export_id")?))
}
