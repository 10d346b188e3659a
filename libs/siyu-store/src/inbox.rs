//! The inbox: a consumer records each event id it applies, in the same transaction as the
//! effect, so a redelivered event has no second effect.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Value};
use uuid::Uuid;

use crate::db::{Backend, stmt};
use crate::error::Result;

/// Records that `consumer` is applying `event_id`; `true` the first time, `false` if it was
/// already recorded. Call it inside the transaction that applies the effect and apply the
/// effect only on `true`.
///
/// On Postgres a concurrent second delivery blocks on the first one's uncommitted row and then
/// sees `false` (or `true` if the first rolled back); on SQLite writers are serialised.
#[tracing::instrument(skip_all, fields(consumer, %event_id))]
pub async fn record_once(
    txn: &impl ConnectionTrait,
    consumer: &str,
    event_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    let backend = Backend::of(txn)?;
    let res = txn
        .execute_raw(stmt(
            backend,
            "INSERT INTO siyu_inbox (consumer, event_id, received_at) VALUES ($1, $2, $3) \
             ON CONFLICT (consumer, event_id) DO NOTHING",
            [
                consumer.into(),
                Value::Uuid(Some(event_id)),
                Value::ChronoDateTimeUtc(Some(now)),
            ],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Deletes inbox rows received before `before`; run it well after the bus's redelivery horizon.
pub async fn purge(conn: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64> {
    let backend = Backend::of(conn)?;
    let res = conn
        .execute_raw(stmt(
            backend,
            "DELETE FROM siyu_inbox WHERE received_at < $1",
            [Value::ChronoDateTimeUtc(Some(before))],
        ))
        .await?;
    Ok(res.rows_affected())
}
