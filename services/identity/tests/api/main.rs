//! Integration tests of the identity service through its gRPC contract.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "tests"
)]

mod audit;
mod helpers;
mod idempotency;
mod isolation;
mod links;
mod lookups;
mod merges;
mod org;
mod otp;
mod partners;
mod pay_config;
mod phone;
mod privacy;
mod revocations;
mod rotation;
mod session_admin;
mod staff;
mod staff_admin;
mod tenant_settings;
mod tokens;
mod totp;
mod users;
mod wechat;
