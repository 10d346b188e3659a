//! Resident memory of this process (`VmRSS` in `/proc/self/status`), at rest after a scenario's
//! setup and at its peak under load. Scenarios that run a service in-process report the
//! service and the load generator together: an upper bound for the service alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

/// How often the peak is sampled while the load runs.
const EVERY: Duration = Duration::from_millis(50);

/// Resident memory of the process, KiB; `None` where `/proc` is not there.
pub fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Resident memory around a run, KiB (0 when it could not be read).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Memory {
    /// After setup, before the first operation.
    pub rest_kib: u64,
    /// The largest sample while operations ran.
    pub peak_kib: u64,
}

/// Samples the peak on a thread of its own until stopped.
pub struct PeakSampler {
    rest: u64,
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PeakSampler {
    /// Reads the resident size now (at rest) and starts sampling.
    pub fn start() -> Self {
        let rest = rss_kib().unwrap_or(0);
        let peak = Arc::new(AtomicU64::new(rest));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (peak, stop) = (Arc::clone(&peak), Arc::clone(&stop));
            std::thread::spawn(move || sample(&peak, &stop))
        };
        Self {
            rest,
            peak,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops sampling; answers what was seen.
    pub fn finish(mut self) -> Memory {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(now) = rss_kib() {
            self.peak.fetch_max(now, Ordering::Relaxed);
        }
        Memory {
            rest_kib: self.rest,
            peak_kib: self.peak.load(Ordering::Relaxed),
        }
    }
}

/// The sampling loop, on a thread of its own: sleeping blocks no runtime worker.
#[expect(
    clippy::disallowed_methods,
    reason = "a dedicated OS thread, not a runtime's"
)]
fn sample(peak: &AtomicU64, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        if let Some(now) = rss_kib() {
            peak.fetch_max(now, Ordering::Relaxed);
        }
        std::thread::sleep(EVERY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(clippy::disallowed_methods, reason = "a plain test thread, no runtime")]
    fn reads_this_process_and_the_peak_is_at_least_the_rest() {
        let rest = rss_kib().expect("linux /proc");
        assert!(rest > 0);
        let sampler = PeakSampler::start();
        // Touch 64 MiB so the peak has something to see.
        let block = vec![1u8; 64 << 20];
        std::thread::sleep(EVERY * 3);
        let m = sampler.finish();
        assert!(block.iter().all(|b| *b == 1));
        assert!(m.peak_kib >= m.rest_kib);
        assert!(m.peak_kib >= rest + (60 << 10), "{m:?}");
    }
}
