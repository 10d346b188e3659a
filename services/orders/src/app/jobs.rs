//! Orders' background work, one pass every `jobs_interval_secs` under the lease `orders.jobs`
//! (any replica may run it; the lease only saves duplicate scans — every step is safe to run
//! twice): recover checkouts whose process died mid-saga, cancel orders not paid by their
//! deadline, run the follow-up tasks that are due, complete shipped orders at their
//! auto-completion time, settle completed orders whose after-sales window has closed, and
//! import and match the PSP's daily bill (`reconciliation::daily`), and strip erased users'
//! orders that passed their retention (`events::consume::erasure`).

use std::time::Duration;

use siyu_core::TenantId;
use siyu_store::Lease;

use super::orders::cancel::RELEASE;
use super::orders::model::{ActorKind, Cancellation, cancel_reason};
use super::orders::paid::SETTLE_PAID;
use crate::AppError;
use crate::app::App;
use crate::repo;

/// Rows per step and pass.
const BATCH: i64 = 100;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Dead checkouts given back.
    pub recovered: usize,
    /// Orders cancelled for not being paid in time.
    pub timed_out: usize,
    /// Follow-up tasks completed.
    pub tasks: usize,
    /// Shipped orders completed automatically.
    pub auto_completed: usize,
    /// Completed orders settled.
    pub settled: usize,
    /// Bill downloads and reconciliation runs finished.
    pub reconciled: usize,
    /// Orders of erased users stripped of addresses and names, past their retention.
    pub erased_stripped: usize,
}

impl App {
    /// One pass of every job.
    pub async fn run_jobs_pass(&self) -> Result<Pass, AppError> {
        Ok(Pass {
            recovered: self.recover_stale_checkouts(self.stale_checkout_ms).await?,
            timed_out: self.cancel_overdue().await?,
            tasks: self.run_due_tasks().await?,
            // Completion first: an order completed now settles in a later pass, after its window.
            auto_completed: self.auto_complete_due().await?,
            settled: self.settle_due().await?,
            reconciled: self.reconcile_due().await?,
            erased_stripped: self.strip_erased_due().await?,
        })
    }

    /// Completes SHIPPED orders whose auto-completion time has come.
    pub async fn auto_complete_due(&self) -> Result<usize, AppError> {
        let due =
            repo::orders::fulfilment::due_auto_complete(&self.db, self.now_ms(), BATCH).await?;
        let mut n = 0;
        for (tenant, order_id) in due {
            match self.auto_complete(tenant, order_id).await {
                Ok(done) => n += usize::from(done),
                Err(e) => tracing::warn!(error = %e, order = %order_id, "auto-complete"),
            }
        }
        Ok(n)
    }

    /// Settles completed orders whose after-sales window closed with no case open.
    pub async fn settle_due(&self) -> Result<usize, AppError> {
        let due = repo::orders::fulfilment::due_settlement(&self.db, self.now_ms(), BATCH).await?;
        let mut n = 0;
        for (tenant, order_id) in due {
            match self.settle_completed(tenant, order_id).await {
                Ok(done) => n += usize::from(done),
                Err(e) => tracing::warn!(error = %e, order = %order_id, "settlement"),
            }
        }
        Ok(n)
    }

    /// Cancels pending orders past their payment deadline.
    pub async fn cancel_overdue(&self) -> Result<usize, AppError> {
        let overdue = repo::orders::overdue(&self.db, self.now_ms(), BATCH).await?;
        let mut n = 0;
        for (tenant, order_id) in overdue {
            let cancellation = Cancellation {
                reason: cancel_reason::PAYMENT_TIMEOUT,
                note: String::new(),
                actor: ActorKind::System.number(),
                actor_id: String::new(),
                at_ms: self.now_ms(),
                refund_id: String::new(),
            };
            match self.cancel_unpaid(tenant, order_id, cancellation).await {
                Ok(_) => n += 1,
                // Paid at the last moment: the payment was applied instead.
                Err(AppError::OrderAlreadyPaid | AppError::IllegalTransition { .. }) => {}
                Err(e) => tracing::warn!(error = %e, order = %order_id, "unpaid timeout"),
            }
        }
        Ok(n)
    }

    /// Runs the follow-up tasks that are due; a failure is retried with backoff.
    pub async fn run_due_tasks(&self) -> Result<usize, AppError> {
        let due = repo::tasks::due(&self.db, self.now_ms(), BATCH).await?;
        let mut n = 0;
        for task in due {
            let tenant = TenantId(task.tenant);
            let result = match task.kind.as_str() {
                RELEASE => self.release_order(tenant, task.order_id).await,
                SETTLE_PAID => self.settle_paid(tenant, task.order_id).await,
                crate::events::consume::catalog::TASK => {
                    self.cancel_expired_reservation(tenant, task.order_id).await
                }
                k if k.starts_with(super::refunds::run::TASK_PREFIX) => {
                    self.run_refund_task(tenant, task.order_id, k).await
                }
                k if k.starts_with(super::payments::late::TASK_PREFIX) => {
                    self.run_late_payment_task(tenant, task.order_id, k).await
                }
                other => Err(AppError::Internal(format!("unknown task {other}"))),
            };
            match result {
                Ok(()) => n += 1,
                Err(e) => {
                    // 5 s, 10 s, 20 s … capped at 10 minutes.
                    let backoff = 5_000_i64 << task.attempts.clamp(0, 7);
                    repo::tasks::retry_at(
                        &self.db,
                        tenant,
                        task.order_id,
                        &task.kind,
                        self.now_ms() + backoff.min(600_000),
                        &e.to_string(),
                    )
                    .await?;
                }
            }
        }
        Ok(n)
    }

    /// Runs passes every `every` while holding `lease`, until `stop`.
    pub async fn run_jobs(
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
                        Ok(true) => match self.run_jobs_pass().await {
                            Ok(p) if p != Pass::default() => tracing::info!(
                                recovered = p.recovered, timed_out = p.timed_out,
                                tasks = p.tasks, auto_completed = p.auto_completed,
                                settled = p.settled, reconciled = p.reconciled,
                                erased_stripped = p.erased_stripped,
                                "orders jobs pass"),
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "orders jobs pass"),
                        },
                        Ok(false) => {}
                        Err(e) => tracing::warn!(error = %e, "orders jobs lease"),
                    }
                }
            }
        }
        let _ = lease.release().await;
    }
}
