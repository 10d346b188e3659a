//! Content's background work, one pass every `jobs_interval_secs` under the lease
//! `content.jobs`: publish scheduled items whose time has come and archive items past their
//! expiry. The lease only saves duplicate scans: each item changes in its own transaction on
//! its locked row, re-checked there, so two runners (a lease that ran out mid-pass, two
//! replicas) publish an item — and write its ContentPublished — exactly once.

use std::time::Duration;

use siyu_core::TenantId;
use siyu_store::Lease;
use uuid::Uuid;

use super::App;
use super::contents::lifecycle::{self, Published};
use super::contents::model::Status;
use crate::AppError;
use crate::events::publish as events;
use crate::repo;

/// Rows per step and pass.
const BATCH: u64 = 100;

/// Who the jobs record as the editor of what they change.
const SCHEDULER: &str = "system:scheduler";

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Scheduled items made live.
    pub published: usize,
    /// Items archived at their expiry.
    pub expired: usize,
}

impl App {
    /// One pass of every job.
    pub async fn run_jobs_pass(&self) -> Result<Pass, AppError> {
        Ok(Pass {
            published: self.publish_due().await?,
            expired: self.expire_due().await?,
        })
    }

    /// Publishes the scheduled items whose time has come.
    pub async fn publish_due(&self) -> Result<usize, AppError> {
        let due = repo::contents::due_scheduled(&self.db, self.now_ms(), BATCH).await?;
        let mut n = 0;
        for (tenant, id) in due {
            match self.publish_scheduled(tenant, id).await {
                Ok(done) => n += usize::from(done),
                Err(e) => tracing::warn!(error = %e, content = %id, "scheduled publishing"),
            }
        }
        Ok(n)
    }

    /// Publishes one scheduled item if it is still scheduled and due; false when another
    /// runner (or an unschedule) came first.
    pub async fn publish_scheduled(&self, tenant: TenantId, id: Uuid) -> Result<bool, AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let Some(mut c) = repo::contents::get(&txn, tenant, id, true).await? else {
            return Ok(false);
        };
        let now = self.now_ms();
        let (Status::Scheduled, Some(version), Some(at)) =
            (c.status, c.scheduled_version, c.scheduled_at_ms)
        else {
            return Ok(false);
        };
        if at > now {
            return Ok(false);
        }
        let snapshot = repo::contents::version(&txn, tenant, id, version)
            .await?
            .ok_or_else(|| AppError::Internal(format!("scheduled version {version} missing")))?
            .snapshot;
        let read = c.row_version;
        let first = match lifecycle::publish(&mut c, version, snapshot, None, now) {
            Published::Live { first } => first,
            Published::Scheduled | Published::Unchanged => return Ok(false),
        };
        c.row_version = read + 1;
        c.updated_at_ms = now;
        c.updated_by = SCHEDULER.into();
        if !repo::contents::save(&txn, tenant, &c, read).await? {
            return Ok(false);
        }
        events::content_published(&txn, tenant, &c, first, now).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Archives the live items past their expiry.
    pub async fn expire_due(&self) -> Result<usize, AppError> {
        let due = repo::contents::due_expired(&self.db, self.now_ms(), BATCH).await?;
        let mut n = 0;
        for (tenant, id) in due {
            let txn = siyu_store::db::begin_write(&self.db).await?;
            let Some(mut c) = repo::contents::get(&txn, tenant, id, true).await? else {
                continue;
            };
            let now = self.now_ms();
            if c.expire_at_ms.is_none_or(|e| e > now) || !lifecycle::archive(&mut c) {
                continue;
            }
            let read = c.row_version;
            c.row_version = read + 1;
            c.updated_at_ms = now;
            c.updated_by = SCHEDULER.into();
            if repo::contents::save(&txn, tenant, &c, read).await? {
                txn.commit().await?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Runs passes every `every` while holding `lease`, until `stop`.
    pub async fn run_jobs(
        self,
        lease: Lease,
        every: Duration,
        stop: impl Future<Output = ()> + Send,
    ) {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = ticker.tick() => {
                    match lease.try_acquire().await {
                        Ok(true) => match self.run_jobs_pass().await {
                            Ok(p) if p != Pass::default() => tracing::info!(
                                published = p.published, expired = p.expired,
                                "content jobs pass"),
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "content jobs pass"),
                        },
                        Ok(false) => {}
                        Err(e) => tracing::warn!(error = %e, "content jobs lease"),
                    }
                }
            }
        }
        let _ = lease.release().await;
    }
}
