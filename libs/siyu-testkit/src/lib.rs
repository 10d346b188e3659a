//! Test fixtures for Siyu crates: a fresh database per test (Postgres cloned from a migrated
//! template, or SQLite), per-test Redis key and NATS subject prefixes, servers on port 0, and
//! polling with a deadline instead of sleeping.
//!
//! Server URLs come from `SIYU_TEST_DATABASE_URL`, `SIYU_TEST_REDIS_URL` and
//! `SIYU_TEST_NATS_URL`, defaulting to the standard local ports.

pub mod db;
pub mod env;
pub mod server;
pub mod wait;

pub use db::TestDb;
pub use env::{test_bus, test_cache, unique_bus_config, unique_key_prefix};
pub use server::{RunningServer, Shutdown, spawn_on_port_0};
pub use wait::{wait_for, wait_until};
