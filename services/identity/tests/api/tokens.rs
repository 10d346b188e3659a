//! TokenService and the token machinery: sessions, refresh rotation (also the one-statement
//! fast path) and its lost-response grace, the revocation feed, session admin and service tokens.

pub mod refresh_grace;
pub mod refresh_rotation;
pub mod revocation_feed;
pub mod service_tokens;
pub mod session_admin;
pub mod sessions;
