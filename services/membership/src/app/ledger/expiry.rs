//! The points expiry job: lots expire when their expiry passes, not only when their member is
//! next written to, and PointsExpiring reminders go out `expiry_reminder_days` ahead.
//!
//! - **Expiry.** Members with lots past their expiry are taken longest overdue first; each is
//!   expired in a transaction of its own through the ledger's [`lock`]: the member's balance
//!   row is locked, then every due lot is expired in one balanced EXPIRY entry (oldest-expiring
//!   first) with PointsExpired. Two runners (or a runner and a request touching the member)
//!   meet on that lock, and the second finds nothing due, so each lot expires exactly once.
//! - **Reminders.** One PointsExpiring per member and expiry date, when that date enters the
//!   tenant's window: the `mem_expiry_reminders` row, inserted once (`ON CONFLICT DO NOTHING`),
//!   and the event share a transaction, so a reminder is published once whatever runs twice.
//! - **Lease.** A named lease (`membership.points_expiry`) keeps replicas from scanning the
//!   same rows at once; correctness never depends on it.

use std::time::Duration;

use siyu_core::{Ctx, Principal, PrincipalKind, TenantId};
use siyu_store::Lease;

use super::lock;
use crate::app::App;
use crate::app::domain::MemberId;
use crate::{AppError, events, repo};

/// Members (or reminder groups) handled per query.
const BATCH: u64 = 100;
const DAY_MS: i64 = 86_400_000;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiryPass {
    /// Members whose due lots this pass expired.
    pub members_expired: usize,
    /// PointsExpiring reminders this pass published.
    pub reminders: usize,
}

/// The context the job acts in: the service itself, in a member's tenant.
fn system_ctx(tenant: TenantId) -> Ctx {
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

/// Whole days from `now_ms` to `at_ms`, rounded up ("expiring in 3 days" until the last hour).
fn days_until(now_ms: i64, at_ms: i64) -> i32 {
    let ms = (at_ms - now_ms).max(0);
    i32::try_from((ms + DAY_MS - 1) / DAY_MS).unwrap_or(i32::MAX)
}

impl App {
    /// One pass: expire every due lot, then publish the reminders now due.
    #[tracing::instrument(skip_all)]
    pub async fn run_points_expiry_pass(&self) -> Result<ExpiryPass, AppError> {
        Ok(ExpiryPass {
            members_expired: self.expire_due_points().await?,
            reminders: self.remind_expiring_points().await?,
        })
    }

    /// Expires every member's due lots; answers how many members this call expired.
    pub async fn expire_due_points(&self) -> Result<usize, AppError> {
        let mut total = 0;
        loop {
            let now_ms = self.now_ms();
            let due = repo::ledger::expiry::due_members(&self.db, now_ms, BATCH).await?;
            let mut expired = 0;
            for d in &due {
                let txn = siyu_store::db::begin_write(&self.db).await?;
                let ctx = system_ctx(TenantId(d.tenant));
                match lock(&txn, &ctx, MemberId(d.member_id), now_ms).await {
                    Ok(locked) => {
                        txn.commit().await?;
                        // Only the runner that found the lots due counts them.
                        if locked.expired > 0 {
                            expired += 1;
                        }
                    }
                    // A member row gone (its lots with it in a later slice): nothing to expire.
                    Err(AppError::MemberNotFound) => {}
                    Err(e) => return Err(e),
                }
            }
            total += expired;
            // A short batch is the last; a batch that expired nothing would only repeat itself.
            if (due.len() as u64) < BATCH || expired == 0 {
                return Ok(total);
            }
        }
    }

    /// Publishes PointsExpiring for every (member, expiry date) that entered its tenant's
    /// reminder window; answers how many this call published.
    pub async fn remind_expiring_points(&self) -> Result<usize, AppError> {
        let mut total = 0;
        let now_ms = self.now_ms();
        for tenant in repo::ledger::expiry::tenants_with_expiring(&self.db, now_ms).await? {
            let policy = repo::ledger::policy::get(&self.db, tenant).await?;
            if policy.expiry_reminder_days <= 0 {
                continue;
            }
            let until = now_ms + i64::from(policy.expiry_reminder_days) * DAY_MS;
            loop {
                let groups =
                    repo::ledger::expiry::unreminded(&self.db, tenant, now_ms, until, BATCH)
                        .await?;
                for g in &groups {
                    let txn = siyu_store::db::begin_write(&self.db).await?;
                    let member = MemberId(g.member_id);
                    let Some(m) = repo::members::by_id(&txn, tenant, member, false).await? else {
                        continue;
                    };
                    let days = days_until(now_ms, g.expires_at_ms);
                    if !repo::ledger::expiry::remind_once(&txn, tenant, member, g, days, now_ms)
                        .await?
                    {
                        continue;
                    }
                    let balance = repo::ledger::balances::get(&txn, tenant, member, false)
                        .await?
                        .map_or(0, |b| b.points_available);
                    events::publish::points_expiring(
                        &txn,
                        tenant,
                        &m,
                        g.points,
                        g.expires_at_ms,
                        days,
                        balance,
                        now_ms,
                    )
                    .await?;
                    txn.commit().await?;
                    total += 1;
                }
                if (groups.len() as u64) < BATCH {
                    break;
                }
            }
        }
        Ok(total)
    }

    /// Runs a pass every `every` while holding `lease`, until `stop` resolves.
    pub async fn run_points_expiry(
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
                        Ok(true) => match self.run_points_expiry_pass().await {
                            Ok(p) if p != ExpiryPass::default() => tracing::info!(
                                members = p.members_expired, reminders = p.reminders,
                                "points expiry pass"
                            ),
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "points expiry pass failed"),
                        },
                        Ok(false) => {}
                        Err(e) => tracing::warn!(error = %e, "points expiry lease unavailable"),
                    }
                }
            }
        }
        let _ = lease.release().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_ahead_round_up() {
        assert_eq!(days_until(0, DAY_MS * 3), 3);
        assert_eq!(days_until(0, DAY_MS * 3 - 1), 3);
        assert_eq!(days_until(0, DAY_MS * 2 + 1), 3);
        assert_eq!(days_until(5, 4), 0);
    }
}
