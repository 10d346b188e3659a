//! Integration tests of siyu-auth: one binary, one module per concern.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "fixtures and helpers of a test binary: a panic is a failed test with its location"
)]

mod layer;
mod permissions;
mod rotation;
mod support;
mod verify;
