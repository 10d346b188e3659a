//! TokenService and the token machinery: sessions, refresh rotation (also the one-statement
//! fast path), the revocation feed and session admin.

pub mod refresh_rotation;
pub mod revocation_feed;
pub mod session_admin;
pub mod sessions;
