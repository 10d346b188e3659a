//! Admissions held locally: for a limit with a large burst, one round trip to the shared
//! limiter admits several requests at once (`Cache::rate_limit_many`) and this replica spends
//! them one by one without asking again.
//!
//! Why it is safe: every request spent here was admitted by the shared limiter first, so all
//! replicas together never exceed the limit. What it costs: a batch not spent before it
//! expires (`LEASE_TTL`) was admitted for nobody, so a replica can under-admit by what it
//! held when the key went quiet — at most a batch per request that missed at the same time. Batches are small against the burst (1/16 of it, at most 16)
//! and limits with a burst under 32 are not batched at all, so their answers stay exact.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use siyu_store::RateLimit;

/// How long locally held admissions stay usable.
const LEASE_TTL: Duration = Duration::from_secs(1);

/// The largest batch asked for at once.
const MAX_BATCH: u32 = 16;

/// Shards of the lease map, so concurrent requests for different keys rarely share a lock.
const SHARDS: usize = 16;

/// A shard is swept of expired leases when it grows past this many keys.
const SWEEP_AT: usize = 4096;

/// Requests admitted by the shared limiter and not spent yet, by limiter key.
#[derive(Debug)]
pub struct RateLeases {
    shards: Vec<Mutex<HashMap<String, Lease>>>,
}

#[derive(Debug, Clone, Copy)]
struct Lease {
    left: u32,
    expires: Instant,
}

impl Default for RateLeases {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

impl RateLeases {
    /// How many requests to ask the shared limiter for at once under `limit` (1 = no batching).
    pub fn batch(limit: RateLimit) -> u32 {
        (limit.burst / 16).clamp(1, MAX_BATCH)
    }

    /// Spends one locally held admission of `key`, if a live one is left.
    pub fn take(&self, key: &str, now: Instant) -> bool {
        let mut shard = self.shard(key);
        match shard.get_mut(key) {
            Some(lease) if lease.expires > now && lease.left > 0 => {
                lease.left -= 1;
                true
            }
            _ => false,
        }
    }

    /// Keeps `extra` admissions of `key` for later requests. Concurrent misses each fetch a
    /// batch, so more than one batch may be held; all of it was admitted by the shared
    /// limiter, and a request that limiter refuses spends what is held here first.
    pub fn keep(&self, key: &str, extra: u32, now: Instant) {
        if extra == 0 {
            return;
        }
        let mut shard = self.shard(key);
        if shard.len() >= SWEEP_AT {
            shard.retain(|_, lease| lease.expires > now);
        }
        let expires = now + LEASE_TTL;
        let lease = shard
            .entry(key.to_owned())
            .or_insert(Lease { left: 0, expires });
        if lease.expires <= now {
            lease.left = 0;
        }
        lease.left = lease.left.saturating_add(extra);
        lease.expires = expires;
    }

    fn shard(&self, key: &str) -> std::sync::MutexGuard<'_, HashMap<String, Lease>> {
        // FNV-1a: cheap and good enough to spread keys over a handful of shards.
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let index = usize::try_from(hash % SHARDS as u64).unwrap_or(0);
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(burst: u32) -> RateLimit {
        RateLimit {
            rate: burst,
            per: Duration::from_secs(1),
            burst,
        }
    }

    #[test]
    fn small_bursts_are_not_batched_and_large_ones_are_capped() {
        assert_eq!(RateLeases::batch(limit(1)), 1);
        assert_eq!(RateLeases::batch(limit(31)), 1);
        assert_eq!(RateLeases::batch(limit(64)), 4);
        assert_eq!(RateLeases::batch(limit(100_000)), MAX_BATCH);
    }

    #[test]
    fn kept_admissions_are_spent_once_and_expire() {
        let leases = RateLeases::default();
        let now = Instant::now();
        assert!(!leases.take("k", now));
        leases.keep("k", 3, now);
        assert!((0..3).all(|_| leases.take("k", now)));
        assert!(!leases.take("k", now));
        leases.keep("k", 3, now);
        assert!(!leases.take("k", now + LEASE_TTL));
        // Batches add up; an expired remainder does not.
        leases.keep("other", 4, now);
        leases.keep("other", 4, now);
        assert_eq!((0..100).filter(|_| leases.take("other", now)).count(), 8);
        leases.keep("other", 4, now);
        leases.keep("other", 4, now + LEASE_TTL);
        assert_eq!((0..100).filter(|_| leases.take("other", now)).count(), 4);
    }
}
