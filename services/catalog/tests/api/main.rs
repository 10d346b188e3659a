//! Integration tests of siyu-catalog through its gRPC contract.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "tests"
)]

mod catalog;
mod harness;
mod inventory;
mod pricing;
mod reservations;
