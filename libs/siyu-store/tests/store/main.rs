//! Integration tests of siyu-store against the real local servers (Postgres, Redis, NATS) and
//! the embedded backends (SQLite, memory). Each scenario runs once per backend.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers outside #[test] fns: a panic is a failed assertion"
)]

mod support;

mod bus;
mod cache;
mod idempotency;
mod inbox;
mod jobs;
mod outbox;
