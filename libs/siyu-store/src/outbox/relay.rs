//! The relay that moves committed outbox rows to the bus.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Value};
use siyu_core::Clock;
use tokio::sync::Notify;

use super::{StoredEvent, TraceContext};
use crate::bus::Bus;
use crate::db::{Backend, begin_write, skip_locked, stmt};
use crate::error::{Result, StoreError};

/// Wakes a relay right after a commit, so events leave without waiting for the next poll.
#[derive(Debug, Clone, Default)]
pub struct OutboxWaker(Arc<Notify>);

impl OutboxWaker {
    /// Asks the relay to look for new events now.
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Publishes unpublished outbox rows to the bus, in insertion order, then marks them published.
///
/// Safe with many replicas: on Postgres each batch is claimed with `FOR UPDATE SKIP LOCKED`
/// (rows another relay holds are skipped, so order is per relay, not global); on SQLite the
/// batch runs under the database write lock. A crash after publishing but before marking
/// leaves the rows unpublished; they are published again and the bus de-duplicates them by
/// message id.
#[derive(Debug, Clone)]
pub struct OutboxRelay {
    db: DatabaseConnection,
    bus: Bus,
    clock: Arc<dyn Clock>,
    waker: OutboxWaker,
    batch: u64,
    poll: Duration,
}

impl OutboxRelay {
    /// A relay over `db`'s outbox publishing to `bus`; batches of 100, polling every second.
    pub fn new(db: DatabaseConnection, bus: Bus, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            bus,
            clock,
            waker: OutboxWaker::default(),
            batch: 100,
            poll: Duration::from_secs(1),
        }
    }

    /// Sets how many rows one pass claims.
    pub fn with_batch(mut self, batch: u64) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Sets how often the relay looks for rows when nobody wakes it.
    pub fn with_poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// A handle that wakes this relay; hand it to the code that commits events.
    pub fn waker(&self) -> OutboxWaker {
        self.waker.clone()
    }

    /// Publishes everything currently pending; returns how many events were published.
    #[tracing::instrument(skip_all)]
    pub async fn drain(&self) -> Result<usize> {
        let mut total = 0;
        loop {
            let n = self.publish_batch().await?;
            total += n;
            if (n as u64) < self.batch {
                return Ok(total);
            }
        }
    }

    /// Claims one batch, publishes it and marks it published, all in one transaction.
    #[tracing::instrument(skip_all, fields(published))]
    pub async fn publish_batch(&self) -> Result<usize> {
        let backend = Backend::of(&self.db)?;
        let txn = begin_write(&self.db).await?;
        let sql = format!(
            "SELECT seq, id, tenant, event_type, subject, source, occurred_at, traceparent, tracestate, \
             payload FROM siyu_outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1{}",
            skip_locked(backend)
        );
        let rows = txn
            .query_all_raw(stmt(
                backend,
                &sql,
                [Value::BigInt(Some(self.batch as i64))],
            ))
            .await?;
        let events = rows.iter().map(decode).collect::<Result<Vec<_>>>()?;
        if events.is_empty() {
            txn.commit().await?;
            return Ok(0);
        }
        let now = self.clock.now();
        // The whole batch is sent before any acknowledgement is awaited, then marked in one
        // statement: a failure leaves every row of the batch pending, and a re-publish is
        // dropped by the bus's de-duplication window (the message id is the event id).
        self.bus
            .publish_all(events.iter().map(StoredEvent::to_message).collect())
            .await?;
        // Sequence numbers are integers the database gave: listing them inline is safe.
        let seqs: Vec<String> = events.iter().map(|e| e.seq.to_string()).collect();
        txn.execute_raw(stmt(
            backend,
            &format!(
                "UPDATE siyu_outbox SET published_at = $1 WHERE seq IN ({})",
                seqs.join(", ")
            ),
            [Value::ChronoDateTimeUtc(Some(now))],
        ))
        .await?;
        txn.commit().await?;
        tracing::Span::current().record("published", events.len());
        Ok(events.len())
    }

    /// Runs until `shutdown` resolves: drains, then waits for a wake-up or the poll interval.
    /// Errors (bus or database down) are logged and retried on the next tick; nothing is lost.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        loop {
            if let Err(err) = self.drain().await {
                tracing::warn!(error = %err, "outbox relay pass failed; will retry");
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = self.waker.0.notified() => {}
                () = tokio::time::sleep(self.poll) => {}
            }
        }
    }
}

fn decode(row: &QueryResult) -> Result<StoredEvent> {
    let corrupt = |e: sea_orm::DbErr| StoreError::Corrupt {
        table: "siyu_outbox",
        reason: e.to_string(),
    };
    Ok(StoredEvent {
        seq: row.try_get("", "seq").map_err(corrupt)?,
        id: row.try_get("", "id").map_err(corrupt)?,
        tenant: row.try_get("", "tenant").map_err(corrupt)?,
        event_type: row.try_get("", "event_type").map_err(corrupt)?,
        subject: row.try_get("", "subject").map_err(corrupt)?,
        source: row.try_get("", "source").map_err(corrupt)?,
        occurred_at: row.try_get("", "occurred_at").map_err(corrupt)?,
        trace: TraceContext {
            traceparent: row.try_get("", "traceparent").map_err(corrupt)?,
            tracestate: row.try_get("", "tracestate").map_err(corrupt)?,
        },
        payload: row.try_get("", "payload").map_err(corrupt)?,
    })
}
