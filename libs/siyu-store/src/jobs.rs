//! Leased background jobs: rows in `siyu_jobs` claimed by one runner at a time.
//!
//! A claim sets `lease_owner` and `lease_until`; the owner extends the lease while it works and
//! completes or fails the job with its owner id. A runner that crashes stops extending, its
//! lease runs out and another runner claims the row again. On Postgres rows are claimed with
//! `FOR UPDATE SKIP LOCKED`, so replicas never wait on each other; on SQLite the claim is one
//! `UPDATE … RETURNING` statement under the database write lock.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Value};
use siyu_core::{Clock, TenantId};
use uuid::Uuid;

use crate::db::{Backend, skip_locked, stmt};
use crate::error::{Result, StoreError};

mod lease;
mod runner;

pub use lease::Lease;
pub use runner::{JobHandlerResult, JobRunner};

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The tenant it works for, if any.
    pub tenant: Option<TenantId>,
    /// Which handler runs it, e.g. `orders.expire_unpaid`.
    pub kind: String,
    /// Handler input, encoded by the service.
    pub payload: Vec<u8>,
    /// Not before this instant; `None` = now.
    pub run_at: Option<DateTime<Utc>>,
    /// How many attempts before the job is marked failed for good.
    pub max_attempts: u32,
}

impl NewJob {
    /// A job of `kind` with `payload`, due now, with up to 5 attempts.
    pub fn new(kind: impl Into<String>, payload: Vec<u8>) -> Self {
        Self {
            tenant: None,
            kind: kind.into(),
            payload,
            run_at: None,
            max_attempts: 5,
        }
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for its `run_at`, or for a retry.
    Pending,
    /// Claimed by a runner under a lease.
    Running,
    /// Completed.
    Done,
    /// Failed `max_attempts` times; needs a human.
    Failed,
}

impl JobStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "pending" => Self::Pending,
            "running" => Self::Running,
            "done" => Self::Done,
            "failed" => Self::Failed,
            other => {
                return Err(StoreError::Corrupt {
                    table: "siyu_jobs",
                    reason: format!("status {other}"),
                });
            }
        })
    }
}

/// A job row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Job id (UUIDv7).
    pub id: Uuid,
    /// The tenant, if any.
    pub tenant: Option<Uuid>,
    /// Handler kind.
    pub kind: String,
    /// Handler input.
    pub payload: Vec<u8>,
    /// Current status.
    pub status: JobStatus,
    /// Attempts started so far, including the current one.
    pub attempts: i32,
    /// Attempts allowed.
    pub max_attempts: i32,
    /// Who holds the lease.
    pub lease_owner: Option<String>,
    /// The last failure message.
    pub last_error: Option<String>,
}

/// Retry delays: `base * 2^(attempt-1)`, at most `max`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Delay after the first failure.
    pub base: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Backoff {
    /// The delay after failed attempt number `attempt` (1-based).
    pub fn delay(&self, attempt: i32) -> Duration {
        let exp = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        self.base.saturating_mul(1u32 << exp).min(self.max)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            max: Duration::from_secs(600),
        }
    }
}

/// The job table of one database.
#[derive(Debug, Clone)]
pub struct JobQueue {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    backoff: Backoff,
}

const COLUMNS: &str =
    "id, tenant, kind, payload, status, attempts, max_attempts, lease_owner, last_error";

impl JobQueue {
    /// The queue in `db`, with the default backoff.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            clock,
            backoff: Backoff::default(),
        }
    }

    /// Sets the retry backoff.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Adds a job; pass the caller's transaction so the job exists only if the change commits.
    #[tracing::instrument(skip_all, fields(kind = %job.kind))]
    pub async fn enqueue(&self, conn: &impl ConnectionTrait, job: NewJob) -> Result<Uuid> {
        let id = siyu_core::id::new();
        let now = self.clock.now();
        let run_at = job.run_at.unwrap_or(now).timestamp_millis();
        conn.execute_raw(stmt(
            Backend::of(conn)?,
            "INSERT INTO siyu_jobs (id, tenant, kind, payload, status, run_at_ms, attempts, max_attempts, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', $5, 0, $6, $7, $7)",
            [
                Value::Uuid(Some(id)),
                Value::Uuid(job.tenant.map(|t| t.0)),
                job.kind.into(),
                Value::Bytes(Some(job.payload)),
                Value::BigInt(Some(run_at)),
                Value::Int(Some(i32::try_from(job.max_attempts).unwrap_or(i32::MAX))),
                Value::ChronoDateTimeUtc(Some(now)),
            ],
        ))
        .await?;
        Ok(id)
    }

    /// Claims up to `batch` due jobs of `kinds` (or any kind if empty) for `owner`, for `lease`.
    /// A running job whose lease has run out is due again.
    #[tracing::instrument(skip_all, fields(owner, claimed))]
    pub async fn claim(
        &self,
        owner: &str,
        kinds: &[String],
        batch: u32,
        lease: Duration,
    ) -> Result<Vec<Job>> {
        let backend = Backend::of(&self.db)?;
        let now = self.now_ms();
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let mut values: Vec<Value> = vec![
            owner.into(),
            Value::BigInt(Some(until)),
            Value::ChronoDateTimeUtc(Some(self.clock.now())),
            Value::BigInt(Some(now)),
            Value::BigInt(Some(i64::from(batch))),
        ];
        let kind_filter = if kinds.is_empty() {
            String::new()
        } else {
            let marks: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 6)).collect();
            values.extend(kinds.iter().map(|k| Value::from(k.as_str())));
            format!(" AND kind IN ({})", marks.join(", "))
        };
        let sql = format!(
            "UPDATE siyu_jobs SET status = 'running', lease_owner = $1, lease_until_ms = $2, \
             attempts = attempts + 1, updated_at = $3 WHERE id IN (SELECT id FROM siyu_jobs WHERE \
             ((status = 'pending' AND run_at_ms <= $4) OR (status = 'running' AND lease_until_ms < $4)){kind_filter} \
             ORDER BY run_at_ms LIMIT $5{}) RETURNING {COLUMNS}",
            skip_locked(backend)
        );
        let rows = self.db.query_all_raw(stmt(backend, &sql, values)).await?;
        let jobs = rows.iter().map(decode).collect::<Result<Vec<_>>>()?;
        tracing::Span::current().record("claimed", jobs.len());
        Ok(jobs)
    }

    /// Extends `owner`'s lease on a running job; [`StoreError::LeaseLost`] if it no longer holds it.
    pub async fn extend(&self, id: Uuid, owner: &str, lease: Duration) -> Result<()> {
        let until = self
            .now_ms()
            .saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        self.update_owned(
            id,
            owner,
            "lease_until_ms = $3",
            [Value::BigInt(Some(until))],
        )
        .await
    }

    /// Marks a job done; [`StoreError::LeaseLost`] if `owner` no longer holds it.
    #[tracing::instrument(skip_all, fields(%id))]
    pub async fn complete(&self, id: Uuid, owner: &str) -> Result<()> {
        self.update_owned(
            id,
            owner,
            "status = 'done', lease_owner = NULL, lease_until_ms = NULL",
            [],
        )
        .await
    }

    /// Records a failure: the job goes back to pending after the backoff, or to failed when it
    /// has used all its attempts. Returns the new status.
    #[tracing::instrument(skip_all, fields(%id))]
    pub async fn fail(&self, id: Uuid, owner: &str, error: &str) -> Result<JobStatus> {
        let job = self.get(id).await?.ok_or(StoreError::LeaseLost {
            what: id.to_string(),
        })?;
        let (status, run_at) = if job.attempts >= job.max_attempts {
            (JobStatus::Failed, self.now_ms())
        } else {
            let delay =
                i64::try_from(self.backoff.delay(job.attempts).as_millis()).unwrap_or(i64::MAX);
            (JobStatus::Pending, self.now_ms().saturating_add(delay))
        };
        self.update_owned(
            id,
            owner,
            "status = $3, run_at_ms = $4, last_error = $5, lease_owner = NULL, lease_until_ms = NULL",
            [status.as_str().into(), Value::BigInt(Some(run_at)), error.into()],
        )
        .await?;
        Ok(status)
    }

    /// One job by id.
    pub async fn get(&self, id: Uuid) -> Result<Option<Job>> {
        let backend = Backend::of(&self.db)?;
        let sql = format!("SELECT {COLUMNS} FROM siyu_jobs WHERE id = $1");
        let row = self
            .db
            .query_one_raw(stmt(backend, &sql, [Value::Uuid(Some(id))]))
            .await?;
        row.as_ref().map(decode).transpose()
    }

    /// Applies `set` (placeholders from `$3`) to a running job held by `owner`.
    async fn update_owned<const N: usize>(
        &self,
        id: Uuid,
        owner: &str,
        set: &str,
        extra: [Value; N],
    ) -> Result<()> {
        let backend = Backend::of(&self.db)?;
        let sql = format!(
            "UPDATE siyu_jobs SET {set}, updated_at = ${} WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
            N + 3
        );
        let mut values: Vec<Value> = vec![Value::Uuid(Some(id)), owner.into()];
        values.extend(extra);
        values.push(Value::ChronoDateTimeUtc(Some(self.clock.now())));
        let res = self.db.execute_raw(stmt(backend, &sql, values)).await?;
        if res.rows_affected() == 1 {
            Ok(())
        } else {
            Err(StoreError::LeaseLost {
                what: id.to_string(),
            })
        }
    }
}

fn decode(row: &QueryResult) -> Result<Job> {
    let corrupt = |e: sea_orm::DbErr| StoreError::Corrupt {
        table: "siyu_jobs",
        reason: e.to_string(),
    };
    let status: String = row.try_get("", "status").map_err(corrupt)?;
    Ok(Job {
        id: row.try_get("", "id").map_err(corrupt)?,
        tenant: row.try_get("", "tenant").map_err(corrupt)?,
        kind: row.try_get("", "kind").map_err(corrupt)?,
        payload: row.try_get("", "payload").map_err(corrupt)?,
        status: JobStatus::parse(&status)?,
        attempts: row.try_get("", "attempts").map_err(corrupt)?,
        max_attempts: row.try_get("", "max_attempts").map_err(corrupt)?,
        lease_owner: row.try_get("", "lease_owner").map_err(corrupt)?,
        last_error: row.try_get("", "last_error").map_err(corrupt)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(10),
        };
        assert_eq!(b.delay(1), Duration::from_secs(1));
        assert_eq!(b.delay(2), Duration::from_secs(2));
        assert_eq!(b.delay(4), Duration::from_secs(8));
        assert_eq!(b.delay(5), Duration::from_secs(10));
        assert_eq!(b.delay(500), Duration::from_secs(10));
    }
}
