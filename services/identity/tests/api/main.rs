//! Integration tests of the identity service through its gRPC contract.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "tests"
)]

mod audit;
mod consumers;
mod helpers;
mod hostile_bytes;
mod idempotency;
mod isolation;
mod login_roles;
mod malformed_ids;
mod merges;
mod org;
mod partners;
mod privacy;
mod staff;
mod tenancy;
mod tokens;
