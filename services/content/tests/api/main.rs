//! Integration tests of siyu-content through its gRPC contract, on Postgres and SQLite.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "tests"
)]

mod bad_input;
mod harness;
mod lifecycle;
mod pages;
mod scheduling;
mod share_bad_input;
mod share_concurrency;
mod share_events;
mod share_links;
