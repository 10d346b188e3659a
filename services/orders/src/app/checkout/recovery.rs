//! Checkouts whose process died mid-saga: a record still running after `stale_checkout_secs`
//! (far longer than a saga takes: each peer call times out in seconds) is failed first — the
//! claim, so a saga that is in fact still alive can no longer create its order (creating it
//! requires the record to be running) — and only then is what it took given back, through the
//! `release` task that retries until every peer has answered.

use crate::AppError;
use crate::app::App;
use crate::app::checkout::record::CheckoutState;
use crate::app::orders::cancel::RELEASE;
use crate::repo;

/// Records per pass.
const BATCH: i64 = 100;

impl App {
    /// Fails the checkouts running since before `stale_ms` ago and gives back what they took;
    /// answers how many this call recovered.
    pub async fn recover_stale_checkouts(&self, stale_ms: i64) -> Result<usize, AppError> {
        let stale = repo::checkouts::stale(&self.db, self.now_ms() - stale_ms, BATCH).await?;
        let mut n = 0;
        for (tenant, order_id, _taken) in stale {
            let now = self.now_ms();
            let txn = siyu_store::db::begin_write(&self.db).await?;
            // Only the runner that fails the record releases: a second runner finds it failed.
            if !repo::checkouts::finish(
                &txn,
                tenant,
                order_id,
                CheckoutState::Failed,
                "RECOVERED",
                now,
            )
            .await?
            {
                continue;
            }
            repo::tasks::schedule(&txn, tenant, order_id, RELEASE, now).await?;
            txn.commit().await?;
            n += 1;
            if let Err(e) = self.release_order(tenant, order_id).await {
                tracing::warn!(error = %e, order = %order_id, "recovered checkout; the task retries");
            }
        }
        Ok(n)
    }
}
