//! Order numbers: what a member reads to customer service and what WeChat Pay knows the order
//! by (`out_trade_no`: 6–32 characters of [0-9A-Za-z_-|*]): 20 digits, the time in
//! Asia/Shanghai to the second (`yyMMddHHmmss`), then 8 random digits: sortable by time, unguessable enough that a number read
//! aloud does not reveal the shop's volume, and unique by the database's index (a collision
//! retries).

use chrono::{DateTime, Duration, Utc};
use rand::Rng as _;

/// A fresh order number for an order created at `now`.
pub fn order_no(now: DateTime<Utc>) -> String {
    // China has one time zone without daylight saving: UTC+8.
    let local = now + Duration::hours(8);
    let tail: u32 = rand::rng().random_range(0..100_000_000);
    format!("{}{tail:08}", local.format("%y%m%d%H%M%S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_20_digits_in_shanghai_time() {
        let at = DateTime::parse_from_rfc3339("2026-12-07T16:30:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let no = order_no(at);
        assert_eq!(no.len(), 20);
        assert!(no.starts_with("261208003005"), "{no}");
        assert!(no.chars().all(|c| c.is_ascii_digit()));
    }
}
