//! The in-process backend: a map behind a mutex, never held across an await.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::gcra::{self, RateDecision, RateLimit};
use crate::error::{Result, StoreError};

struct Entry {
    value: Vec<u8>,
    expires_at_ms: Option<i64>,
}

/// Values with optional expiry, judged against the cache's clock.
#[derive(Default)]
pub(crate) struct MemoryCache {
    map: Mutex<HashMap<String, Entry>>,
}

fn deadline(now_ms: i64, ttl: Option<Duration>) -> Option<i64> {
    ttl.map(|t| now_ms.saturating_add(i64::try_from(t.as_millis()).unwrap_or(i64::MAX)))
}

fn parse_counter(value: &[u8]) -> Result<i64> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| StoreError::Cache("value is not an integer".into()))
}

impl MemoryCache {
    /// The map with expired entries of `key` removed.
    fn live(&self, key: &str, now_ms: i64) -> MutexGuard<'_, HashMap<String, Entry>> {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if map
            .get(key)
            .is_some_and(|e| e.expires_at_ms.is_some_and(|at| at <= now_ms))
        {
            map.remove(key);
        }
        map
    }

    pub(crate) fn get(&self, key: &str, now_ms: i64) -> Option<Vec<u8>> {
        self.live(key, now_ms).get(key).map(|e| e.value.clone())
    }

    pub(crate) fn set(
        &self,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
        nx: bool,
        now_ms: i64,
    ) -> bool {
        let mut map = self.live(key, now_ms);
        if nx && map.contains_key(key) {
            return false;
        }
        map.insert(
            key.to_owned(),
            Entry {
                value: value.to_vec(),
                expires_at_ms: deadline(now_ms, ttl),
            },
        );
        true
    }

    pub(crate) fn delete(&self, key: &str, now_ms: i64) -> bool {
        self.live(key, now_ms).remove(key).is_some()
    }

    pub(crate) fn ttl(&self, key: &str, now_ms: i64) -> Option<Duration> {
        let map = self.live(key, now_ms);
        let at = map.get(key)?.expires_at_ms?;
        Some(Duration::from_millis(
            u64::try_from(at - now_ms).unwrap_or(0),
        ))
    }

    pub(crate) fn incr(
        &self,
        key: &str,
        by: i64,
        ttl: Option<Duration>,
        now_ms: i64,
    ) -> Result<i64> {
        let mut map = self.live(key, now_ms);
        let entry = map.entry(key.to_owned()).or_insert(Entry {
            value: b"0".to_vec(),
            expires_at_ms: None,
        });
        let next = parse_counter(&entry.value)?
            .checked_add(by)
            .ok_or_else(|| StoreError::Cache("increment overflows".into()))?;
        entry.value = next.to_string().into_bytes();
        if entry.expires_at_ms.is_none() {
            entry.expires_at_ms = deadline(now_ms, ttl);
        }
        Ok(next)
    }

    pub(crate) fn decr_if_enough(&self, key: &str, n: i64, now_ms: i64) -> Result<Option<i64>> {
        let mut map = self.live(key, now_ms);
        let Some(entry) = map.get_mut(key) else {
            return Ok(None);
        };
        let current = parse_counter(&entry.value)?;
        if current < n {
            return Ok(None);
        }
        entry.value = (current - n).to_string().into_bytes();
        Ok(Some(current - n))
    }

    pub(crate) fn rate_limit(
        &self,
        key: &str,
        limit: RateLimit,
        want: u32,
        now_ms: i64,
    ) -> Result<RateDecision> {
        let mut map = self.live(key, now_ms);
        let stored = map.get(key).map(|e| parse_counter(&e.value)).transpose()?;
        let (decision, new_tat) = gcra::step(limit, now_ms, stored, want);
        if let Some(tat) = new_tat {
            map.insert(
                key.to_owned(),
                Entry {
                    value: tat.to_string().into_bytes(),
                    expires_at_ms: Some(tat),
                },
            );
        }
        Ok(decision)
    }
}
