//! Ledger arithmetic, pure: lot consumption, the principal/bonus split of stored value and of
//! its refunds and reversals, lot expiry dates, the business day. Proportions are computed
//! cumulatively (what is due after this step minus what was already given), so a sequence of
//! partial refunds or reversals ends exactly at the whole.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Offset as _, TimeZone, Utc};
use uuid::Uuid;

use crate::app::domain::{ExpiryMode, LedgerPolicy};

/// Asia/Shanghai: UTC+8 all year (no daylight saving), the calendar of days and years here.
fn shanghai() -> FixedOffset {
    // 8 h is within FixedOffset's ±24 h, so the fallback (UTC) is never taken.
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// The Asia/Shanghai calendar date of `now`.
pub fn local_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&shanghai()).date_naive()
}

/// Takes `points` from `lots` (given in consumption order, with what each has left): answers
/// what each lot gives, or `None` when they do not hold enough.
pub fn take_oldest(lots: &[(Uuid, i64)], points: i64) -> Option<Vec<(Uuid, i64)>> {
    let mut left = points;
    let mut taken = Vec::new();
    for (lot, remaining) in lots {
        if left == 0 {
            break;
        }
        let n = left.min(*remaining);
        if n > 0 {
            taken.push((*lot, n));
            left -= n;
        }
    }
    (left == 0).then_some(taken)
}

/// `floor(part × done / whole)`, in 128 bits; 0 for an empty whole.
fn prorate(part: i64, done: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    let v = i128::from(part) * i128::from(done) / i128::from(whole);
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The (principal, bonus) parts of `amount` taken from balances `principal` and `bonus` in
/// proportion, rounding the bonus part down (the contract's rule). `amount` ≤ principal + bonus.
pub fn split_stored_value(amount: i64, principal: i64, bonus: i64) -> (i64, i64) {
    let bonus_part = prorate(amount, bonus, principal + bonus).min(bonus);
    (amount - bonus_part, bonus_part)
}

/// The bonus share of a step of `step` out of `whole`, when `done` was already given and
/// `part` is the bonus of the whole: cumulative, so the steps sum to `part` exactly.
pub fn bonus_share(part: i64, whole: i64, done: i64, step: i64) -> i64 {
    prorate(part, done + step, whole) - prorate(part, done, whole)
}

/// The largest principal amount a top-up reversal could take back now: within what is left of
/// the top-up, the member's available principal, and with its bonus share within the
/// available bonus.
pub fn reversible_amount(
    principal: i64,
    bonus: i64,
    reversed_principal: i64,
    available_principal: i64,
    available_bonus: i64,
) -> i64 {
    let fits = |a: i64| bonus_share(bonus, principal, reversed_principal, a) <= available_bonus;
    let (mut lo, mut hi) = (
        0,
        (principal - reversed_principal)
            .min(available_principal)
            .max(0),
    );
    // The bonus share grows with the amount: the largest fitting amount by bisection.
    while lo < hi {
        let mid = lo + (hi - lo + 1) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

/// When a lot earned at `now` expires under `policy` (`None` = never): DAYS_AFTER_EARN adds
/// the days; END_OF_NEXT_YEAR is 23:59:59 of 31 December of the next year, Asia/Shanghai.
pub fn lot_expiry(policy: &LedgerPolicy, now: DateTime<Utc>) -> Option<i64> {
    match policy.expiry_mode {
        ExpiryMode::Never => None,
        ExpiryMode::DaysAfterEarn => {
            Some((now + Duration::days(i64::from(policy.expiry_days))).timestamp_millis())
        }
        ExpiryMode::EndOfNextYear => {
            let year = now.with_timezone(&shanghai()).year() + 2;
            let first = NaiveDate::from_ymd_opt(year, 1, 1)?.and_hms_opt(0, 0, 0)?;
            let end = shanghai().from_local_datetime(&first).single()? - Duration::seconds(1);
            Some(end.timestamp_millis())
        }
    }
}

/// The Asia/Shanghai day containing `now_ms`, as [start, end) in ms.
pub fn business_day(now_ms: i64) -> (i64, i64) {
    let day = 86_400_000;
    let offset = 8 * 3_600_000;
    let start = (now_ms + offset).div_euclid(day) * day - offset;
    (start, start + day)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn lots_are_taken_in_the_order_given() {
        let (a, b) = (Uuid::nil(), Uuid::max());
        assert_eq!(
            take_oldest(&[(a, 30), (b, 50)], 40),
            Some(vec![(a, 30), (b, 10)])
        );
        assert_eq!(take_oldest(&[(a, 30), (b, 50)], 30), Some(vec![(a, 30)]));
        assert_eq!(take_oldest(&[(a, 30)], 31), None);
    }

    #[test]
    fn the_bonus_part_rounds_down() {
        // 100 of 300 principal + 100 bonus: 25 bonus, 75 principal.
        assert_eq!(split_stored_value(100, 300, 100), (75, 25));
        // 1 fen of 2 + 1: the bonus share 0.33 rounds down.
        assert_eq!(split_stored_value(1, 2, 1), (1, 0));
        assert_eq!(split_stored_value(10, 0, 10), (0, 10));
    }

    #[test]
    fn end_of_next_year_is_shanghai_new_year_minus_a_second() {
        let earned = DateTime::parse_from_rfc3339("2025-03-08T10:00:00+08:00")
            .unwrap()
            .with_timezone(&Utc);
        let policy = LedgerPolicy::default();
        let expected = DateTime::parse_from_rfc3339("2026-12-31T23:59:59+08:00").unwrap();
        assert_eq!(
            lot_expiry(&policy, earned),
            Some(expected.timestamp_millis())
        );
        // 31 Dec 20:00 UTC is already 1 Jan in Shanghai.
        let late = DateTime::parse_from_rfc3339("2025-12-31T20:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let expected = DateTime::parse_from_rfc3339("2027-12-31T23:59:59+08:00").unwrap();
        assert_eq!(lot_expiry(&policy, late), Some(expected.timestamp_millis()));
    }

    #[test]
    fn the_business_day_starts_at_shanghai_midnight() {
        let at = DateTime::parse_from_rfc3339("2025-03-08T01:30:00+08:00").unwrap();
        let (start, end) = business_day(at.timestamp_millis());
        let midnight = DateTime::parse_from_rfc3339("2025-03-08T00:00:00+08:00").unwrap();
        assert_eq!(start, midnight.timestamp_millis());
        assert_eq!(end - start, 86_400_000);
    }

    #[test]
    fn a_reversal_fits_what_is_left() {
        // 500 principal + 50 bonus; nothing spent: all of it.
        assert_eq!(reversible_amount(500, 50, 0, 500, 50), 500);
        // 20 bonus spent: the bonus share of a reversal of a must stay within 30.
        assert_eq!(reversible_amount(500, 50, 0, 500, 30), 309);
        assert_eq!(bonus_share(50, 500, 0, 309), 30);
        assert_eq!(bonus_share(50, 500, 0, 310), 31);
        // Principal spent bounds it too.
        assert_eq!(reversible_amount(500, 50, 0, 120, 50), 120);
    }

    proptest! {
        #[test]
        fn a_split_never_overdraws(amount in 0i64..1_000_000, p in 0i64..1_000_000, b in 0i64..1_000_000) {
            prop_assume!(amount <= p + b);
            let (pp, bp) = split_stored_value(amount, p, b);
            prop_assert_eq!(pp + bp, amount);
            prop_assert!((0..=p).contains(&pp));
            prop_assert!((0..=b).contains(&bp));
        }

        #[test]
        fn partial_shares_sum_to_the_whole(part in 0i64..10_000, whole in 1i64..10_000, cuts in proptest::collection::vec(1i64..500, 1..20)) {
            prop_assume!(part <= whole);
            let (mut done, mut given) = (0, 0);
            for cut in cuts {
                let step = cut.min(whole - done);
                if step == 0 { break; }
                given += bonus_share(part, whole, done, step);
                done += step;
            }
            if done == whole {
                prop_assert_eq!(given, part);
            }
            prop_assert!(given <= part);
        }
    }
}
