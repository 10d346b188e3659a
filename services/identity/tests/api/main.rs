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
mod idempotency;
mod isolation;
mod merges;
mod org;
mod partners;
mod privacy;
mod staff {
    //! Staff: login and lockout, StaffService administration, and TOTP.

    pub mod admin;
    pub mod login;
    pub mod totp;
}
mod tenancy;
mod tokens {
    //! TokenService and the token machinery: sessions, refresh rotation (also the one-statement
    //! fast path), the revocation feed and session admin.

    pub mod refresh_rotation;
    pub mod revocation_feed;
    pub mod session_admin;
    pub mod sessions;
}
