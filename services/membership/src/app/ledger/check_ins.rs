//! Daily check-in (签到): the CHECK_IN rule's daily points plus a streak bonus, once per member
//! and Asia/Shanghai calendar day.
//!
//! Exactly once: the check-in is an EARN entry keyed `checkin:<member>:<YYYY-MM-DD>`, claimed
//! like every ledger key, so concurrent check-ins of one day meet on the key's unique index
//! and all but the first answer the first one's result with `already_checked_in`. The day's
//! row in `mem_check_ins` (same transaction) carries the streak, so tomorrow continues it.

use chrono::{Datelike, Duration, NaiveDate};
use sea_orm::ConnectionTrait;
use siyu_core::Ctx;

use super::{Begun, arith, begin, head, lock, new_lot, post};
use crate::app::domain::{
    Account, CheckInRule, EarningRule, EarningTrigger, EntryType, JournalEntry, MemberId, Posting,
    StreakBonus,
};
use crate::app::{App, callers};
use crate::repo::ledger::check_ins::CheckInDay;
use crate::{AppError, events, repo};

/// What CheckIn answers.
#[derive(Debug, Clone)]
pub struct CheckedIn {
    /// The day's check-in.
    pub day: CheckInDay,
    /// True when this call found the day's check-in done.
    pub already: bool,
    /// The day's entry.
    pub entry: JournalEntry,
}

/// What GetCheckInStatus answers.
#[derive(Debug, Clone, Default)]
pub struct CheckInStatus {
    /// Checked in today.
    pub today: bool,
    /// Current streak (0 when broken).
    pub streak: i32,
    /// Days checked in during the month asked for.
    pub dates: Vec<String>,
    /// The next streak bonus ahead.
    pub next_bonus: Option<StreakBonus>,
    /// Points a check-in today would give (0 when done or disabled).
    pub points_today: i64,
}

/// The streak a check-in reaches when the previous day's streak was `yesterday` (0 = none):
/// one more, restarting at 1 after a full cycle.
pub fn next_streak(rule: &CheckInRule, yesterday: i32) -> i32 {
    if yesterday == 0 || (rule.cycle_days > 0 && yesterday >= rule.cycle_days) {
        1
    } else {
        yesterday + 1
    }
}

/// The bonus of reaching `streak` (0 when none).
pub fn bonus_at(rule: &CheckInRule, streak: i32) -> i64 {
    rule.streak_bonuses
        .iter()
        .filter(|b| b.streak_days == streak)
        .map(|b| b.bonus_points)
        .sum()
}

/// The first bonus at a streak after `streak` that the streak can still reach (within the
/// cycle; after a completed cycle, the next cycle's).
pub fn next_bonus(rule: &CheckInRule, streak: i32) -> Option<StreakBonus> {
    let from = if rule.cycle_days > 0 && streak >= rule.cycle_days {
        0
    } else {
        streak
    };
    rule.streak_bonuses
        .iter()
        .filter(|b| {
            b.streak_days > from && (rule.cycle_days == 0 || b.streak_days <= rule.cycle_days)
        })
        .min_by_key(|b| b.streak_days)
        .copied()
}

/// The day as the key and the table write it.
fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The enabled CHECK_IN rule in force at `now_ms`, with its check-in details.
async fn rule_in_force(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    now_ms: i64,
) -> Result<Option<(EarningRule, CheckInRule)>, AppError> {
    let rules =
        repo::ledger::earning_rules::enabled_of(conn, ctx.tenant, EarningTrigger::CheckIn).await?;
    Ok(rules
        .into_iter()
        .filter(|r| r.in_window(now_ms))
        .find_map(|r| r.check_in.clone().map(|c| (r, c))))
}

impl App {
    /// CheckIn: today's points and streak bonus into a new lot (PointsEarned), once a day.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn check_in(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        requested: Option<MemberId>,
    ) -> Result<CheckedIn, AppError> {
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        let member = callers::member(conn, ctx, requested, false).await?;
        let today = arith::local_date(now);
        let key = format!("checkin:{}:{}", member.id, day_text(today));
        // The day is in the key: every check-in of the day is the same request.
        let fingerprint = format!("checkin|{}", member.id);
        let mut h = head(ctx, EntryType::Earn, member.id, key, fingerprint, now_ms);
        h.description = "签到".into();
        let Some((rule, check_in)) = rule_in_force(conn, ctx, now_ms).await? else {
            // A check-in done before the rule was switched off still answers as done.
            return match repo::ledger::by_key(conn, ctx.tenant, &h.key).await? {
                Some((entry, _)) => self.checked_in(conn, ctx, member.id, today, entry).await,
                None => Err(AppError::CheckInDisabled),
            };
        };
        h.rule_id = Some(rule.id);
        if let Begun::Repeat(entry) = begin(conn, ctx.tenant, &h).await? {
            return self.checked_in(conn, ctx, member.id, today, *entry).await;
        }
        let locked = lock(conn, ctx, member.id, now_ms).await?;
        if let Some(refusal) = locked.member.refuses_writes() {
            return Err(refusal);
        }
        let yesterday = today - Duration::days(1);
        let before = repo::ledger::check_ins::on(conn, ctx.tenant, member.id, &day_text(yesterday))
            .await?
            .map_or(0, |d| d.streak);
        let streak = next_streak(&check_in, before);
        let bonus = bonus_at(&check_in, streak);
        let total = check_in.daily_points + bonus;
        let mut postings = Vec::new();
        let policy = repo::ledger::policy::get(conn, ctx.tenant).await?;
        let expires = arith::lot_expiry(&policy, now);
        if total > 0 {
            let (_, credit) =
                new_lot(conn, ctx.tenant, member.id, total, expires, h.id, now_ms).await?;
            postings.push(credit);
            postings.push(Posting::tenant(Account::PointsIssued, -total));
        }
        let (entry, after) = post(conn, ctx.tenant, &h, postings).await?;
        let day = CheckInDay {
            day: day_text(today),
            streak,
            points: check_in.daily_points,
            bonus_points: bonus,
            entry_id: entry.id,
        };
        repo::ledger::check_ins::insert(conn, ctx.tenant, member.id, &day, now_ms).await?;
        if total > 0 {
            events::publish::points_earned(
                conn,
                ctx.tenant,
                &locked.member,
                &entry,
                &after,
                EarningTrigger::CheckIn.source(),
                expires,
            )
            .await?;
        }
        Ok(CheckedIn {
            day,
            already: false,
            entry,
        })
    }

    /// The answer to a check-in of a day already done.
    async fn checked_in(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: MemberId,
        today: NaiveDate,
        entry: JournalEntry,
    ) -> Result<CheckedIn, AppError> {
        let day = repo::ledger::check_ins::on(conn, ctx.tenant, member, &day_text(today))
            .await?
            .ok_or_else(|| AppError::Internal("check-in entry without its day".into()))?;
        Ok(CheckedIn {
            day,
            already: true,
            entry,
        })
    }

    /// GetCheckInStatus: today, the streak, the month's days (`month` = (year, month), or the
    /// current one), the next bonus and what a check-in today would give.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn check_in_status(
        &self,
        ctx: &Ctx,
        requested: Option<MemberId>,
        month: Option<(i32, u32)>,
    ) -> Result<CheckInStatus, AppError> {
        let conn = &self.db;
        let now = self.clock.now();
        let member = callers::member(conn, ctx, requested, false).await?;
        let today = arith::local_date(now);
        let (year, mon) = month.unwrap_or((today.year(), today.month()));
        let dates = repo::ledger::check_ins::in_month(
            conn,
            ctx.tenant,
            member.id,
            &format!("{year:04}-{mon:02}"),
        )
        .await?
        .into_iter()
        .map(|d| d.day)
        .collect();
        let done =
            repo::ledger::check_ins::on(conn, ctx.tenant, member.id, &day_text(today)).await?;
        let yesterday = repo::ledger::check_ins::on(
            conn,
            ctx.tenant,
            member.id,
            &day_text(today - Duration::days(1)),
        )
        .await?;
        let streak = done.as_ref().or(yesterday.as_ref()).map_or(0, |d| d.streak);
        let rule = rule_in_force(conn, ctx, now.timestamp_millis()).await?;
        let (next, points_today) = match &rule {
            Some((_, c)) => {
                let points_today = if done.is_some() {
                    0
                } else {
                    let s = next_streak(c, streak);
                    c.daily_points + bonus_at(c, s)
                };
                (next_bonus(c, streak), points_today)
            }
            None => (None, 0),
        };
        Ok(CheckInStatus {
            today: done.is_some(),
            streak,
            dates,
            next_bonus: next,
            points_today,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(cycle: i32) -> CheckInRule {
        CheckInRule {
            daily_points: 5,
            streak_bonuses: vec![
                StreakBonus {
                    streak_days: 3,
                    bonus_points: 10,
                },
                StreakBonus {
                    streak_days: 7,
                    bonus_points: 50,
                },
            ],
            cycle_days: cycle,
        }
    }

    #[test]
    fn a_streak_grows_by_a_day_and_restarts_after_its_cycle() {
        assert_eq!(next_streak(&rule(7), 0), 1);
        assert_eq!(next_streak(&rule(7), 6), 7);
        assert_eq!(next_streak(&rule(7), 7), 1);
        assert_eq!(next_streak(&rule(0), 400), 401);
    }

    #[test]
    fn bonuses_come_on_their_day_and_the_next_is_the_nearest_ahead() {
        assert_eq!(bonus_at(&rule(7), 3), 10);
        assert_eq!(bonus_at(&rule(7), 4), 0);
        assert_eq!(next_bonus(&rule(7), 0).map(|b| b.streak_days), Some(3));
        assert_eq!(next_bonus(&rule(7), 3).map(|b| b.streak_days), Some(7));
        assert_eq!(next_bonus(&rule(7), 7).map(|b| b.streak_days), Some(3));
        assert_eq!(next_bonus(&rule(0), 7), None);
        assert_eq!(next_bonus(&rule(5), 3), None, "7 lies beyond a 5-day cycle");
    }
}
