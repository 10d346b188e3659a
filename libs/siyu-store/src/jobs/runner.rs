//! The loop that claims jobs and runs a handler per kind.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use super::{Job, JobQueue};
use crate::error::StoreError;

/// What a handler returns: `Err` carries a message stored as the job's `last_error`.
pub type JobHandlerResult = Result<(), String>;

type Handler = Arc<dyn Fn(Job) -> BoxFuture<'static, JobHandlerResult> + Send + Sync>;

/// Claims due jobs and runs them, extending each lease while its handler works.
///
/// If a lease cannot be extended (it ran out and another runner claimed the job), the handler
/// is dropped at its next await point, so two runners never keep working on one row.
/// Handlers should still apply their effects in a transaction and be idempotent: a crash after
/// the effect but before `complete` runs the job again.
pub struct JobRunner {
    queue: JobQueue,
    owner: String,
    handlers: HashMap<String, Handler>,
    batch: u32,
    lease: Duration,
    poll: Duration,
}

impl std::fmt::Debug for JobRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobRunner")
            .field("owner", &self.owner)
            .field("kinds", &self.kinds())
            .finish()
    }
}

impl JobRunner {
    /// A runner over `queue`, identified by `owner` plus a fresh id (so restarts never share an
    /// owner); batches of 8, 30 s leases, polling every second.
    pub fn new(queue: JobQueue, owner: &str) -> Self {
        Self {
            queue,
            owner: format!("{owner}-{}", siyu_core::id::new()),
            handlers: HashMap::new(),
            batch: 8,
            lease: Duration::from_secs(30),
            poll: Duration::from_secs(1),
        }
    }

    /// Registers the handler for jobs of `kind`. Only registered kinds are claimed.
    pub fn handle<F, Fut>(mut self, kind: &str, handler: F) -> Self
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = JobHandlerResult> + Send + 'static,
    {
        self.handlers
            .insert(kind.to_owned(), Arc::new(move |job| Box::pin(handler(job))));
        self
    }

    /// Sets how many jobs one pass claims and runs concurrently.
    pub fn with_batch(mut self, batch: u32) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Sets the lease length; it is extended every third of it while a handler runs.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Sets how long to wait when no job is due.
    pub fn with_poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// This runner's owner id, as stored in `lease_owner`.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.handlers.keys().cloned().collect();
        kinds.sort();
        kinds
    }

    /// Claims one batch and runs it to the end; returns how many jobs were claimed.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let kinds = self.kinds();
        if kinds.is_empty() {
            return Ok(0);
        }
        let jobs = self
            .queue
            .claim(&self.owner, &kinds, self.batch, self.lease)
            .await?;
        let n = jobs.len();
        futures::future::join_all(jobs.into_iter().map(|job| self.run_job(job))).await;
        Ok(n)
    }

    /// Runs until `shutdown` resolves; a batch in progress is finished first.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        loop {
            let claimed = match self.run_once().await {
                Ok(n) => n,
                Err(err) => {
                    tracing::warn!(error = %err, "job claim failed; will retry");
                    0
                }
            };
            if claimed > 0 {
                // More may be due: look again at once, unless asked to stop.
                if futures::poll!(shutdown.as_mut()).is_ready() {
                    return;
                }
                continue;
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    #[tracing::instrument(skip_all, fields(job_id = %job.id, kind = %job.kind))]
    async fn run_job(&self, job: Job) {
        let Some(handler) = self.handlers.get(&job.kind).cloned() else {
            return;
        };
        let id = job.id;
        let work = handler(job);
        tokio::pin!(work);
        let mut heartbeat = tokio::time::interval(self.lease / 3);
        heartbeat.tick().await;
        let result = loop {
            tokio::select! {
                result = &mut work => break result,
                _ = heartbeat.tick() => {
                    match self.queue.extend(id, &self.owner, self.lease).await {
                        Ok(()) => {}
                        Err(StoreError::LeaseLost { .. }) => {
                            tracing::warn!("lease lost while running; abandoning the job");
                            return;
                        }
                        Err(err) => tracing::warn!(error = %err, "could not extend lease"),
                    }
                }
            }
        };
        let outcome = match result {
            Ok(()) => self.queue.complete(id, &self.owner).await.map(|()| None),
            Err(message) => self.queue.fail(id, &self.owner, &message).await.map(Some),
        };
        match outcome {
            Ok(None) => tracing::debug!("job done"),
            Ok(Some(status)) => tracing::info!(?status, "job failed"),
            Err(err) => tracing::warn!(error = %err, "could not record the job's outcome"),
        }
    }
}
