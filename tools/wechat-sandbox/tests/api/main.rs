//! Integration tests: real HTTP against a sandbox bound on 127.0.0.1:0.

// Clippy's test exemption covers `#[test]` functions only, not the shared helpers of an
// integration-test crate; a panic there is still a failed assertion with a clear location.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a panic is a failed assertion"
)]

mod control;
mod helpers;
mod pay;
mod phone;
mod request_log;
mod session;
mod token;
