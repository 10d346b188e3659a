//! Points deduction (积分抵扣): `used` points are worth floor(used × 100 / points_per_yuan) fen,
//! at most max_deduction_bps of the goods amount after coupons; only points that buy a whole fen
//! are spent, and fewer than the tenant's minimum are not used at all.

use super::Fen;
use super::input::PointsRequest;
use super::quote::{Notice, PointsQuote};

/// The value of `points` in fen at `points_per_yuan`.
pub fn value(points: i64, points_per_yuan: i64) -> Fen {
    if points <= 0 || points_per_yuan <= 0 {
        return 0;
    }
    Fen::try_from(i128::from(points) * 100 / i128::from(points_per_yuan)).unwrap_or(Fen::MAX)
}

/// The fewest points worth `fen` (so that no point is spent on a fraction of a fen).
fn points_for(fen: Fen, points_per_yuan: i64) -> i64 {
    let p = i128::from(fen) * i128::from(points_per_yuan);
    i64::try_from((p + 99) / 100).unwrap_or(i64::MAX)
}

/// The points quote for `request` on `goods_amount` (goods after coupons), with its notices.
pub fn quote(request: &PointsRequest, goods_amount: Fen) -> (PointsQuote, Vec<Notice>) {
    let policy = request.policy;
    let bps = policy.max_deduction_bps.clamp(0, 10_000);
    let mut q = PointsQuote {
        requested: request.requested,
        points_per_yuan: policy.points_per_yuan,
        max_deduction_bps: policy.max_deduction_bps,
        min_points: policy.min_points,
        ..PointsQuote::default()
    };
    let mut notices = Vec::new();
    if bps == 0 || policy.points_per_yuan <= 0 {
        if request.requested > 0 {
            notices.push(Notice::new(
                "POINTS_DEDUCTION_DISABLED",
                "本店未开启积分抵扣",
            ));
        }
        return (q, notices);
    }
    let p = policy.points_per_yuan;
    let cap =
        Fen::try_from(i128::from(goods_amount.max(0)) * i128::from(bps) / 10_000).unwrap_or(0);
    // The most points whose value stays within the cap, then down to a whole fen.
    let most = i64::try_from(((i128::from(cap) + 1) * i128::from(p) - 1) / 100).unwrap_or(0);
    q.max_deduction = cap;
    q.max_points = points_for(value(most, p), p);

    let mut used = request.requested.max(0);
    if used > q.max_points {
        used = q.max_points;
        notices.push(Notice::new(
            "POINTS_CAPPED",
            format!("本单最多可用{}积分", q.max_points),
        ));
    }
    let rounded = points_for(value(used, p), p);
    if rounded < used {
        notices.push(Notice::new(
            "POINTS_ROUNDED",
            format!("积分按整分抵扣，已调整为{rounded}积分"),
        ));
        used = rounded;
    }
    if used > 0 && used < policy.min_points {
        notices.push(Notice::new(
            "POINTS_BELOW_MINIMUM",
            format!("每单至少使用{}积分", policy.min_points),
        ));
        used = 0;
    }
    q.used = used;
    q.deduction = value(used, p);
    (q, notices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::pricing::input::PointsPolicy;

    fn request(requested: i64, points_per_yuan: i64, bps: i32, min: i64) -> PointsRequest {
        PointsRequest {
            requested,
            policy: PointsPolicy {
                points_per_yuan,
                max_deduction_bps: bps,
                min_points: min,
            },
        }
    }

    fn codes(n: &[Notice]) -> Vec<&str> {
        n.iter().map(|n| n.code.as_str()).collect()
    }

    #[test]
    fn the_cap_is_a_share_of_the_goods_after_coupons() {
        // 30% of ¥170.00 = ¥51.00 = 5100 points at 100 per yuan.
        let (q, n) = quote(&request(8000, 100, 3000, 0), 17_000);
        assert_eq!((q.max_deduction, q.max_points), (5100, 5100));
        assert_eq!((q.used, q.deduction), (5100, 5100));
        assert_eq!(codes(&n), ["POINTS_CAPPED"]);
    }

    #[test]
    fn points_that_buy_no_whole_fen_are_not_spent() {
        // 1000 points per yuan: 10 points a fen; 1234 points buy 123 fen for 1230 points.
        let (q, n) = quote(&request(1234, 1000, 10_000, 0), 100_000);
        assert_eq!((q.used, q.deduction), (1230, 123));
        assert_eq!(codes(&n), ["POINTS_ROUNDED"]);
    }

    #[test]
    fn the_cap_in_points_is_whole_fen_too() {
        // Cap 10% of ¥1.05 = 10 fen; at 1000 per yuan that is 100 points (109 would still be 10
        // fen but spend 9 points for nothing).
        let (q, _) = quote(&request(5000, 1000, 1000, 0), 105);
        assert_eq!(
            (q.max_deduction, q.max_points, q.used, q.deduction),
            (10, 100, 100, 10)
        );
        // A rate under 100 per yuan: 1 point = 3.33 fen; a cap of 10 fen allows 3 points.
        let (q, _) = quote(&request(5000, 30, 10_000, 0), 10);
        assert_eq!((q.max_points, q.used, q.deduction), (3, 3, 10));
    }

    #[test]
    fn fewer_than_the_minimum_uses_none() {
        let (q, n) = quote(&request(99, 100, 5000, 100), 10_000);
        assert_eq!((q.used, q.deduction), (0, 0));
        assert_eq!(codes(&n), ["POINTS_BELOW_MINIMUM"]);
        let (q, n) = quote(&request(100, 100, 5000, 100), 10_000);
        assert_eq!((q.used, q.deduction), (100, 100));
        assert!(n.is_empty());
    }

    #[test]
    fn a_zero_cap_disables_deduction() {
        let (q, n) = quote(&request(100, 100, 0, 0), 10_000);
        assert_eq!(q.used, 0);
        assert_eq!(codes(&n), ["POINTS_DEDUCTION_DISABLED"]);
    }
}
