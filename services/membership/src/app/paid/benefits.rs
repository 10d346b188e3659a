//! What a live period gives (付费会员权益): the plan's tier as a floor, its extra points
//! multiplier and its coupon pack, at activation and once a month.
//!
//! - **Applied at the edges.** The floor and multiplier of the period covering the moment are
//!   written to the member's `mem_paid_memberships` row at activation, revocation and by a
//!   leased job at each period's start and end ([`FLOOR_JOB`]). Tier reads and the points
//!   multiplier read that row; a change of the floor that changes the tier held publishes
//!   TierChanged (cause PAID_MEMBERSHIP) once, because it is compared with the floor applied
//!   before under the member's paid lock and tier lock.
//! - **A floor, not a tier.** The tier growth holds (`mem_member_tiers`) is kept as before; the
//!   member holds the higher of it and the floor, so re-evaluation never takes the member
//!   below the plan's tier and the period's end falls back to what growth holds.
//! - **Packs once per member and month.** The pack of the period covering the moment is
//!   granted at activation and by a leased job at each month anniversary of the period's start
//!   ([`PACK_JOB`]), under the claim of `mem_paid_packs` (member + Asia/Shanghai month) and the
//!   coupon grant key `paid:pack:<member>:<yyyymm>:<period>`: concurrent activations, renewals
//!   in the same month and two job runners grant it once. A revoked period's unused pack
//!   coupons are revoked and its months freed for the period that moves up in its place. A pack that cannot be issued (template not
//!   published, ended, out of quota) is logged and the month counts as handled.
//! - **Lock order.** Paid row, then the member's tier row, then what coupons lock (templates,
//!   coupons) — the same order as a growth change's tier row before its coupons.

use std::sync::Arc;

use chrono::{Datelike, FixedOffset};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use siyu_core::{Ctx, TenantId};
use siyu_store::jobs::JobHandlerResult;
use siyu_store::{Job, JobQueue, NewJob};
use uuid::Uuid;

use crate::app::App;
use crate::app::coupons::issue::{GrantRequest, GrantTarget, Provenance};
use crate::app::domain::{
    Attribution, CouponSource, Member, MemberId, PaidMembership, PaidPeriod, PaidPlan,
};
use crate::app::tiers::{add_months, effective, evaluation, standing_of};
use crate::repo::paid::benefits::Applied;
use crate::{AppError, events, repo};

/// Job kind applying a member's floor and multiplier at a period's start or end.
pub const FLOOR_JOB: &str = "membership.paid_floor";
/// Job kind granting a member's monthly pack.
pub const PACK_JOB: &str = "membership.paid_pack";

/// The Asia/Shanghai month of `at_ms` as `YYYYMM`.
pub fn month_key(at_ms: i64) -> String {
    let Some(east8) = FixedOffset::east_opt(8 * 3600) else {
        return String::new();
    };
    chrono::DateTime::from_timestamp_millis(at_ms)
        .map(|t| t.with_timezone(&east8))
        .map(|t| format!("{:04}{:02}", t.year(), t.month()))
        .unwrap_or_default()
}

/// The member's live period covering `now_ms`, with its plan.
async fn covering(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    now_ms: i64,
) -> Result<Option<(PaidPeriod, PaidPlan)>, AppError> {
    let periods = repo::paid::periods::of_member(conn, tenant, member).await?;
    let Some(current) = PaidMembership::at(member, &periods, false, now_ms).current else {
        return Ok(None);
    };
    let plan = repo::paid::plans::get(conn, tenant, current.plan_id).await?;
    Ok(plan.map(|p| (current, p)))
}

/// Enqueues a job of `kind` for `member` at `at_ms` in the caller's transaction.
async fn enqueue(
    conn: &impl ConnectionTrait,
    app: &App,
    kind: &str,
    tenant: TenantId,
    member: MemberId,
    at_ms: i64,
) -> Result<(), AppError> {
    let mut job = NewJob::new(kind, member.0.as_bytes().to_vec());
    job.tenant = Some(tenant);
    job.run_at = chrono::DateTime::from_timestamp_millis(at_ms);
    JobQueue::new(app.db.clone(), Arc::clone(&app.clock))
        .enqueue(conn, job)
        .await?;
    Ok(())
}

impl App {
    /// Applies the floor and multiplier of the period covering now to `member` (the caller
    /// holds its paid lock), publishing TierChanged when the tier held changes.
    pub(crate) async fn apply_paid_benefits(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: &Member,
    ) -> Result<(), AppError> {
        let now = self.now_ms();
        let tiers = repo::tiers::all(conn, ctx.tenant).await?;
        let next = match covering(conn, ctx.tenant, member.id, now).await? {
            Some((_, plan)) => Applied {
                tier_floor: Some(plan.tier_code)
                    .filter(|c| tiers.iter().any(|t| &t.code == c && !t.archived)),
                points_multiplier_bps: plan.points_multiplier_bps,
            },
            None => Applied::default(),
        };
        let before = repo::paid::benefits::applied(conn, ctx.tenant, member.id).await?;
        if before == next {
            return Ok(());
        }
        if before.tier_floor == next.tier_floor {
            return repo::paid::benefits::set_applied(conn, ctx.tenant, member.id, &next, now)
                .await;
        }
        // The floor changes: under the member's tier lock, so a growth change racing it sees
        // either floor and publishes against the same one.
        let policy = repo::tiers::policy(conn, ctx.tenant).await?;
        let s = standing_of(conn, ctx, member.id, &policy).await?;
        if repo::tiers::growth::lock(conn, ctx.tenant, &s, now).await? {
            evaluation::schedule(conn, self, ctx.tenant, member.id, s.next_evaluation_at_ms)
                .await?;
        }
        let s = standing_of(conn, ctx, member.id, &policy).await?;
        let from = effective(&tiers, &s, before.tier_floor.as_deref()).cloned();
        let to = effective(&tiers, &s, next.tier_floor.as_deref()).cloned();
        repo::paid::benefits::set_applied(conn, ctx.tenant, member.id, &next, now).await?;
        let Some(to) = to.filter(|t| from.as_ref().is_none_or(|f| f.code != t.code)) else {
            return Ok(());
        };
        let (from_code, upgrade) =
            from.map_or((String::new(), true), |f| (f.code, to.rank > f.rank));
        repo::tiers::growth::record_move(
            conn,
            ctx.tenant,
            member.id,
            &from_code,
            &to.code,
            "PAID_MEMBERSHIP",
            s.growth,
            now,
        )
        .await?;
        events::publish::tier_changed(
            conn,
            ctx.tenant,
            member,
            &from_code,
            &to,
            upgrade,
            "PAID_MEMBERSHIP",
            s.growth,
            now,
        )
        .await
    }

    /// Grants the pack of the period covering now, once per member and month (the caller holds
    /// the member's paid lock). Answers the coupons issued (none when the month was handled).
    pub(crate) async fn grant_month_pack(
        &self,
        conn: &DatabaseTransaction,
        ctx: &Ctx,
        member: &Member,
    ) -> Result<usize, AppError> {
        let now = self.now_ms();
        let Some((period, plan)) = covering(conn, ctx.tenant, member.id, now).await? else {
            return Ok(0);
        };
        let month = month_key(now);
        if !repo::paid::benefits::claim_month(conn, ctx.tenant, member.id, &month, period.id, now)
            .await?
        {
            return Ok(0);
        }
        let Some(pack) = plan.coupon_pack_id else {
            return Ok(0);
        };
        let request = GrantRequest {
            target: GrantTarget::Pack(pack),
            members: vec![member.id],
            // The period in the key: a month a revoked period gave up is granted afresh.
            key: format!("paid:pack:{}:{month}:{}", member.id, period.id),
            provenance: Provenance {
                source: CouponSource::Event,
                attribution: Attribution::default(),
                grant_id: None,
            },
            reason: "付费会员月度券包".into(),
        };
        let sp = conn.begin().await?;
        match self.grant_coupons(&sp, ctx, request).await {
            Ok(granted) => {
                sp.commit().await?;
                let id = Some(granted.grant.id);
                repo::paid::benefits::set_month_grant(conn, ctx.tenant, member.id, &month, id)
                    .await?;
                Ok(granted.coupons.len())
            }
            Err(e @ (AppError::Store(_) | AppError::Internal(_))) => Err(e),
            Err(e) => {
                sp.rollback().await?;
                tracing::warn!(error = %e, %month, "paid membership pack not granted");
                Ok(0)
            }
        }
    }

    /// Schedules the jobs of `period`: its floor at its start (when later than now) and end,
    /// and its pack at each month anniversary of its start still ahead.
    pub(crate) async fn schedule_paid_period(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        period: &PaidPeriod,
    ) -> Result<(), AppError> {
        let now = self.now_ms();
        if period.starts_at_ms > now {
            enqueue(
                conn,
                self,
                FLOOR_JOB,
                tenant,
                period.member_id,
                period.starts_at_ms,
            )
            .await?;
        }
        enqueue(
            conn,
            self,
            FLOOR_JOB,
            tenant,
            period.member_id,
            period.ends_at_ms,
        )
        .await?;
        let mut k = 0;
        loop {
            let at = add_months(period.starts_at_ms, k);
            if at >= period.ends_at_ms {
                break;
            }
            if at > now {
                enqueue(conn, self, PACK_JOB, tenant, period.member_id, at).await?;
            }
            k += 1;
        }
        Ok(())
    }

    /// Revokes the unused coupons of the packs `period` gave and frees its months (a period
    /// covering them later may take them); answers how many coupons.
    pub(crate) async fn revoke_period_packs(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        period: &PaidPeriod,
    ) -> Result<u64, AppError> {
        let now = self.now_ms();
        let mut revoked = 0;
        for grant in repo::paid::benefits::grants_of_period(conn, ctx.tenant, period.id).await? {
            revoked +=
                repo::paid::benefits::revoke_unused_of_grant(conn, ctx.tenant, grant, now).await?;
        }
        repo::paid::benefits::release_months(conn, ctx.tenant, period.id).await?;
        Ok(revoked)
    }

    /// Runs a [`FLOOR_JOB`] or [`PACK_JOB`]: applies the benefits of the moment under the
    /// member's paid lock. A job that finds nothing to do does nothing, so stale jobs (of a
    /// revoked or shifted period) are harmless.
    pub(crate) async fn run_paid_job(&self, job: Job) -> JobHandlerResult {
        let tenant = job
            .tenant
            .map(TenantId)
            .ok_or("paid membership job without tenant")?;
        let member = Uuid::from_slice(&job.payload).map_err(|e| format!("job input: {e}"))?;
        let ctx = evaluation::system_ctx(tenant);
        let txn = siyu_store::db::begin_write(&self.db)
            .await
            .map_err(|e| e.to_string())?;
        let done: Result<(), AppError> = async {
            let Some(m) = repo::members::by_id(&txn, tenant, MemberId(member), false).await? else {
                return Ok(());
            };
            let now = self.now_ms();
            repo::paid::periods::lock_member(&txn, tenant, m.id, false, now).await?;
            if job.kind == PACK_JOB {
                self.grant_month_pack(&txn, &ctx, &m).await?;
            } else {
                self.apply_paid_benefits(&txn, &ctx, &m).await?;
            }
            Ok(())
        }
        .await;
        done.map_err(|e| e.to_string())?;
        txn.commit().await.map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_shanghai_months() {
        // 2026-01-31T16:00:00Z is 2026-02-01 00:00 in Shanghai.
        assert_eq!(month_key(1_769_875_200_000), "202602");
        assert_eq!(month_key(1_769_875_199_999), "202601");
    }
}
