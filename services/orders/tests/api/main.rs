//! Integration tests of siyu-orders through its gRPC contract.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "tests"
)]

mod events_consumed;
mod fulfilment_jobs;
mod late_payments;
mod pay_harness;
mod payments;
mod reconciliation;
mod reconciliation_input;
mod refunds;
