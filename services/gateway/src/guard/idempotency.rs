//! `Idempotency-Key` at the edge: the first reply to a POST is stored (status, type, body)
//! under (caller, key) with a hash of method, path and body; a retry gets the same reply with
//! `Idempotent-Replayed: true`; the same key with another request is 409
//! `IDEMPOTENCY_KEY_REUSED`; a duplicate arriving while the first is in flight waits briefly
//! for its reply, then gets 409 `IDEMPOTENCY_IN_PROGRESS`.
//!
//! The in-flight marker is a `set_if_absent` key that expires after the request timeout, so a
//! gateway dying mid-request cannot block the key for longer than that. The service keeps its
//! own idempotency records too (architecture.md), so a reply lost here is still not applied
//! twice.

use std::time::Duration;

use http::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use siyu_store::Cache;

use crate::problem::Problem;

/// Longest accepted key; UUIDs and ULIDs are far shorter.
const MAX_KEY_LEN: usize = 255;

/// How often a duplicate looks for the first request's reply.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// A reply as stored for replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredReply {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// The body (JSON text).
    pub body: String,
    /// Hash of the request it answered.
    pub request_hash: String,
}

/// One request's claim on a key.
#[derive(Debug)]
pub struct KeyClaim {
    record_key: String,
    lock_key: String,
    hash: String,
}

/// What to do with a request carrying a key.
#[derive(Debug)]
pub enum Begin {
    /// Forward it; call [`KeyClaim::finish`] with the reply.
    Proceed(KeyClaim),
    /// Answer this stored reply.
    Replay(StoredReply),
}

/// Validates a client's key: 1–255 visible ASCII characters.
pub fn validate_key(key: &str) -> Result<(), Problem> {
    if !key.is_empty() && key.len() <= MAX_KEY_LEN && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "IDEMPOTENCY_KEY_INVALID",
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        ))
    }
}

/// The hash binding a key to one request.
pub fn request_hash(method: &str, path_and_query: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b"\n");
    hasher.update(path_and_query.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// Starts a replayable request: replays a stored reply, refuses a reused key, waits for or
/// refuses a duplicate in flight, or claims the key.
pub async fn begin_replay(
    cache: &Cache,
    scope: &str,
    key: &str,
    hash: String,
    lock_ttl: Duration,
    wait: Duration,
) -> Result<Begin, Problem> {
    let claim = KeyClaim::new(scope, key, hash);
    if let Some(reply) = claim.stored(cache).await? {
        return Ok(Begin::Replay(reply));
    }
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if claim.try_lock(cache, lock_ttl).await? {
            // The first request may have finished between our read and our lock.
            if let Some(reply) = claim.stored(cache).await? {
                claim.unlock(cache).await;
                return Ok(Begin::Replay(reply));
            }
            return Ok(Begin::Proceed(claim));
        }
        if let Some(reply) = claim.stored(cache).await? {
            return Ok(Begin::Replay(reply));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(in_progress());
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Starts a de-duplicated request (logins): only one in flight per key, nothing stored.
pub async fn begin_dedupe(
    cache: &Cache,
    scope: &str,
    key: &str,
    lock_ttl: Duration,
) -> Result<KeyClaim, Problem> {
    let claim = KeyClaim::new(scope, key, String::new());
    if claim.try_lock(cache, lock_ttl).await? {
        Ok(claim)
    } else {
        Err(in_progress())
    }
}

impl KeyClaim {
    fn new(scope: &str, key: &str, hash: String) -> Self {
        let record_key = format!("idem:{scope}:{key}");
        Self {
            lock_key: format!("{record_key}:inflight"),
            record_key,
            hash,
        }
    }

    /// The request hash this claim was made for.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// Stores `reply` (when given) for replay and releases the key.
    pub async fn finish(self, cache: &Cache, reply: Option<&StoredReply>, ttl: Duration) {
        if let Some(reply) = reply {
            match serde_json::to_vec(reply) {
                Ok(bytes) => {
                    if let Err(err) = cache.set(&self.record_key, &bytes, Some(ttl)).await {
                        tracing::warn!(error = %err, "cannot store the idempotent reply");
                    }
                }
                Err(err) => tracing::warn!(error = %err, "cannot encode the idempotent reply"),
            }
        }
        self.unlock(cache).await;
    }

    async fn stored(&self, cache: &Cache) -> Result<Option<StoredReply>, Problem> {
        let Some(bytes) = cache.get(&self.record_key).await.map_err(unavailable)? else {
            return Ok(None);
        };
        let reply: StoredReply = serde_json::from_slice(&bytes).map_err(|err| {
            tracing::error!(error = %err, "unreadable idempotency record");
            Problem::internal()
        })?;
        if reply.request_hash == self.hash {
            Ok(Some(reply))
        } else {
            Err(reused())
        }
    }

    async fn try_lock(&self, cache: &Cache, ttl: Duration) -> Result<bool, Problem> {
        if cache
            .set_if_absent(&self.lock_key, self.hash.as_bytes(), Some(ttl))
            .await
            .map_err(unavailable)?
        {
            return Ok(true);
        }
        // A different request already holds the key: no point waiting for its reply.
        match cache.get(&self.lock_key).await.map_err(unavailable)? {
            Some(holder) if !self.hash.is_empty() && holder != self.hash.as_bytes() => {
                Err(reused())
            }
            _ => Ok(false),
        }
    }

    async fn unlock(&self, cache: &Cache) {
        if let Err(err) = cache.delete(&self.lock_key).await {
            tracing::warn!(error = %err, "cannot release the idempotency key; it expires by itself");
        }
    }
}

/// Replies worth replaying: successes and the client errors a retry would get again. Auth
/// failures, rate limits and server errors are not stored: the retry may well succeed.
pub fn storable(status: StatusCode) -> bool {
    status.is_success() || matches!(status.as_u16(), 400 | 404 | 409 | 410 | 422)
}

fn in_progress() -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        "IDEMPOTENCY_IN_PROGRESS",
        "a request with this Idempotency-Key is still being processed; retry shortly",
    )
    .with_retry_after(1)
}

fn reused() -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        "IDEMPOTENCY_KEY_REUSED",
        "this Idempotency-Key was used for a different request",
    )
}

/// Idempotency needs the cache (unlike rate limits): without it a retry could apply twice,
/// so the request is refused as temporarily unavailable.
fn unavailable(err: siyu_store::StoreError) -> Problem {
    tracing::error!(error = %err, "idempotency store unavailable");
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "IDEMPOTENCY_UNAVAILABLE",
        "cannot check the Idempotency-Key right now; retry shortly",
    )
    .with_retry_after(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_and_hashes_bind_the_request() {
        assert!(validate_key("0190b1c2-0000-7000-8000-000000000001").is_ok());
        assert!(validate_key("").is_err());
        assert!(validate_key("has space").is_err());
        assert!(validate_key(&"k".repeat(256)).is_err());
        let a = request_hash("POST", "/a", b"{}");
        assert_eq!(a, request_hash("POST", "/a", b"{}"));
        assert_ne!(a, request_hash("POST", "/a", b"{ }"));
        assert_ne!(a, request_hash("POST", "/b", b"{}"));
    }

    #[test]
    fn only_repeatable_answers_are_stored() {
        assert!(storable(StatusCode::OK));
        assert!(storable(StatusCode::UNPROCESSABLE_ENTITY));
        assert!(!storable(StatusCode::UNAUTHORIZED));
        assert!(!storable(StatusCode::TOO_MANY_REQUESTS));
        assert!(!storable(StatusCode::SERVICE_UNAVAILABLE));
    }
}
