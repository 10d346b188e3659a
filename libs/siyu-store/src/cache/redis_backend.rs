//! The Redis backend: plain commands plus Lua scripts for the atomic operations.

use std::sync::LazyLock;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Script, Value};

use super::gcra::{RateDecision, RateLimit};
use crate::error::{Result, StoreError};

/// INCRBY, then give the key `ttl` if it has none (it was just created).
static INCR: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local v = redis.call('INCRBY', KEYS[1], ARGV[1])
          if tonumber(ARGV[2]) > 0 and redis.call('PTTL', KEYS[1]) == -1 then
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
          end
          return v",
    )
});

/// Take ARGV[1] only if that much is there; -1 means "not enough" (the value is never negative).
static DECR_IF_ENOUGH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local v = tonumber(redis.call('GET', KEYS[1]))
          local n = tonumber(ARGV[1])
          if v == nil or v < n then return -1 end
          return redis.call('DECRBY', KEYS[1], n)",
    )
});

/// GCRA, the same steps as `gcra::step`: ARGV = now_ms, interval_ms, burst, want. Returns
/// {granted, wait_ms, remaining}.
static GCRA: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local now = tonumber(ARGV[1])
          local t = tonumber(ARGV[2])
          local burst = tonumber(ARGV[3])
          local want = tonumber(ARGV[4])
          local tat = now
          local stored = redis.call('GET', KEYS[1])
          if stored then tat = math.max(tonumber(stored), now) end
          local room = math.floor((now + burst * t - tat) / t)
          if room < 1 then
            return {0, tat - now - (burst - 1) * t, 0}
          end
          local granted = math.min(room, want)
          local new_tat = tat + granted * t
          redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now)
          return {granted, 0, room - granted}",
    )
});

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A reconnecting Redis connection.
#[derive(Clone)]
pub(crate) struct RedisCache {
    conn: ConnectionManager,
}

impl RedisCache {
    pub(crate) async fn connect(url: &str) -> Result<Self> {
        let client = redis::Client::open(url).map_err(|e| StoreError::BadUrl {
            what: "cache",
            reason: e.to_string(),
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(5)))
            .set_number_of_retries(2);
        let conn = client.get_connection_manager_with_config(config).await?;
        Ok(Self { conn })
    }

    pub(crate) async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let mut conn = self.conn.clone();
        Ok(redis::cmd("GET").arg(key).query_async(&mut conn).await?)
    }

    pub(crate) async fn set(
        &self,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
        nx: bool,
    ) -> Result<bool> {
        let mut conn = self.conn.clone();
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value);
        if nx {
            cmd.arg("NX");
        }
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(millis(ttl).max(1));
        }
        let reply: Value = cmd.query_async(&mut conn).await?;
        Ok(!matches!(reply, Value::Nil))
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<bool> {
        let mut conn = self.conn.clone();
        let n: i64 = redis::cmd("DEL").arg(key).query_async(&mut conn).await?;
        Ok(n > 0)
    }

    pub(crate) async fn ttl(&self, key: &str) -> Result<Option<Duration>> {
        let mut conn = self.conn.clone();
        let ms: i64 = redis::cmd("PTTL").arg(key).query_async(&mut conn).await?;
        Ok(u64::try_from(ms).ok().map(Duration::from_millis))
    }

    pub(crate) async fn incr(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64> {
        let mut conn = self.conn.clone();
        let ttl = ttl.map(millis).unwrap_or(0);
        Ok(INCR
            .key(key)
            .arg(by)
            .arg(ttl)
            .invoke_async(&mut conn)
            .await?)
    }

    pub(crate) async fn decr_if_enough(&self, key: &str, n: i64) -> Result<Option<i64>> {
        let mut conn = self.conn.clone();
        let left: i64 = DECR_IF_ENOUGH
            .key(key)
            .arg(n)
            .invoke_async(&mut conn)
            .await?;
        Ok((left >= 0).then_some(left))
    }

    pub(crate) async fn rate_limit(
        &self,
        key: &str,
        limit: RateLimit,
        want: u32,
        now_ms: i64,
    ) -> Result<RateDecision> {
        let mut conn = self.conn.clone();
        let (granted, wait_ms, remaining): (i64, i64, i64) = GCRA
            .key(key)
            .arg(now_ms)
            .arg(limit.interval_ms())
            .arg(limit.burst.max(1))
            .arg(want.max(1))
            .invoke_async(&mut conn)
            .await?;
        Ok(RateDecision {
            allowed: granted > 0,
            granted: u32::try_from(granted).unwrap_or(0),
            retry_after: Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0)),
            remaining: u32::try_from(remaining).unwrap_or(0),
        })
    }
}
