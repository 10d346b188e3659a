//! Siyu in one process: the WeChat sandbox, every service of the [`registry`] and the gateway,
//! each on its own listener with real gRPC between them ([`suite`]), plus `siyu dev` ([`dev`]):
//! embedded backends (SQLite files, in-memory cache and bus), first-start secrets and a demo
//! tenant seeded through the services' contracts ([`seed`]).
//!
//! `services/platform` is the one crate allowed to link every service library.

pub mod dev;
pub mod registry;
pub mod seed;
pub mod suite;

pub use dev::{Dev, DevOptions};
pub use registry::{SERVICES, Service};
pub use suite::{Addrs, Configure, Overrides, StartOptions, Suite, Wiring};
