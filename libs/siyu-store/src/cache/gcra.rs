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
    /// Whether this request may proceed (at least one request was admitted).
    pub allowed: bool,
    /// How many requests were admitted: 1 for a single request, up to the number asked for
    /// by [`crate::Cache::rate_limit_many`]; 0 when refused.
    pub granted: u32,
    /// When refused, how long until a request would be allowed (zero when allowed).
    pub retry_after: Duration,
    /// How many more requests would be allowed right now.
    pub remaining: u32,
}

/// One GCRA step admitting up to `want` requests at once (as many as the burst has room
/// for). Returns the decision and, when any were admitted, the new TAT (the state expires at
/// the TAT). `want = 1` is the plain one-request step.
pub(crate) fn step(
    limit: RateLimit,
    now_ms: i64,
    stored_tat: Option<i64>,
    want: u32,
) -> (RateDecision, Option<i64>) {
    let t = limit.interval_ms();
    let burst = i64::from(limit.burst.max(1));
    let tat = stored_tat.unwrap_or(now_ms).max(now_ms);
    // Whole requests that fit before the TAT would pass now + burst intervals.
    let room = (now_ms + burst * t - tat).div_euclid(t);
    if room < 1 {
        let wait = u64::try_from(tat - now_ms - (burst - 1) * t).unwrap_or(0);
        return (
            RateDecision {
                allowed: false,
                granted: 0,
                retry_after: Duration::from_millis(wait),
                remaining: 0,
            },
            None,
        );
    }
    let granted = room.min(i64::from(want.max(1)));
    let new_tat = tat + granted * t;
    (
        RateDecision {
            allowed: true,
            granted: u32::try_from(granted).unwrap_or(0),
            retry_after: Duration::ZERO,
            remaining: u32::try_from(room - granted).unwrap_or(0),
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
            let (d, new) = step(limit, 1_000, tat, 1);
            assert!(d.allowed);
            assert_eq!(d.remaining, expected_remaining);
            tat = new;
        }
        let (d, new) = step(limit, 1_000, tat, 1);
        assert!(!d.allowed);
        assert_eq!(d.retry_after, Duration::from_millis(100));
        assert_eq!(new, None);
        let (d, _) = step(limit, 1_100, tat, 1);
        assert!(d.allowed);
    }

    #[test]
    fn many_admits_what_the_burst_has_room_for_and_matches_single_steps() {
        let limit = RateLimit {
            rate: 10,
            per: Duration::from_secs(1),
            burst: 5,
        };
        let (d, tat) = step(limit, 1_000, None, 3);
        assert_eq!((d.granted, d.remaining), (3, 2));
        let (d, tat) = step(limit, 1_000, tat, 3);
        assert_eq!((d.granted, d.remaining), (2, 0));
        let (d, none) = step(limit, 1_000, tat, 3);
        assert!(!d.allowed);
        assert_eq!(d.granted, 0);
        assert_eq!(d.retry_after, Duration::from_millis(100));
        assert_eq!(none, None);
        // Five single steps leave the same TAT as one step of five.
        let mut single = None;
        for _ in 0..5 {
            single = step(limit, 1_000, single, 1).1;
        }
        assert_eq!(single, step(limit, 1_000, None, 5).1);
    }
}
