//! A local emulator of the WeChat platform APIs the Siyu suite calls.
//!
//! No test can reach WeChat, so the suite's connectors are pointed at this server by
//! configuration. It speaks the real request/response formats and error codes (`errcode`,
//! `errmsg`, HTTP 200 even on errors) and adds a JSON control API under `/sandbox/…` that lets a
//! test play the user: register an app, mint a login or phone code, expire tokens, move time,
//! read back what the suite called.
//!
//! Each emulated WeChat product is one module contributing protocol routes and control routes
//! (`login`, `pay`); the shared pieces (apps, clock, request log, wire format) live
//! beside them.

pub mod client;
pub mod clock;
pub mod control;
pub mod error;
pub mod login;
pub mod pay;
pub mod request_log;
pub mod server;
pub mod settings;
pub mod wire;

mod apps;
mod random;
mod state;

pub use client::SandboxControl;
pub use error::SandboxError;
pub use server::{Sandbox, SpawnedSandbox};
pub use settings::{AppSettings, SandboxSettings};
