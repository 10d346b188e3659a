//! Reports: one per scenario run, ratios between subjects and references, human and JSON
//! output.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use serde::Serialize;

use crate::histogram::{LatencySummary, format_us};
use crate::memory::Memory;
use crate::options::ScenarioOptions;
use crate::runner::{RunConfig, Stop};
use crate::scenario::{Invariant, InvariantStatus, ScenarioSpec};

/// What the runner measured for one scenario.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Length of the measured phase.
    pub elapsed: Duration,
    /// Successful measured operations.
    pub ok: u64,
    /// Failed measured operations.
    pub errors: u64,
    /// Latency of the successful operations.
    pub latency: LatencySummary,
    /// The scenario's invariant verdict.
    pub invariant: Invariant,
    /// A few distinct error messages.
    pub error_samples: Vec<String>,
    /// Resident memory at rest and at peak.
    pub memory: Memory,
}

/// One scenario's result, as printed and as written to JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// Reference scenario it is compared against, if any.
    pub reference: Option<String>,
    /// Scenario options given.
    pub options: BTreeMap<String, String>,
    /// Concurrent workers.
    pub concurrency: usize,
    /// Warmup length in seconds.
    pub warmup_secs: f64,
    /// Requested operation count (count mode only).
    pub requested_count: Option<u64>,
    /// Measured phase length in seconds.
    pub elapsed_secs: f64,
    /// Measured operations, successful or not.
    pub ops: u64,
    /// Successful measured operations.
    pub ok: u64,
    /// Failed measured operations.
    pub errors: u64,
    /// Successful operations per second.
    pub throughput_ops_s: f64,
    /// Latency percentiles of successful operations.
    pub latency: LatencySummary,
    /// Invariant verdict.
    pub invariant: Invariant,
    /// A few distinct error messages.
    pub error_samples: Vec<String>,
    /// Resident memory of the process (service and load generator when in-process), KiB.
    pub memory: Memory,
}

/// A subject's throughput relative to its reference in the same run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ratio {
    /// The measured scenario.
    pub subject: String,
    /// Its reference.
    pub reference: String,
    /// subject ops/s ÷ reference ops/s.
    pub throughput_ratio: f64,
}

/// Everything one `loadgen` invocation measured.
#[derive(Debug, Clone, Serialize)]
pub struct SuiteReport {
    /// Seconds since the Unix epoch when the report was made.
    pub unix_time: u64,
    /// CPUs available to this process.
    pub cpus: usize,
    /// Per-scenario results, in run order.
    pub reports: Vec<Report>,
    /// Ratios for every subject whose reference also ran.
    pub ratios: Vec<Ratio>,
}

impl Report {
    /// Assembles a report from the run's parameters and measurement.
    pub fn new(
        spec: &ScenarioSpec,
        options: &ScenarioOptions,
        config: &RunConfig,
        m: Measurement,
    ) -> Self {
        let elapsed_secs = m.elapsed.as_secs_f64();
        let throughput_ops_s = if elapsed_secs > 0.0 {
            m.ok as f64 / elapsed_secs
        } else {
            0.0
        };
        Self {
            scenario: spec.name.to_owned(),
            reference: spec.reference.map(str::to_owned),
            options: options.as_map().clone(),
            concurrency: config.concurrency,
            warmup_secs: config.warmup.as_secs_f64(),
            requested_count: match config.stop {
                Stop::Count(n) => Some(n),
                Stop::Duration(_) => None,
            },
            elapsed_secs,
            ops: m.ok + m.errors,
            ok: m.ok,
            errors: m.errors,
            throughput_ops_s,
            latency: m.latency,
            invariant: m.invariant,
            error_samples: m.error_samples,
            memory: m.memory,
        }
    }

    /// True when the invariant did not fail.
    pub fn passed(&self) -> bool {
        self.invariant.status != InvariantStatus::Failed
    }
}

impl SuiteReport {
    /// Wraps reports and computes their ratios.
    pub fn new(reports: Vec<Report>) -> Self {
        let unix_time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let cpus = std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1);
        let ratios = ratios(&reports);
        Self {
            unix_time,
            cpus,
            reports,
            ratios,
        }
    }

    /// Writes the report as pretty JSON.
    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }
}

/// Ratios for subjects whose reference ran in the same suite (only then are they comparable).
pub fn ratios(reports: &[Report]) -> Vec<Ratio> {
    reports
        .iter()
        .filter_map(|subject| {
            let reference_name = subject.reference.as_deref()?;
            let reference = reports.iter().find(|r| r.scenario == reference_name)?;
            (reference.throughput_ops_s > 0.0).then(|| Ratio {
                subject: subject.scenario.clone(),
                reference: reference.scenario.clone(),
                throughput_ratio: subject.throughput_ops_s / reference.throughput_ops_s,
            })
        })
        .collect()
}

/// Prints one scenario's result for a person.
#[expect(clippy::print_stdout, reason = "the CLI's output")]
pub fn print_report(r: &Report) {
    let mode = match r.requested_count {
        Some(n) => format!("count={n}"),
        None => format!("duration={:.1}s", r.elapsed_secs),
    };
    let options: Vec<String> = r
        .options
        .iter()
        .map(|(k, v)| format!("--{k} {v}"))
        .collect();
    println!(
        "== {}  concurrency={} {mode} warmup={:.1}s {}",
        r.scenario,
        r.concurrency,
        r.warmup_secs,
        options.join(" ")
    );
    println!(
        "   ops         {} (ok {}, errors {}) in {:.2}s",
        r.ops, r.ok, r.errors, r.elapsed_secs
    );
    println!("   throughput  {:.1} ops/s", r.throughput_ops_s);
    let l = &r.latency;
    println!(
        "   latency     p50 {}  p99 {}  p999 {}  (min {}, mean {}, max {})",
        format_us(l.p50_us),
        format_us(l.p99_us),
        format_us(l.p999_us),
        format_us(l.min_us),
        format_us(l.mean_us),
        format_us(l.max_us)
    );
    let verdict = match r.invariant.status {
        InvariantStatus::Ok => "ok",
        InvariantStatus::Failed => "FAILED",
        InvariantStatus::NotChecked => "not checked",
    };
    println!("   invariant   {verdict}: {}", r.invariant.detail);
    println!(
        "   memory      rss at rest {:.1} MiB, peak {:.1} MiB (this process)",
        r.memory.rest_kib as f64 / 1024.0,
        r.memory.peak_kib as f64 / 1024.0
    );
    for sample in &r.error_samples {
        println!("   error       {sample}");
    }
}

/// Prints the ratios section of a suite.
#[expect(clippy::print_stdout, reason = "the CLI's output")]
pub fn print_ratios(ratios: &[Ratio]) {
    if ratios.is_empty() {
        return;
    }
    println!("== ratios (same run, same machine)");
    for r in ratios {
        println!(
            "   {} / {}  = {:.3}",
            r.subject, r.reference, r.throughput_ratio
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::LatencyHistogram;

    fn report(name: &str, reference: Option<&str>, throughput: f64) -> Report {
        Report {
            scenario: name.into(),
            reference: reference.map(Into::into),
            options: BTreeMap::new(),
            concurrency: 1,
            warmup_secs: 0.0,
            requested_count: None,
            elapsed_secs: 1.0,
            ops: 1,
            ok: 1,
            errors: 0,
            throughput_ops_s: throughput,
            latency: LatencyHistogram::new().unwrap().summary(),
            invariant: Invariant::not_checked(""),
            error_samples: vec![],
            memory: Memory::default(),
        }
    }

    #[test]
    fn ratios_need_the_reference_in_the_same_suite() {
        let reports = vec![
            report("grpc-echo", None, 20_000.0),
            report("gateway-route", Some("grpc-echo"), 5_000.0),
            report("ledger", Some("pg-insert"), 900.0),
        ];
        let r = ratios(&reports);
        assert_eq!(r.len(), 1, "ledger's reference did not run: {r:?}");
        assert_eq!(r[0].subject, "gateway-route");
        assert!((r[0].throughput_ratio - 0.25).abs() < 1e-9);
    }
}
