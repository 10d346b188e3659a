//! The scenario contract: setup → per-worker operation → invariant check → teardown.

use async_trait::async_trait;
use serde::Serialize;

use crate::options::{OptionSpec, ScenarioOptions};

/// A registry entry: everything the CLI needs to list, build and compare a scenario.
#[derive(Debug, Clone, Copy)]
pub struct ScenarioSpec {
    /// Name used on the command line, e.g. `grpc-echo`.
    pub name: &'static str,
    /// One line for `loadgen list`.
    pub description: &'static str,
    /// The reference this scenario is reported against (`None` for references themselves).
    pub reference: Option<&'static str>,
    /// Options it accepts besides the common ones.
    pub options: &'static [OptionSpec],
    /// Builds an unstarted instance from parsed options (validate options here, fail early).
    pub build: fn(&ScenarioOptions) -> anyhow::Result<Box<dyn Scenario>>,
}

/// What setup may size itself by.
#[derive(Debug, Clone, Copy)]
pub struct SetupContext {
    /// Number of concurrent workers that will run.
    pub concurrency: usize,
}

/// Counts over the whole run, warmup included, for invariant checks against the system's
/// state (which the warmup changed too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Operations that succeeded.
    pub ok_total: u64,
    /// Operations that failed.
    pub errors_total: u64,
}

/// Result of a scenario's invariant check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvariantStatus {
    /// The invariant holds.
    Ok,
    /// The invariant is broken: the run is not a valid measurement.
    Failed,
    /// This scenario (or this configuration of it) has nothing to check.
    NotChecked,
}

/// The invariant check's verdict and what it compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invariant {
    /// Verdict.
    pub status: InvariantStatus,
    /// Human-readable evidence, e.g. `rows 200 = ok ops 200`.
    pub detail: String,
}

/// A benchmark. One instance per run; workers are created after setup.
#[async_trait]
pub trait Scenario: Send + Sync {
    /// Prepares shared state: servers, pools, scratch tables.
    async fn setup(&mut self, ctx: &SetupContext) -> anyhow::Result<()>;

    /// Creates the state worker `index` uses for its operations.
    async fn worker(&self, index: usize) -> anyhow::Result<Box<dyn Worker>>;

    /// Verifies the system after all operations finished, before teardown.
    async fn check(&self, _outcome: &Outcome) -> anyhow::Result<Invariant> {
        Ok(Invariant::not_checked("no invariant defined"))
    }

    /// Releases what setup created; called even when the run failed.
    async fn teardown(&mut self) -> anyhow::Result<()>;
}

/// One worker's operation loop body; the runner times each call.
#[async_trait]
pub trait Worker: Send {
    /// Performs one operation; `Err` counts as an error, not an abort.
    async fn op(&mut self) -> anyhow::Result<()>;
}

impl Invariant {
    /// A passed check with its evidence.
    pub fn ok(detail: impl Into<String>) -> Self {
        Self {
            status: InvariantStatus::Ok,
            detail: detail.into(),
        }
    }

    /// A failed check with its evidence.
    pub fn failed(detail: impl Into<String>) -> Self {
        Self {
            status: InvariantStatus::Failed,
            detail: detail.into(),
        }
    }

    /// No check, and why.
    pub fn not_checked(detail: impl Into<String>) -> Self {
        Self {
            status: InvariantStatus::NotChecked,
            detail: detail.into(),
        }
    }

    /// `Ok` when `holds`, `Failed` otherwise, with the same evidence either way.
    pub fn expect(holds: bool, detail: impl Into<String>) -> Self {
        if holds {
            Self::ok(detail)
        } else {
            Self::failed(detail)
        }
    }
}
