//! The reservation expiry job: HELD reservations past their TTL become EXPIRED, their units go
//! back, and ReservationExpired is published, all in one transaction per reservation. The
//! HELD → EXPIRED conditional update makes it exactly-once even when two runners (or a runner
//! and a confirm) race; the lease only keeps replicas from doing the same scan twice.

use std::time::Duration;

use siyu_store::Lease;

use crate::app::App;
use crate::app::domain::ReservationStatus;
use crate::{AppError, repo};

/// Reservations handled per pass.
const BATCH: u64 = 100;

impl App {
    /// Expires every reservation due now; returns how many this call expired.
    #[tracing::instrument(skip_all)]
    pub async fn expire_due(&self) -> Result<usize, AppError> {
        let mut total = 0;
        loop {
            let ids = repo::reservations::due(&self.db, self.now_ms(), BATCH).await?;
            let n = ids.len();
            for id in ids {
                let txn = siyu_store::db::begin_write(&self.db).await?;
                let Some((tenant, r)) = repo::reservations::by_id(&txn, id).await? else {
                    continue;
                };
                if r.status != ReservationStatus::Held {
                    continue;
                }
                match self
                    .close(&txn, tenant, r, ReservationStatus::Expired, "EXPIRED")
                    .await
                {
                    // Only the runner whose conditional update matched publishes and counts.
                    Ok((closed, true)) => {
                        crate::events::publish::reservation_expired(
                            &txn,
                            tenant,
                            &closed,
                            self.clock.now(),
                        )
                        .await?;
                        txn.commit().await?;
                        total += 1;
                    }
                    Ok((_, false)) => {}
                    // Settled by someone else meanwhile, or the database is away: the next
                    // pass picks it up again.
                    Err(AppError::ReservationBusy) => {}
                    Err(AppError::Store(e)) if e.is_unavailable() => {}
                    Err(e) => return Err(e),
                }
            }
            if (n as u64) < BATCH {
                return Ok(total);
            }
        }
    }

    /// Runs [`App::expire_due`] every `every` while holding `lease`, until `stop` resolves.
    pub async fn run_expiry(
        self,
        lease: Lease,
        every: Duration,
        stop: impl Future<Output = ()> + Send,
    ) {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = ticker.tick() => {
                    match lease.try_acquire().await {
                        Ok(true) => {
                            if let Err(e) = self.expire_due().await {
                                tracing::warn!(error = %e, "reservation expiry pass failed");
                            }
                        }
                        Ok(false) => {}
                        Err(e) => tracing::warn!(error = %e, "expiry lease unavailable"),
                    }
                }
            }
        }
        let _ = lease.release().await;
    }
}
