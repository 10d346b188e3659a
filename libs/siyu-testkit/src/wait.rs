//! Polling with a deadline: tests wait for a condition, never for a fixed time.

use std::time::Duration;

use anyhow::bail;

const STEP: Duration = Duration::from_millis(20);

/// Polls `check` until it returns `true`; an error if `within` passes first.
pub async fn wait_until<F, Fut>(within: Duration, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    wait_for(within, || {
        let fut = check();
        async move { fut.await.then_some(()) }
    })
    .await
}

/// Polls `probe` until it returns `Some(value)`; an error if `within` passes first.
pub async fn wait_for<T, F, Fut>(within: Duration, mut probe: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(value) = probe().await {
            return Ok(value);
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("condition not met within {within:?}");
        }
        tokio::time::sleep(STEP).await;
    }
}
