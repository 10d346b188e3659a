//! Integration tests of siyu-catalog through its gRPC contract.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "tests"
)]

mod catalog;
mod events;
mod guests;
mod harness;
mod hostile_bytes;
mod inventory;
mod locations;
mod pricing;
mod reservations;
mod storefront;
mod storefront_cost;
mod storefront_model;
mod sync;
mod transfers;
