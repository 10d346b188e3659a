//! Building-block sections that services compose into their own `Settings`.
//!
//! Each section fills missing keys from its `Default`, rejects unknown keys (a misspelt
//! `SIYU_X__DATABASE__URLL` must fail loudly, not be ignored) and validates itself.

mod auth;
mod bus;
mod cache;
mod database;
mod server;

pub use auth::AuthSettings;
pub use bus::BusSettings;
pub use cache::CacheSettings;
pub use database::DatabaseSettings;
pub use server::ServerSettings;
