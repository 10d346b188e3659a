//! The transactional outbox: a service writes its events in the same transaction as the change
//! that caused them, and an [`OutboxRelay`] publishes them to the [`Bus`](crate::bus::Bus).
//!
//! A rolled-back transaction takes its events with it; a committed one is published at least
//! once, even across crashes, with the event id as the bus message id so the bus drops the
//! duplicates a crash between "published" and "marked published" can cause.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::bus::BusMessage;
use crate::db::{Backend, stmt};
use crate::error::Result;

mod relay;

pub use relay::{OutboxRelay, OutboxWaker};

/// Bus header carrying the event type (e.g. `orders.order_paid`).
pub const HEADER_TYPE: &str = "siyu-event-type";
/// Bus header carrying the tenant id, absent for tenant-less events.
pub const HEADER_TENANT: &str = "siyu-tenant";
/// Bus header carrying the producing service.
pub const HEADER_SOURCE: &str = "siyu-source";
/// Bus header carrying when the event happened (RFC 3339, UTC).
pub const HEADER_OCCURRED_AT: &str = "siyu-occurred-at";
/// W3C trace-context header.
pub const HEADER_TRACEPARENT: &str = "traceparent";
/// W3C trace-state header.
pub const HEADER_TRACESTATE: &str = "tracestate";

/// The W3C trace context of the request that produced an event, so one trace spans services.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceContext {
    /// `traceparent` header value.
    pub traceparent: Option<String>,
    /// `tracestate` header value.
    pub tracestate: Option<String>,
}

/// An event to publish once the surrounding transaction commits.
#[derive(Debug, Clone)]
pub struct OutgoingEvent {
    /// The tenant the event belongs to; `None` for platform-wide events.
    pub tenant: Option<TenantId>,
    /// The event type, e.g. `orders.order_paid`.
    pub event_type: String,
    /// The bus subject, relative to the bus prefix, e.g. `orders.order_paid`.
    pub subject: String,
    /// The producing service, e.g. `orders`.
    pub source: String,
    /// When the change happened (from the service's clock).
    pub occurred_at: DateTime<Utc>,
    /// Trace context of the request that caused it.
    pub trace: TraceContext,
    /// The encoded event body.
    pub payload: Vec<u8>,
}

/// An outbox row as the relay reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The event id (UUIDv7) and bus message id.
    pub id: Uuid,
    /// Insertion order.
    pub seq: i64,
    /// The tenant, if any.
    pub tenant: Option<Uuid>,
    /// The event type.
    pub event_type: String,
    /// The relative bus subject.
    pub subject: String,
    /// The producing service.
    pub source: String,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// Trace context.
    pub trace: TraceContext,
    /// The encoded event body.
    pub payload: Vec<u8>,
}

impl StoredEvent {
    /// The bus message for this event: message id = event id, envelope fields as headers.
    pub fn to_message(&self) -> BusMessage {
        let mut headers = BTreeMap::new();
        headers.insert(HEADER_TYPE.to_owned(), self.event_type.clone());
        headers.insert(HEADER_SOURCE.to_owned(), self.source.clone());
        headers.insert(HEADER_OCCURRED_AT.to_owned(), self.occurred_at.to_rfc3339());
        if let Some(tenant) = self.tenant {
            headers.insert(HEADER_TENANT.to_owned(), tenant.to_string());
        }
        if let Some(tp) = &self.trace.traceparent {
            headers.insert(HEADER_TRACEPARENT.to_owned(), tp.clone());
        }
        if let Some(ts) = &self.trace.tracestate {
            headers.insert(HEADER_TRACESTATE.to_owned(), ts.clone());
        }
        BusMessage {
            id: self.id.to_string(),
            subject: self.subject.clone(),
            headers,
            payload: self.payload.clone(),
        }
    }
}

/// Writes `event` to the outbox within the caller's transaction and returns its new id.
///
/// Call the relay's [`OutboxWaker::wake`] after the commit to publish without waiting for
/// the next poll.
#[tracing::instrument(skip_all, fields(event_type = %event.event_type))]
pub async fn enqueue(conn: &impl ConnectionTrait, event: OutgoingEvent) -> Result<Uuid> {
    let id = siyu_core::id::new();
    let backend = Backend::of(conn)?;
    conn.execute_raw(stmt(
        backend,
        "INSERT INTO siyu_outbox (id, tenant, event_type, subject, source, occurred_at, traceparent, \
         tracestate, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            Value::Uuid(Some(id)),
            Value::Uuid(event.tenant.map(|t| t.0)),
            event.event_type.into(),
            event.subject.into(),
            event.source.into(),
            Value::ChronoDateTimeUtc(Some(event.occurred_at)),
            Value::String(event.trace.traceparent),
            Value::String(event.trace.tracestate),
            Value::Bytes(Some(event.payload)),
        ],
    ))
    .await?;
    Ok(id)
}

/// How many events are written but not yet published (for metrics and tests).
pub async fn pending_count(conn: &impl ConnectionTrait) -> Result<i64> {
    let backend = Backend::of(conn)?;
    let row = conn
        .query_one_raw(stmt(
            backend,
            "SELECT COUNT(*) AS n FROM siyu_outbox WHERE published_at IS NULL",
            [],
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<i64>("", "n")?,
        None => 0,
    })
}
