//! Storage plumbing shared by every Siyu service: the database (`postgres://` or `sqlite://`),
//! migrations of the tables this crate owns, the transactional outbox and its relay, inbox
//! de-duplication, idempotency records, leased background jobs, the cache (`redis://` or
//! `memory://`) and the event bus (`nats://` or `memory://`).
//!
//! Backends are chosen by URL, never by code forks in services.

pub mod bus;
pub mod cache;
pub mod db;
pub mod error;
pub mod idempotency;
pub mod inbox;
pub mod jobs;
pub mod migrations;
pub mod outbox;
pub mod provision;
pub mod sql;

pub use bus::{Bus, BusConfig, BusMessage, ConsumerConfig, Delivery, Subscription};
pub use cache::{Cache, RateDecision, RateLimit};
pub use db::{Backend, DbOptions};
pub use error::StoreError;
pub use idempotency::{Idempotency, Outcome};
pub use jobs::{Job, JobQueue, JobRunner, Lease, NewJob};
pub use outbox::{OutboxRelay, OutgoingEvent};
