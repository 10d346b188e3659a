//! The coupon jobs and how the service starts them: the expiry pass (expiry and CouponExpiring
//! reminders) and the birthday pass under named leases, and the runner of bulk grants to a
//! segment (`siyu_jobs`, one job per grant). Leases only save duplicate scans; every effect is
//! exactly once by its own key or conditional update, whatever runs twice.

use std::sync::Arc;
use std::time::Duration;

use siyu_core::{Ctx, Principal, PrincipalKind, TenantId};
use siyu_store::jobs::JobHandlerResult;
use siyu_store::{Job, JobQueue, JobRunner, Lease};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::issue::segment::{GRANT_BATCH, SEGMENT_GRANT_JOB};
use crate::AppError;
use crate::app::App;

/// Lease of the coupon expiry pass.
pub const EXPIRY_LEASE: &str = "membership.coupon_expiry";
/// Lease of the birthday pass.
pub const BIRTHDAY_LEASE: &str = "membership.coupon_birthdays";
/// Between expiry passes.
pub const EXPIRY_EVERY: Duration = Duration::from_secs(60);
/// Between birthday passes: hourly, so a birthday's pack arrives within its first hour.
pub const BIRTHDAY_EVERY: Duration = Duration::from_secs(3600);

/// The context the jobs act in: the service itself, in a member's tenant.
pub(crate) fn system_ctx(tenant: TenantId) -> Ctx {
    Ctx::new(
        tenant,
        Principal {
            subject: "membership".into(),
            kind: PrincipalKind::Service,
            grants: Vec::new(),
            scopes: Vec::new(),
            token_id: None,
        },
    )
}

/// The runner of bulk grants (one `siyu_jobs` row per grant; the job serves batches until the
/// grant ends, resuming from the grant's cursor after a crash or a lost lease).
pub fn segment_grant_runner(app: &Arc<App>) -> JobRunner {
    let queue = JobQueue::new(app.db.clone(), Arc::clone(&app.clock));
    let app = Arc::clone(app);
    JobRunner::new(queue, "membership-grants")
        .with_poll_interval(Duration::from_millis(200))
        .with_batch(2)
        .handle(SEGMENT_GRANT_JOB, move |job| {
            let app = Arc::clone(&app);
            async move { app.run_segment_grant_job(job).await }
        })
}

impl App {
    async fn run_segment_grant_job(&self, job: Job) -> JobHandlerResult {
        let tenant = job.tenant.map(TenantId).ok_or("grant job without tenant")?;
        let id = Uuid::from_slice(&job.payload).map_err(|e| format!("job input: {e}"))?;
        match self.run_segment_grant(tenant, id, GRANT_BATCH).await {
            Ok(()) => Ok(()),
            // Worth another attempt: the store, or a bug that a retry logs again.
            Err(e @ (AppError::Store(_) | AppError::Internal(_))) => Err(e.to_string()),
            // A refusal no retry gets past ends the grant, with why.
            Err(e) => self
                .fail_segment_grant(tenant, id, &e.to_string())
                .await
                .map_err(|e| e.to_string()),
        }
    }
}

/// Runs `pass` every `every` while holding `lease`, until `stop` changes to true.
async fn leased<F, Fut>(
    lease: Lease,
    every: Duration,
    mut stop: watch::Receiver<bool>,
    what: &'static str,
    pass: F,
) where
    F: Fn() -> Fut + Send,
    Fut: Future<Output = Result<String, AppError>> + Send,
{
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stopped = async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => break,
            _ = ticker.tick() => match lease.try_acquire().await {
                Ok(true) => match pass().await {
                    Ok(done) if !done.is_empty() => tracing::info!(done, what, "coupon job pass"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, what, "coupon job pass failed"),
                },
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, what, "coupon job lease unavailable"),
            },
        }
    }
    let _ = lease.release().await;
}

impl App {
    /// The expiry pass every `every` under `lease` until `stop` is true.
    pub async fn run_coupon_expiry(
        self,
        lease: Lease,
        every: Duration,
        stop: watch::Receiver<bool>,
    ) {
        leased(lease, every, stop, "coupon expiry", || async {
            let p = self.run_coupon_expiry_pass().await?;
            Ok(if p.expired == 0 && p.reminders == 0 {
                String::new()
            } else {
                format!("{} expired, {} reminders", p.expired, p.reminders)
            })
        })
        .await;
    }

    /// The birthday pass every `every` under `lease` until `stop` is true.
    pub async fn run_birthdays(self, lease: Lease, every: Duration, stop: watch::Receiver<bool>) {
        leased(lease, every, stop, "birthday packs", || async {
            let n = self.run_birthday_pass().await?;
            Ok(if n == 0 {
                String::new()
            } else {
                format!("{n} members")
            })
        })
        .await;
    }
}

/// Starts the coupon jobs of `app` until `stop` is true (called by `Application::build` when
/// jobs run).
pub fn spawn(app: &App, stop: &watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let owner = format!("membership-{}", siyu_core::id::new_string());
    let lease = |name: &str| {
        Lease::new(
            app.db.clone(),
            Arc::clone(&app.clock),
            name,
            &owner,
            Duration::from_secs(300),
        )
    };
    let runner = segment_grant_runner(&Arc::new(app.clone()));
    let mut rx = stop.clone();
    vec![
        tokio::spawn(app.clone().run_coupon_expiry(
            lease(EXPIRY_LEASE),
            EXPIRY_EVERY,
            stop.clone(),
        )),
        tokio::spawn(app.clone().run_birthdays(
            lease(BIRTHDAY_LEASE),
            BIRTHDAY_EVERY,
            stop.clone(),
        )),
        tokio::spawn(runner.run(async move {
            let _ = rx.wait_for(|s| *s).await;
        })),
    ]
}
