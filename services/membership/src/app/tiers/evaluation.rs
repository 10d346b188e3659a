//! Tier re-evaluation (保级): the only way down. A leased job per member is due at the
//! member's next evaluation date (and at the end of a grace period); any replica may run it.
//!
//! At an evaluation date the growth of the trailing window (`evaluation_period_months`) is
//! compared with the held tier's `retain_growth`: enough (or a tier that never downgrades, or
//! the entry tier) schedules the next evaluation one period on; too little starts a grace
//! period of `grace_period_days` (`downgrade_at`, shown to the member). At its end, unless
//! growth recovered meanwhile (`App::grow` ends the grace period), the member drops one tier
//! (TierChanged, cause REEVALUATION) and the next evaluation is one period after the drop.
//!
//! A paid period's tier is a floor (`paid/benefits.rs`): the drop lowers the tier growth holds,
//! but the member holds at least the floor, and TierChanged is published only when the tier
//! held changes.
//!
//! A job that finds nothing due does nothing: every reschedule enqueues its own job, so stale
//! jobs are harmless and a crash before `complete` only runs an idempotent evaluation again.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, Principal, PrincipalKind, TenantId};
use siyu_store::jobs::JobHandlerResult;
use siyu_store::{Job, JobQueue, JobRunner, NewJob};
use uuid::Uuid;

use super::{add_months, effective, held, standing_of, sub_months};
use crate::app::App;
use crate::app::domain::{MemberId, tier_below};
use crate::{AppError, events, repo};

/// Job kind of a member's tier evaluation.
pub const EVALUATION_JOB: &str = "membership.tier_evaluation";

/// The runner of tier evaluations, paid-membership benefit jobs and the nightly RFM pass,
/// started by `Application::build` when jobs run.
pub fn runner(app: &Arc<App>) -> JobRunner {
    let queue = JobQueue::new(app.db.clone(), Arc::clone(&app.clock));
    let app = Arc::clone(app);
    JobRunner::new(queue, "membership")
        .with_poll_interval(Duration::from_millis(200))
        .handle(EVALUATION_JOB, {
            let app = Arc::clone(&app);
            move |job| {
                let app = Arc::clone(&app);
                async move { app.run_evaluation_job(job).await }
            }
        })
        .handle(crate::app::paid::benefits::FLOOR_JOB, {
            let app = Arc::clone(&app);
            move |job| {
                let app = Arc::clone(&app);
                async move { app.run_paid_job(job).await }
            }
        })
        .handle(crate::app::paid::benefits::PACK_JOB, {
            let app = Arc::clone(&app);
            move |job| {
                let app = Arc::clone(&app);
                async move { app.run_paid_job(job).await }
            }
        })
        .handle(crate::app::tags::rfm_job::RFM_JOB, move |job| {
            let app = Arc::clone(&app);
            async move { app.run_rfm_job(job).await }
        })
}

/// Enqueues `member`'s evaluation at `at_ms` in the caller's transaction.
pub async fn schedule(
    conn: &impl ConnectionTrait,
    app: &App,
    tenant: TenantId,
    member: MemberId,
    at_ms: i64,
) -> Result<(), AppError> {
    let mut job = NewJob::new(EVALUATION_JOB, member.0.as_bytes().to_vec());
    job.tenant = Some(tenant);
    job.run_at = chrono::DateTime::from_timestamp_millis(at_ms);
    JobQueue::new(app.db.clone(), Arc::clone(&app.clock))
        .enqueue(conn, job)
        .await?;
    Ok(())
}

/// The context evaluations and paid-membership jobs act in: the service itself, in the
/// member's tenant.
pub fn system_ctx(tenant: TenantId) -> Ctx {
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

impl App {
    async fn run_evaluation_job(&self, job: Job) -> JobHandlerResult {
        let tenant = job
            .tenant
            .map(TenantId)
            .ok_or("evaluation job without tenant")?;
        let member = Uuid::from_slice(&job.payload).map_err(|e| format!("job input: {e}"))?;
        let ctx = system_ctx(tenant);
        let txn = siyu_store::db::begin_write(&self.db)
            .await
            .map_err(|e| e.to_string())?;
        self.evaluate(&txn, &ctx, MemberId(member))
            .await
            .map_err(|e| e.to_string())?;
        txn.commit().await.map_err(|e| e.to_string())
    }

    /// Evaluates one member if an evaluation or the end of a grace period is due.
    pub async fn evaluate(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: MemberId,
    ) -> Result<(), AppError> {
        let now_ms = self.now_ms();
        let Some(m) = repo::members::by_id(conn, ctx.tenant, member, false).await? else {
            return Ok(());
        };
        let policy = repo::tiers::policy(conn, ctx.tenant).await?;
        let mut s = standing_of(conn, ctx, member, &policy).await?;
        repo::tiers::growth::lock(conn, ctx.tenant, &s, now_ms).await?;
        s = standing_of(conn, ctx, member, &policy).await?;
        let tiers = repo::tiers::all(conn, ctx.tenant).await?;
        let Some(tier) = held(&tiers, &s).cloned() else {
            return Ok(());
        };
        // The paid floor changes only under the tier lock held here.
        let floor = repo::paid::benefits::applied(conn, ctx.tenant, member)
            .await?
            .tier_floor;
        let before = effective(&tiers, &s, floor.as_deref()).cloned();
        let period = policy.evaluation_period_months;
        let drop = |s: &mut crate::app::domain::MemberGrowth| {
            s.downgrade_at_ms = None;
            s.next_evaluation_at_ms = add_months(now_ms, period);
        };
        match s.downgrade_at_ms {
            Some(end) if end <= now_ms => {
                drop(&mut s);
                if let Some(lower) = tier_below(&tiers, tier.rank).cloned() {
                    s.tier_code = Some(lower.code.clone());
                    s.achieved_at_ms = now_ms;
                    repo::tiers::growth::record_move(
                        conn,
                        ctx.tenant,
                        member,
                        &tier.code,
                        &lower.code,
                        "REEVALUATION",
                        s.growth,
                        now_ms,
                    )
                    .await?;
                    // A paid floor above the lower tier keeps the member where it is.
                    let after = effective(&tiers, &s, floor.as_deref());
                    if let (Some(b), Some(a)) = (before.as_ref(), after)
                        && b.code != a.code
                    {
                        events::publish::tier_changed(
                            conn,
                            ctx.tenant,
                            &m,
                            &b.code,
                            a,
                            false,
                            "REEVALUATION",
                            s.growth,
                            now_ms,
                        )
                        .await?;
                    }
                }
                schedule(conn, self, ctx.tenant, member, s.next_evaluation_at_ms).await?;
            }
            Some(_) => return Ok(()),
            None if s.next_evaluation_at_ms > now_ms => return Ok(()),
            None => {
                let from = sub_months(now_ms, period);
                let window = repo::tiers::growth::since(conn, ctx.tenant, member, from).await?;
                let keeps = tier.retain_growth == 0
                    || window >= tier.retain_growth
                    || tier_below(&tiers, tier.rank).is_none();
                if keeps {
                    while s.next_evaluation_at_ms <= now_ms {
                        s.next_evaluation_at_ms = add_months(s.next_evaluation_at_ms, period);
                    }
                    schedule(conn, self, ctx.tenant, member, s.next_evaluation_at_ms).await?;
                } else {
                    let end = now_ms + i64::from(policy.grace_period_days) * 86_400_000;
                    s.downgrade_at_ms = Some(end);
                    schedule(conn, self, ctx.tenant, member, end).await?;
                }
            }
        }
        repo::tiers::growth::save(conn, ctx.tenant, &s, now_ms).await
    }
}
