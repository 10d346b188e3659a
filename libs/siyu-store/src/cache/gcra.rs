//! The generic cell rate algorithm, shared by the memory backend and mirrored by the Redis
//! script: the state is one number, the theoretical arrival time (TAT) of the next request.

use std::time::Duration;

/// A limit: `rate` requests per `per` on average, with bursts of up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per `per`.
    pub rate: u32,
    /// The period `rate` is measured over.
    pub per: Duration,
    /// How many requests may arrive at the same instant.
    pub burst: u32,
}

impl RateLimit {
    /// Milliseconds between requests at the steady rate (at least 1).
    pub(crate) fn interval_ms(&self) -> i64 {
        let per = i64::try_from(self.per.as_millis()).unwrap_or(i64::MAX);
        (per / i64::from(self.rate.max(1))).max(1)
    }
}

/// The answer of the limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateDecision {
    /// Whether this request may proceed.
    pub allowed: bool,
    /// When refused, how long until a request would be allowed (zero when allowed).
    pub retry_after: Duration,
    /// How many more requests would be allowed right now.
    pub remaining: u32,
}

/// One GCRA step. Returns the decision and, when allowed, the new TAT (the state expires
/// at the TAT).
pub(crate) fn step(
    limit: RateLimit,
    now_ms: i64,
    stored_tat: Option<i64>,
) -> (RateDecision, Option<i64>) {
    let t = limit.interval_ms();
    let burst = i64::from(limit.burst.max(1));
    let tat = stored_tat.unwrap_or(now_ms).max(now_ms);
    let tolerance = (burst - 1) * t;
    if tat - now_ms > tolerance {
        let wait = u64::try_from(tat - now_ms - tolerance).unwrap_or(0);
        return (
            RateDecision {
                allowed: false,
                retry_after: Duration::from_millis(wait),
                remaining: 0,
            },
            None,
        );
    }
    let new_tat = tat + t;
    let remaining = u32::try_from((burst * t - (new_tat - now_ms)) / t).unwrap_or(0);
    (
        RateDecision {
            allowed: true,
            retry_after: Duration::ZERO,
            remaining,
        },
        Some(new_tat),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_burst_then_refuses_until_one_interval_passes() {
        let limit = RateLimit {
            rate: 10,
            per: Duration::from_secs(1),
            burst: 3,
        };
        let mut tat = None;
        for expected_remaining in [2, 1, 0] {
            let (d, new) = step(limit, 1_000, tat);
            assert!(d.allowed);
            assert_eq!(d.remaining, expected_remaining);
            tat = new;
        }
        let (d, new) = step(limit, 1_000, tat);
        assert!(!d.allowed);
        assert_eq!(d.retry_after, Duration::from_millis(100));
        assert_eq!(new, None);
        let (d, _) = step(limit, 1_100, tat);
        assert!(d.allowed);
    }
}
