//! Storage of tokens: sessions and hashed refresh tokens, the one-statement refresh rotation,
//! the revocation feed and the signing key table.

pub mod refresh_rotation;
pub mod revocation_feed;
pub mod sessions;
pub mod signing_keys;
