//! The nightly RFM pass: a leased job per tenant at Asia/Shanghai midnight. It recomputes the
//! tenant's cut points (its buyers' quintiles once it has enough buyers, else the defaults) and
//! retags every member with orders — recency bands change with time alone — and puts
//! `purchase_none` on members who carry no purchase stage yet (those who never ordered).
//!
//! The tenant's `mem_rfm_thresholds` row is locked first and carries the next pass's time: a
//! job finding it not due yet (a stale or duplicate job, a second runner) does nothing, and only
//! the pass that ran schedules the next, so there is one chain per tenant.

use std::sync::Arc;

use chrono::{Duration, FixedOffset, TimeZone};
use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use siyu_store::jobs::JobHandlerResult;
use siyu_store::{Job, JobQueue, NewJob};

use super::purchases::{DAY_MS, QUINTILE_MIN_BUYERS, RfmThresholds, quintiles};
use super::{TagId, system};
use crate::app::App;
use crate::app::domain::MemberId;
use crate::{AppError, repo};

/// Job kind of a tenant's nightly RFM pass.
pub const RFM_JOB: &str = "membership.rfm_nightly";

/// Members given `purchase_none` per statement.
const BATCH: u64 = 500;

/// The first Asia/Shanghai midnight after `now_ms`.
pub fn next_run_after(now_ms: i64) -> i64 {
    let Some(east8) = FixedOffset::east_opt(8 * 3600) else {
        return now_ms + DAY_MS;
    };
    chrono::DateTime::from_timestamp_millis(now_ms)
        .map(|t| t.with_timezone(&east8).date_naive() + Duration::days(1))
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|d| east8.from_local_datetime(&d).single())
        .map_or(now_ms + DAY_MS, |t| t.timestamp_millis())
}

/// Enqueues the tenant's pass at `at_ms` in the caller's transaction.
pub async fn schedule(
    conn: &impl ConnectionTrait,
    app: &App,
    tenant: TenantId,
    at_ms: i64,
) -> Result<(), AppError> {
    let mut job = NewJob::new(RFM_JOB, Vec::new());
    job.tenant = Some(tenant);
    job.run_at = chrono::DateTime::from_timestamp_millis(at_ms);
    JobQueue::new(app.db.clone(), Arc::clone(&app.clock))
        .enqueue(conn, job)
        .await?;
    Ok(())
}

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RfmPass {
    /// Members with orders retagged.
    pub buyers: usize,
    /// Members given `purchase_none`.
    pub none: usize,
}

impl App {
    /// Runs an [`RFM_JOB`].
    pub(crate) async fn run_rfm_job(&self, job: Job) -> JobHandlerResult {
        let tenant = job.tenant.map(TenantId).ok_or("rfm job without tenant")?;
        let txn = siyu_store::db::begin_write(&self.db)
            .await
            .map_err(|e| e.to_string())?;
        let pass = self
            .rfm_pass(&txn, tenant)
            .await
            .map_err(|e| e.to_string())?;
        txn.commit().await.map_err(|e| e.to_string())?;
        if let Some(p) = pass {
            tracing::info!(buyers = p.buyers, none = p.none, "rfm pass");
        }
        Ok(())
    }

    /// The tenant's pass if it is due (`None` when not).
    pub async fn rfm_pass(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
    ) -> Result<Option<RfmPass>, AppError> {
        let now = self.now_ms();
        let Some((_, due)) = repo::tags::purchases::thresholds(conn, tenant, true).await? else {
            return Ok(None);
        };
        if due > now {
            return Ok(None);
        }
        let all = repo::tags::purchases::all_stats(conn, tenant, now - 365 * DAY_MS).await?;
        let buyers: Vec<_> = all.iter().filter(|(_, s)| s.orders > 0).collect();
        let mut t = RfmThresholds::default();
        if buyers.len() >= QUINTILE_MIN_BUYERS {
            let mut r: Vec<i64> = buyers
                .iter()
                .filter_map(|(_, s)| s.last_at_ms.map(|l| (now - l).max(0) / DAY_MS))
                .collect();
            let mut f: Vec<i64> = buyers.iter().map(|(_, s)| s.orders_365d).collect();
            let mut m: Vec<i64> = buyers.iter().map(|(_, s)| s.amount_365d).collect();
            if let (Some(r), Some(f), Some(m)) =
                (quintiles(&mut r), quintiles(&mut f), quintiles(&mut m))
            {
                t = RfmThresholds {
                    recency_days: r,
                    frequency: f,
                    monetary: m,
                };
            }
        }
        let next = next_run_after(now);
        repo::tags::purchases::save_thresholds(conn, tenant, &t, next, now).await?;
        schedule(conn, self, tenant, next).await?;
        for (member, _) in &all {
            self.retag_member(conn, tenant, *member, &t).await?;
        }
        system::ensure(conn, tenant, now).await?;
        let tags = repo::tags::purchases::system_tags(conn, tenant).await?;
        let id = |code: &str| tags.iter().find(|(c, _)| c == code).map(|(_, id)| *id);
        let stages: Vec<TagId> = ["purchase_none", "purchase_first", "purchase_repeat"]
            .iter()
            .filter_map(|c| id(c))
            .collect();
        let mut none = 0;
        if let Some(none_tag) = id("purchase_none") {
            let mut after: Option<MemberId> = None;
            loop {
                let page =
                    repo::tags::purchases::members_without(conn, tenant, &stages, after, BATCH)
                        .await?;
                let Some(last) = page.last().copied() else {
                    break;
                };
                repo::tags::add_pairs(conn, tenant, &page, &[none_tag], now).await?;
                none += page.len();
                after = Some(last);
            }
        }
        Ok(Some(RfmPass {
            buyers: all.len(),
            none,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_run_is_the_next_shanghai_midnight() {
        // 2026-01-31T15:59:59Z is 23:59:59 in Shanghai; midnight is 16:00Z.
        assert_eq!(next_run_after(1_769_875_199_000), 1_769_875_200_000);
        assert_eq!(
            next_run_after(1_769_875_200_000),
            1_769_875_200_000 + DAY_MS
        );
    }
}
