//! What an order earned and what its refunds took back (`mem_order_earnings`,
//! `mem_order_refunds`), and the arithmetic that keeps reversals proportional and exact.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::MemberId;

/// One order line's part of an earning base, as orders' events tell it (paid or refunded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseLine {
    /// Categories of the line's product (with ancestors).
    pub category_ids: Vec<Uuid>,
    /// Cash, fen.
    pub cash: i64,
    /// Stored value, fen.
    pub stored_value: i64,
}

/// The earning base of `lines` in fen: cash, plus stored value when the earn counted it,
/// leaving out lines of `excluded` categories.
pub fn earning_base(lines: &[BaseLine], stored_value_earns: bool, excluded: &[Uuid]) -> i64 {
    lines
        .iter()
        .filter(|l| !l.category_ids.iter().any(|c| excluded.contains(c)))
        .map(|l| {
            l.cash.max(0)
                + if stored_value_earns {
                    l.stored_value.max(0)
                } else {
                    0
                }
        })
        .sum()
}

/// What one order earned (points and growth), on which base, and what was taken back so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEarning {
    /// The order.
    pub order_id: Uuid,
    /// The member who ordered.
    pub member_id: MemberId,
    /// OrderPaid applied (growth credited, points by a rule crediting at payment).
    pub paid: bool,
    /// OrderSettled applied.
    pub settled: bool,
    /// Points credited (0 until credited).
    pub points: i64,
    /// The earning base the points were computed on, fen.
    pub points_base: i64,
    /// The EARN entry, once credited.
    pub points_entry_id: Option<Uuid>,
    /// Credited on settlement on the units not refunded: refunds take none of these back.
    pub net_of_refunds: bool,
    /// Whether the earn counted stored value in its base.
    pub stored_value_earns: bool,
    /// Categories the earning rule left out of the base.
    pub excluded_category_ids: Vec<Uuid>,
    /// Growth credited.
    pub growth: i64,
    /// The base growth was computed on, fen.
    pub growth_base: i64,
    /// Points base refunded so far, fen.
    pub refunded_points_base: i64,
    /// Growth base refunded so far, fen.
    pub refunded_growth_base: i64,
    /// Points taken back so far.
    pub points_reversed: i64,
    /// Points that could not be taken back (already spent).
    pub points_shortfall: i64,
    /// Growth taken back so far.
    pub growth_reversed: i64,
}

impl OrderEarning {
    /// An order nothing was applied to yet.
    pub fn new(order_id: Uuid, member_id: MemberId) -> Self {
        Self {
            order_id,
            member_id,
            paid: false,
            settled: false,
            points: 0,
            points_base: 0,
            points_entry_id: None,
            net_of_refunds: false,
            stored_value_earns: false,
            excluded_category_ids: Vec::new(),
            growth: 0,
            growth_base: 0,
            refunded_points_base: 0,
            refunded_growth_base: 0,
            points_reversed: 0,
            points_shortfall: 0,
            growth_reversed: 0,
        }
    }

    /// Points still reversible: credited, less what was taken back or found spent.
    pub fn points_left(&self) -> i64 {
        (self.points - self.points_reversed - self.points_shortfall).max(0)
    }
}

/// How much of `earned` the refunds of `refunded_base` (cumulative, of `base`) take back in all:
/// `floor(earned × refunded / base)`, and exactly `earned` once the whole base is refunded, so
/// partial refunds end at the whole whatever their sizes.
pub fn reversal_target(earned: i64, base: i64, refunded_base: i64) -> i64 {
    if earned <= 0 || base <= 0 || refunded_base <= 0 {
        return 0;
    }
    if refunded_base >= base {
        return earned;
    }
    let t = i128::from(earned) * i128::from(refunded_base) / i128::from(base);
    i64::try_from(t).unwrap_or(earned).min(earned)
}

/// One refund of an order as membership records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRefund {
    /// The order.
    pub order_id: Uuid,
    /// The refund.
    pub refund_id: Uuid,
    /// The refunded lines (OrderRefunded); empty when only the RPC told of the refund.
    pub lines: Vec<BaseLine>,
    /// ReverseEarnedPoints: the refunded earning base given.
    pub given_base: Option<i64>,
    /// ReverseEarnedPoints: the points to take back given.
    pub given_points: Option<i64>,
    /// The points side was applied (even if it took nothing).
    pub points_done: bool,
    /// The growth side was applied.
    pub growth_done: bool,
    /// Points taken back.
    pub points_reversed: i64,
    /// Points not taken back because they were spent.
    pub points_shortfall: i64,
    /// Growth taken back.
    pub growth_reversed: i64,
    /// The EARN_REVERSAL entry.
    pub entry_id: Option<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_reversals_floor_and_end_exactly_at_the_whole() {
        // 241 points on ¥120.50: a third, then the rest.
        assert_eq!(reversal_target(241, 12_050, 4_000), 80);
        assert_eq!(reversal_target(241, 12_050, 12_050), 241);
        assert_eq!(reversal_target(241, 12_050, 20_000), 241);
        assert_eq!(reversal_target(241, 0, 100), 0);
        assert_eq!(reversal_target(0, 100, 100), 0);
        // Any split of the base sums to the whole.
        let mut done = 0;
        let mut refunded = 0;
        for part in [1_000, 3_333, 7, 7_710] {
            refunded += part;
            let t = reversal_target(241, 12_050, refunded);
            assert!(t >= done);
            done = t;
        }
        assert_eq!(done, 241);
    }

    #[test]
    fn the_base_is_cash_plus_stored_value_when_it_counts_without_excluded_lines() {
        let food = Uuid::max();
        let lines = [
            BaseLine {
                category_ids: vec![],
                cash: 1_000,
                stored_value: 500,
            },
            BaseLine {
                category_ids: vec![food],
                cash: 300,
                stored_value: 0,
            },
        ];
        assert_eq!(earning_base(&lines, false, &[]), 1_300);
        assert_eq!(earning_base(&lines, true, &[]), 1_800);
        assert_eq!(earning_base(&lines, true, &[food]), 1_500);
    }
}
