//! The coupon expiry job (a leased pass, like the points expiry job): coupons stop being usable
//! at the end of their validity anyway (expiry on read), the job stores it and reminds members.
//!
//! - **Expiry.** AVAILABLE coupons whose validity ended are stored EXPIRED in batches, each by
//!   one conditional `UPDATE … WHERE status = AVAILABLE`: two runners (or a runner and a
//!   checkout) meet on the row and the coupon moves once. LOCKED coupons stay locked for their
//!   pending order (the contract); their release stores EXPIRED.
//! - **Reminders.** One CouponExpiring per member and Asia/Shanghai day, listing the usable
//!   coupons that end within [`REMINDER_DAYS`] days and no reminder listed yet: the member's
//!   day row (`mem_coupon_reminders`, inserted once), the coupons' `expiry_reminded_at_ms` and
//!   the event share a transaction, so whatever runs twice, a coupon is listed once and a
//!   member hears once a day.
//! - **Lease.** A named lease (`membership.coupon_expiry`) keeps replicas from scanning at
//!   once; correctness never depends on it.

use siyu_core::TenantId;

use super::events::coupon_expiring;
use super::jobs::system_ctx;
use crate::app::App;
use crate::app::domain::MemberId;
use crate::app::ledger::arith::local_date;
use crate::{AppError, repo};

/// Days ahead CouponExpiring goes out (the contract's 3; no tenant setting exists yet).
pub const REMINDER_DAYS: i64 = 3;
/// Coupons (or members) per statement.
const BATCH: u64 = 500;
const DAY_MS: i64 = 86_400_000;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CouponExpiryPass {
    /// Coupons this pass stored EXPIRED.
    pub expired: u64,
    /// CouponExpiring events this pass published.
    pub reminders: usize,
}

/// Whole days from `now_ms` to `at_ms`, rounded up.
fn days_until(now_ms: i64, at_ms: i64) -> i32 {
    let ms = (at_ms - now_ms).max(0);
    i32::try_from((ms + DAY_MS - 1) / DAY_MS).unwrap_or(i32::MAX)
}

impl App {
    /// One pass: expiry, then reminders.
    #[tracing::instrument(skip_all)]
    pub async fn run_coupon_expiry_pass(&self) -> Result<CouponExpiryPass, AppError> {
        Ok(CouponExpiryPass {
            expired: self.expire_due_coupons().await?,
            reminders: self.remind_expiring_coupons().await?,
        })
    }

    /// Stores EXPIRED on every AVAILABLE coupon whose validity ended; answers how many this
    /// call moved.
    pub async fn expire_due_coupons(&self) -> Result<u64, AppError> {
        let now_ms = self.now_ms();
        let mut total = 0;
        loop {
            let n = repo::coupons::expiry::expire_due(&self.db, now_ms, BATCH).await?;
            total += n;
            if n == 0 {
                return Ok(total);
            }
        }
    }

    /// Publishes today's CouponExpiring of every member with coupons entering the window;
    /// answers how many this call published.
    pub async fn remind_expiring_coupons(&self) -> Result<usize, AppError> {
        let now_ms = self.now_ms();
        let window = (now_ms, now_ms + REMINDER_DAYS * DAY_MS);
        let day = local_date(self.clock.now()).to_string();
        let mut total = 0;
        let mut after = None;
        loop {
            let due =
                repo::coupons::expiry::to_remind(&self.db, window, &day, after, BATCH).await?;
            for d in &due {
                let (tenant, member) = (TenantId(d.tenant), MemberId(d.member_id));
                let txn = siyu_store::db::begin_write(&self.db).await?;
                let ctx = system_ctx(tenant);
                let Some(m) = repo::members::by_id(&txn, tenant, member, false).await? else {
                    continue;
                };
                if !repo::coupons::expiry::claim_day(&txn, tenant, member, &day, now_ms).await? {
                    continue;
                }
                let coupons =
                    repo::coupons::expiry::mark_reminded(&txn, tenant, member, window).await?;
                // Another runner listed them first (its day row is not ours to keep).
                let Some(soonest) = coupons.first() else {
                    continue;
                };
                let days = days_until(now_ms, soonest.valid_until_ms);
                let n = i32::try_from(coupons.len()).unwrap_or(i32::MAX);
                repo::coupons::expiry::record_day(&txn, tenant, member, &day, (n, days)).await?;
                coupon_expiring(&txn, ctx.tenant, &m, &coupons, days, now_ms).await?;
                txn.commit().await?;
                total += 1;
            }
            match due.last() {
                Some(last) if (due.len() as u64) == BATCH => {
                    after = Some((last.tenant, last.member_id));
                }
                _ => return Ok(total),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_ahead_round_up() {
        assert_eq!(days_until(0, DAY_MS * 3), 3);
        assert_eq!(days_until(0, DAY_MS * 2 + 1), 3);
        assert_eq!(days_until(0, 1), 1);
    }
}
