//! Gateway integration tests: the real gateway on port 0 in front of a small real identity
//! upstream, against real Redis and memory://.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::field_reassign_with_default,
    reason = "fixtures and helpers of a test binary: a panic is a failed test with its location"
)]

mod auth;
mod edge_methods;
mod errors;
mod idempotency;
mod ingress;
mod ingress_limits;
mod limits;
mod meta;
mod oauth;
mod openapi;
mod psp;
mod slow_clients;
mod support;
mod transcoding;
mod upstream;
