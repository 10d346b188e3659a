//! Latency histograms: one per worker (no sharing on the hot path), merged after the run.

use std::time::Duration;

use anyhow::Context as _;
use hdrhistogram::Histogram;
use serde::Serialize;

/// Longest latency kept exactly; slower operations are clamped to it (a minute-long op in a
/// benchmark is a failure the error count and max will show anyway).
const MAX_TRACKED_NS: u64 = 60_000_000_000;
/// Three significant digits: 0.1% error on every percentile, at ~200 KiB per histogram.
const SIGNIFICANT_DIGITS: u8 = 3;

/// Operation latencies in nanoseconds.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    inner: Histogram<u64>,
}

/// Percentiles of a histogram, in microseconds, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Number of recorded operations.
    pub count: u64,
    /// Fastest operation.
    pub min_us: f64,
    /// Arithmetic mean.
    pub mean_us: f64,
    /// Median.
    pub p50_us: f64,
    /// 90th percentile.
    pub p90_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Slowest operation.
    pub max_us: f64,
}

impl LatencyHistogram {
    /// An empty histogram covering 1 ns to 60 s.
    pub fn new() -> anyhow::Result<Self> {
        let inner = Histogram::new_with_bounds(1, MAX_TRACKED_NS, SIGNIFICANT_DIGITS)
            .context("creating latency histogram")?;
        Ok(Self { inner })
    }

    /// Records one operation's latency.
    pub fn record(&mut self, latency: Duration) {
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.inner.saturating_record(ns.clamp(1, MAX_TRACKED_NS));
    }

    /// Adds every sample of `other` into this histogram.
    pub fn merge(&mut self, other: &Self) -> anyhow::Result<()> {
        self.inner
            .add(&other.inner)
            .context("merging latency histograms")
    }

    /// Number of recorded samples.
    pub fn len(&self) -> u64 {
        self.inner.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Percentiles in microseconds (all zero when empty).
    pub fn summary(&self) -> LatencySummary {
        if self.inner.is_empty() {
            return LatencySummary {
                count: 0,
                min_us: 0.0,
                mean_us: 0.0,
                p50_us: 0.0,
                p90_us: 0.0,
                p99_us: 0.0,
                p999_us: 0.0,
                max_us: 0.0,
            };
        }
        let us = |ns: u64| ns as f64 / 1_000.0;
        LatencySummary {
            count: self.inner.len(),
            min_us: us(self.inner.min()),
            mean_us: self.inner.mean() / 1_000.0,
            p50_us: us(self.inner.value_at_quantile(0.50)),
            p90_us: us(self.inner.value_at_quantile(0.90)),
            p99_us: us(self.inner.value_at_quantile(0.99)),
            p999_us: us(self.inner.value_at_quantile(0.999)),
            max_us: us(self.inner.max()),
        }
    }
}

/// Formats microseconds with a unit a reader can compare at a glance: `87.3µs`, `1.24ms`.
pub fn format_us(us: f64) -> String {
    if us < 1_000.0 {
        format!("{us:.1}µs")
    } else if us < 1_000_000.0 {
        format!("{:.2}ms", us / 1_000.0)
    } else {
        format!("{:.2}s", us / 1_000_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within HDR's 3-significant-digit precision.
    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() <= expected * 0.001 + 0.001
    }

    #[test]
    fn merged_percentiles_cover_every_worker() {
        // Worker A saw 1..=900 µs, worker B 901..=1000 µs: only the merge knows the tail.
        let mut a = LatencyHistogram::new().unwrap();
        let mut b = LatencyHistogram::new().unwrap();
        for us in 1..=900u64 {
            a.record(Duration::from_micros(us));
        }
        for us in 901..=1000u64 {
            b.record(Duration::from_micros(us));
        }
        assert!(close(a.summary().p99_us, 891.0), "{:?}", a.summary());

        a.merge(&b).unwrap();
        let s = a.summary();
        assert_eq!(s.count, 1000);
        assert!(close(s.min_us, 1.0), "{s:?}");
        assert!(close(s.p50_us, 500.0), "{s:?}");
        assert!(close(s.p90_us, 900.0), "{s:?}");
        assert!(close(s.p99_us, 990.0), "{s:?}");
        assert!(close(s.p999_us, 999.0), "{s:?}");
        assert!(close(s.max_us, 1000.0), "{s:?}");
        assert!(close(s.mean_us, 500.5), "{s:?}");
    }

    #[test]
    fn empty_and_extreme_values_do_not_fail() {
        let mut h = LatencyHistogram::new().unwrap();
        assert_eq!(h.summary().count, 0);
        h.record(Duration::ZERO);
        h.record(Duration::from_secs(3600));
        let s = h.summary();
        assert_eq!(s.count, 2);
        assert!(s.max_us <= 60_000_000.0 * 1.001, "{s:?}");
    }

    #[test]
    fn units_switch_at_thresholds() {
        assert_eq!(format_us(87.34), "87.3µs");
        assert_eq!(format_us(1_240.0), "1.24ms");
        assert_eq!(format_us(2_500_000.0), "2.50s");
    }
}
