//! A key-value cache over Redis (`redis://`) or process memory (`memory://`), chosen by URL.
//!
//! Both backends implement the same semantics, including the atomic scripts: a conditional
//! decrement for stock-like counters and a GCRA rate limiter. Every key gets the cache's
//! prefix; use [`tenant_tag`] so all keys of one tenant hash to one Redis Cluster slot.

use std::sync::Arc;
use std::time::Duration;

use siyu_core::{Clock, TenantId};

use crate::error::{Result, StoreError};

mod gcra;
mod memory;
mod redis_backend;

pub use gcra::{RateDecision, RateLimit};

/// `{<tenant>}`: a Redis Cluster hash tag, so every key of one tenant lands in one slot and
/// multi-key scripts stay legal.
pub fn tenant_tag(tenant: TenantId) -> String {
    format!("{{{tenant}}}")
}

#[derive(Clone)]
enum Inner {
    Redis(redis_backend::RedisCache),
    Memory(Arc<memory::MemoryCache>),
}

/// The cache handle; cheap to clone.
#[derive(Clone)]
pub struct Cache {
    prefix: String,
    clock: Arc<dyn Clock>,
    inner: Inner,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match self.inner {
            Inner::Redis(_) => "redis",
            Inner::Memory(_) => "memory",
        };
        f.debug_struct("Cache")
            .field("backend", &backend)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl Cache {
    /// Connects to `redis://…` or creates an in-memory cache for `memory://`. `prefix` is put
    /// before every key (e.g. `siyu:membership:`); `clock` drives memory expiry and rate limits.
    #[tracing::instrument(skip_all)]
    pub async fn connect(url: &str, prefix: &str, clock: Arc<dyn Clock>) -> Result<Self> {
        let inner = if url.starts_with("redis://") || url.starts_with("rediss://") {
            Inner::Redis(redis_backend::RedisCache::connect(url).await?)
        } else if url.starts_with("memory://") {
            Inner::Memory(Arc::new(memory::MemoryCache::default()))
        } else {
            return Err(StoreError::BadUrl {
                what: "cache",
                reason: "expected redis:// or memory://".into(),
            });
        };
        Ok(Self {
            prefix: prefix.to_owned(),
            clock,
            inner,
        })
    }

    /// The full key for `key`, with the prefix.
    pub fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// The value at `key`, if present and not expired.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let key = self.key(key);
        match &self.inner {
            Inner::Redis(r) => r.get(&key).await,
            Inner::Memory(m) => Ok(m.get(&key, self.now_ms())),
        }
    }

    /// Sets `key` to `value`, expiring after `ttl` (`None` = never).
    pub async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let key = self.key(key);
        match &self.inner {
            Inner::Redis(r) => r.set(&key, value, ttl, false).await.map(|_| ()),
            Inner::Memory(m) => {
                m.set(&key, value, ttl, false, self.now_ms());
                Ok(())
            }
        }
    }

    /// Sets `key` only if it is absent; `true` when this call set it.
    pub async fn set_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        let key = self.key(key);
        match &self.inner {
            Inner::Redis(r) => r.set(&key, value, ttl, true).await,
            Inner::Memory(m) => Ok(m.set(&key, value, ttl, true, self.now_ms())),
        }
    }

    /// Deletes `key`; `true` if it existed.
    pub async fn delete(&self, key: &str) -> Result<bool> {
        let key = self.key(key);
        match &self.inner {
            Inner::Redis(r) => r.delete(&key).await,
            Inner::Memory(m) => Ok(m.delete(&key, self.now_ms())),
        }
    }

    /// Remaining time to live of `key`: `None` if absent or without expiry.
    pub async fn ttl(&self, key: &str) -> Result<Option<Duration>> {
        let key = self.key(key);
        match &self.inner {
            Inner::Redis(r) => r.ttl(&key).await,
            Inner::Memory(m) => Ok(m.ttl(&key, self.now_ms())),
        }
    }

    /// Adds `by` to the counter at `key` (absent = 0) and returns the new value. When the key
    /// has no expiry yet (it was just created) it gets `ttl`: a fixed-window counter.
    pub async fn incr(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64> {
        let key = self.key(key);
        match &self.inner {
            Inner::Redis(r) => r.incr(&key, by, ttl).await,
            Inner::Memory(m) => m.incr(&key, by, ttl, self.now_ms()),
        }
    }

    /// Atomically takes `n` from the counter at `key` if it holds at least `n`; returns what is
    /// left, or `None` (and changes nothing) if there is not enough or the key is absent.
    /// The counter therefore never goes below zero.
    pub async fn decr_if_enough(&self, key: &str, n: i64) -> Result<Option<i64>> {
        if n <= 0 {
            return Err(StoreError::Cache(format!(
                "decr_if_enough needs a positive amount, got {n}"
            )));
        }
        let key = self.key(key);
        match &self.inner {
            Inner::Redis(r) => r.decr_if_enough(&key, n).await,
            Inner::Memory(m) => m.decr_if_enough(&key, n, self.now_ms()),
        }
    }

    /// One request against the GCRA limiter at `key`: allowed or not, and when to retry.
    pub async fn rate_limit(&self, key: &str, limit: RateLimit) -> Result<RateDecision> {
        self.rate_limit_many(key, limit, 1).await
    }

    /// Admits up to `want` requests at once against the GCRA limiter at `key` (as many as
    /// the burst has room for; `granted` says how many). Lets a caller hold admitted
    /// requests locally and spend them without a round trip each: the limit is still never
    /// exceeded, since every admitted request was counted here first.
    pub async fn rate_limit_many(
        &self,
        key: &str,
        limit: RateLimit,
        want: u32,
    ) -> Result<RateDecision> {
        let key = self.key(key);
        let now = self.now_ms();
        match &self.inner {
            Inner::Redis(r) => r.rate_limit(&key, limit, want, now).await,
            Inner::Memory(m) => m.rate_limit(&key, limit, want, now),
        }
    }
}
