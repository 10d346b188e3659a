//! Load generator: a registry of benchmark scenarios, a runner that drives them with N
//! concurrent workers into HDR histograms, and reports (human and JSON) with ratios against
//! reference scenarios measured in the same run.
//!
//! The library is the body of the `loadgen` CLI: errors are reported to a person at a
//! terminal, so `anyhow` is used throughout rather than a typed error enum.

pub mod catalog;
pub mod cli;
pub mod echo;
pub mod histogram;
pub mod hosted;
pub mod membership;
pub mod memory;
pub mod options;
pub mod platform;
pub mod registry;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod scenarios;
pub mod scratch;
pub mod service;
pub mod tokens;
