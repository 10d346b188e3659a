//! Fetching the JWKS over HTTP, with single-flight and a minimum interval between fetches.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::error::AuthError;
use crate::jwk::KeySet;

/// A JWKS larger than this is refused: identity publishes a handful of keys, and an
/// unbounded body would let a misconfigured URL exhaust memory.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// Where the key set comes from and when it was last fetched.
pub(super) struct JwksSource {
    url: reqwest::Url,
    client: reqwest::Client,
    min_refetch: Duration,
    /// Held for the whole fetch: concurrent callers queue here instead of each fetching,
    /// and see the outcome of the fetch they waited for.
    gate: Mutex<LastFetch>,
}

#[derive(Default)]
struct LastFetch {
    /// When an unknown `kid` last caused a fetch. Startup and periodic fetches do not count:
    /// a key rotated just after one of them must still be picked up on first sight.
    refetched_at: Option<Instant>,
    /// Why the most recent fetch of any kind failed, if it did.
    error: Option<String>,
}

/// What [`JwksSource::refetch_for`] decided.
pub(super) enum Refetch {
    /// A fetch ran and its keys were stored.
    Fetched,
    /// Someone else fetched while this caller waited; look again in the cache.
    Raced,
    /// A fetch ran too recently; do not hit identity again yet.
    RateLimited {
        /// Why the previous fetch failed, if it did.
        last_error: Option<String>,
    },
}

impl JwksSource {
    pub(super) fn new(
        url: &str,
        fetch_timeout: Duration,
        min_refetch: Duration,
    ) -> Result<Self, AuthError> {
        let url = reqwest::Url::parse(url)
            .map_err(|err| AuthError::Config(format!("jwks_url: {err}")))?;
        let client = reqwest::Client::builder()
            .timeout(fetch_timeout)
            .build()
            .map_err(|err| AuthError::Config(format!("http client: {err}")))?;
        Ok(Self {
            url,
            client,
            min_refetch,
            gate: Mutex::new(LastFetch::default()),
        })
    }

    /// Fetches unconditionally (still one at a time), for startup and the periodic refresh,
    /// and hands the keys to `store`.
    pub(super) async fn fetch_now(&self, store: impl Fn(Arc<KeySet>)) -> Result<(), AuthError> {
        let mut last = self.gate.lock().await;
        self.fetch_locked(&mut last, store).await
    }

    /// Fetches because a `kid` was not cached, unless a fetch ran within the minimum
    /// interval. `still_missing` is asked again once the gate is held, so callers that
    /// queued behind a fetch that brought their key do not fetch a second time.
    pub(super) async fn refetch_for(
        &self,
        still_missing: impl Fn() -> bool,
        store: impl Fn(Arc<KeySet>),
    ) -> Result<Refetch, AuthError> {
        let mut last = self.gate.lock().await;
        if !still_missing() {
            return Ok(Refetch::Raced);
        }
        if let Some(at) = last.refetched_at
            && at.elapsed() < self.min_refetch
        {
            return Ok(Refetch::RateLimited {
                last_error: last.error.clone(),
            });
        }
        last.refetched_at = Some(Instant::now());
        self.fetch_locked(&mut last, store)
            .await
            .map(|()| Refetch::Fetched)
    }

    /// Fetches and stores while the caller holds the gate: storing after releasing it would
    /// let a queued caller look at the cache before the new keys are in and fetch again.
    async fn fetch_locked(
        &self,
        last: &mut LastFetch,
        store: impl Fn(Arc<KeySet>),
    ) -> Result<(), AuthError> {
        let result = self.fetch().await;
        last.error = result.as_ref().err().map(ToString::to_string);
        if let Err(err) = &result {
            tracing::warn!(url = %self.url, error = %err, "JWKS fetch failed");
        }
        store(Arc::new(result?));
        Ok(())
    }

    async fn fetch(&self) -> Result<KeySet, AuthError> {
        let unavailable =
            |err: reqwest::Error| AuthError::JwksUnavailable(err.without_url().to_string());
        let response = self
            .client
            .get(self.url.clone())
            .send()
            .await
            .map_err(unavailable)?;
        let response = response.error_for_status().map_err(unavailable)?;
        if response
            .content_length()
            .is_some_and(|len| len > MAX_JWKS_BYTES as u64)
        {
            return Err(AuthError::JwksUnavailable("JWKS too large".into()));
        }
        let body = response.bytes().await.map_err(unavailable)?;
        if body.len() > MAX_JWKS_BYTES {
            return Err(AuthError::JwksUnavailable("JWKS too large".into()));
        }
        let set = KeySet::from_json(&body)?;
        tracing::debug!(keys = set.len(), "JWKS fetched");
        Ok(set)
    }
}
