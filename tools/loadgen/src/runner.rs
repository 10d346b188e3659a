//! Drives a scenario: N workers, an optional warmup, then a measured phase bounded by time or
//! by operation count; per-worker histograms merged at the end.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::histogram::LatencyHistogram;
use crate::memory::PeakSampler;
use crate::options::ScenarioOptions;
use crate::report::{Measurement, Report};
use crate::scenario::{Outcome, Scenario, ScenarioSpec, SetupContext, Worker};

/// Distinct error messages each worker keeps, so a failing run says why without flooding.
const ERROR_SAMPLES_PER_WORKER: usize = 3;

/// When the measured phase ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// After this long (operations in flight are finished and counted).
    Duration(Duration),
    /// After exactly this many operations across all workers.
    Count(u64),
}

/// How hard and how long to drive a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunConfig {
    /// Concurrent workers, each running one operation at a time.
    pub concurrency: usize,
    /// End of the measured phase.
    pub stop: Stop,
    /// Unmeasured time before it, to fill pools and caches.
    pub warmup: Duration,
}

/// Shared, read-mostly state of one run.
struct Schedule {
    measure_from: Instant,
    stop: Stop,
    deadline: Instant,
    tickets: AtomicU64,
}

/// What one worker measured.
struct WorkerTally {
    histogram: LatencyHistogram,
    ok: u64,
    errors: u64,
    warmup_ok: u64,
    warmup_errors: u64,
    finished: Instant,
    error_samples: Vec<String>,
}

/// Builds, sets up, drives, checks and tears down `spec`, returning its report.
pub async fn run(
    spec: &ScenarioSpec,
    options: &ScenarioOptions,
    config: &RunConfig,
) -> anyhow::Result<Report> {
    if config.concurrency == 0 {
        bail!("concurrency must be at least 1");
    }
    let mut scenario = (spec.build)(options).with_context(|| format!("{}: options", spec.name))?;
    let ctx = SetupContext {
        concurrency: config.concurrency,
    };
    let result = match scenario
        .setup(&ctx)
        .await
        .with_context(|| format!("{}: setup", spec.name))
    {
        Ok(()) => measure_and_check(spec, options, config, scenario.as_ref()).await,
        Err(e) => Err(e),
    };
    // Teardown runs whatever happened, so scratch tables and servers never outlive a run.
    let teardown = scenario
        .teardown()
        .await
        .with_context(|| format!("{}: teardown", spec.name));
    let report = result?;
    teardown?;
    Ok(report)
}

async fn measure_and_check(
    spec: &ScenarioSpec,
    options: &ScenarioOptions,
    config: &RunConfig,
    scenario: &dyn Scenario,
) -> anyhow::Result<Report> {
    let mut workers = Vec::with_capacity(config.concurrency);
    for index in 0..config.concurrency {
        workers.push(
            scenario
                .worker(index)
                .await
                .with_context(|| format!("{}: worker {index}", spec.name))?,
        );
    }

    let memory = PeakSampler::start();
    let start = Instant::now();
    let measure_from = start + config.warmup;
    let deadline = match config.stop {
        Stop::Duration(d) => measure_from + d,
        Stop::Count(_) => measure_from,
    };
    let schedule = Arc::new(Schedule {
        measure_from,
        stop: config.stop,
        deadline,
        tickets: AtomicU64::new(0),
    });
    let mut handles = Vec::with_capacity(workers.len());
    for worker in workers {
        let histogram = LatencyHistogram::new()?;
        handles.push(tokio::spawn(drive(
            worker,
            Arc::clone(&schedule),
            histogram,
        )));
    }

    let mut merged = LatencyHistogram::new()?;
    let (mut ok, mut errors, mut warmup_ok, mut warmup_errors) = (0u64, 0u64, 0u64, 0u64);
    let mut finished = measure_from;
    let mut error_samples = Vec::new();
    for handle in handles {
        let tally = handle.await.context("a worker task panicked")?;
        merged.merge(&tally.histogram)?;
        ok += tally.ok;
        errors += tally.errors;
        warmup_ok += tally.warmup_ok;
        warmup_errors += tally.warmup_errors;
        finished = finished.max(tally.finished);
        for sample in tally.error_samples {
            if error_samples.len() < 5 && !error_samples.contains(&sample) {
                error_samples.push(sample);
            }
        }
    }

    let memory = memory.finish();
    let outcome = Outcome {
        ok_total: ok + warmup_ok,
        errors_total: errors + warmup_errors,
    };
    let invariant = scenario
        .check(&outcome)
        .await
        .with_context(|| format!("{}: invariant check", spec.name))?;
    let elapsed = finished.saturating_duration_since(measure_from);
    let measurement = Measurement {
        elapsed,
        ok,
        errors,
        latency: merged.summary(),
        invariant,
        error_samples,
        memory,
    };
    Ok(Report::new(spec, options, config, measurement))
}

async fn drive(
    mut worker: Box<dyn Worker>,
    schedule: Arc<Schedule>,
    mut histogram: LatencyHistogram,
) -> WorkerTally {
    let (mut ok, mut errors, mut warmup_ok, mut warmup_errors) = (0u64, 0u64, 0u64, 0u64);
    let mut error_samples: Vec<String> = Vec::new();
    loop {
        let began = Instant::now();
        let measured = began >= schedule.measure_from;
        if measured && !schedule.admit(began) {
            break;
        }
        let result = worker.op().await;
        let latency = began.elapsed();
        match (measured, result) {
            (true, Ok(())) => {
                histogram.record(latency);
                ok += 1;
            }
            (false, Ok(())) => warmup_ok += 1,
            (m, Err(e)) => {
                if m {
                    errors += 1
                } else {
                    warmup_errors += 1
                }
                let message = format!("{e:#}");
                if error_samples.len() < ERROR_SAMPLES_PER_WORKER
                    && !error_samples.contains(&message)
                {
                    error_samples.push(message);
                }
            }
        }
    }
    WorkerTally {
        histogram,
        ok,
        errors,
        warmup_ok,
        warmup_errors,
        finished: Instant::now(),
        error_samples,
    }
}

impl Schedule {
    /// Whether a measured operation may start now.
    fn admit(&self, now: Instant) -> bool {
        match self.stop {
            Stop::Duration(_) => now < self.deadline,
            // A ticket per operation makes the total exact however workers interleave.
            Stop::Count(n) => self.tickets.fetch_add(1, Ordering::Relaxed) < n,
        }
    }
}
