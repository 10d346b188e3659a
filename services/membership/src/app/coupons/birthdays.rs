//! The birthday job (生日礼): a leased daily pass grants each active member whose birthday is
//! today (Asia/Shanghai, the suite's calendar) their birthday pack, once per year — the grant
//! key `birthday:<member>:<year>` is claimed in the transaction that issues the pack, so two
//! runners, or a pass repeated the same day, grant it once. Members born on 29 February get it
//! on 28 February in other years.

use chrono::{Datelike, NaiveDate};

use super::event_packs::birthday_key;
use super::jobs::system_ctx;
use crate::app::App;
use crate::app::domain::MemberId;
use crate::app::ledger::arith::local_date;
use crate::{AppError, repo};

/// Members read per query.
const BATCH: u64 = 200;

/// The "MM-DD" birthdays celebrated on `day`.
pub fn celebrated(day: NaiveDate) -> Vec<String> {
    let mut days = vec![day.format("%m-%d").to_string()];
    let leap = NaiveDate::from_ymd_opt(day.year(), 2, 29).is_some();
    if !leap && day.month() == 2 && day.day() == 28 {
        days.push("02-29".into());
    }
    days
}

impl App {
    /// One pass: grants the birthday pack to every member whose birthday is today and who has
    /// not had this year's; answers how many members were granted coupons.
    #[tracing::instrument(skip_all)]
    pub async fn run_birthday_pass(&self) -> Result<usize, AppError> {
        let today = local_date(self.clock.now());
        let days = celebrated(today);
        let year = today.year();
        let mut granted = 0;
        let mut after = None;
        loop {
            let due = repo::coupons::birthdays::due(&self.db, &days, after, BATCH).await?;
            for d in &due {
                let key = birthday_key(MemberId(d.id), year);
                let tenant = siyu_core::TenantId(d.tenant);
                // A cheap look first: most passes of a day find this year's key already used.
                if !repo::coupons::birthdays::used_keys(&self.db, tenant, &[key])
                    .await?
                    .is_empty()
                {
                    continue;
                }
                let txn = siyu_store::db::begin_write(&self.db).await?;
                let ctx = system_ctx(tenant);
                let Some(m) = repo::members::by_id(&txn, tenant, MemberId(d.id), false).await?
                else {
                    continue;
                };
                let coupons = self.grant_birthday_pack(&txn, &ctx, &m, year).await?;
                txn.commit().await?;
                if !coupons.is_empty() {
                    granted += 1;
                }
            }
            match due.last() {
                Some(last) if (due.len() as u64) == BATCH => after = Some((last.tenant, last.id)),
                _ => return Ok(granted),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_day_birthdays_are_kept_on_the_28th_in_other_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(celebrated(d(2027, 2, 28)), vec!["02-28", "02-29"]);
        assert_eq!(celebrated(d(2028, 2, 28)), vec!["02-28"]);
        assert_eq!(celebrated(d(2028, 2, 29)), vec!["02-29"]);
        assert_eq!(celebrated(d(2027, 12, 7)), vec!["12-07"]);
    }
}
