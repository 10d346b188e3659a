//! The computed system tags (RFM buckets and purchase stage) and the purchase statistics they
//! are computed from.
//!
//! - **Per order, once.** Each goods order of a member has one `mem_tag_orders` row, created by
//!   whichever of its events comes first and locked by each; its fields only move forward (paid,
//!   the largest paid and refunded amounts seen, fully refunded), so a redelivery or any order of
//!   delivery ends the same. An order counts while paid and not fully refunded.
//! - **Statistics** are read from those rows: paid orders ever (purchase stage), and over the
//!   trailing 365 days the orders (F) and the amount net of refunds (M); the last purchase (R).
//! - **Buckets.** Four cut points per measure; 5 is the best (most recent, most often, most
//!   spent). The tenant's cut points are its buyers' quintiles, recomputed by the nightly pass
//!   (`tags/rfm_job.rs`) once it has [`QUINTILE_MIN_BUYERS`] buyers; until then the defaults.
//! - **Tags follow the member's statistics** after every order event and every nightly pass:
//!   the system tags it should carry are put on, the others taken off, through the same pair
//!   statements as manual tagging (`mem_member_tags` and the `tag_ids` mirror together).

use serde::{Deserialize, Serialize};

/// A day in ms.
pub const DAY_MS: i64 = 86_400_000;

/// Buyers a tenant needs before its cut points are its own quintiles.
pub const QUINTILE_MIN_BUYERS: usize = 50;

/// One order as the tags count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagOrder {
    /// The order.
    pub order_id: uuid::Uuid,
    /// The member who ordered.
    pub member_id: crate::app::domain::MemberId,
    /// OrderPaid seen.
    pub paid: bool,
    /// Paid (cash and stored value), fen: the largest figure seen.
    pub paid_amount: i64,
    /// Refunded so far, fen: the largest cumulative figure seen.
    pub refunded_amount: i64,
    /// A refund said the order is refunded in full.
    pub fully_refunded: bool,
    /// When it was paid.
    pub paid_at_ms: Option<i64>,
}

/// What the tags of one member are computed from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurchaseStats {
    /// Orders paid and not fully refunded, ever.
    pub orders: i64,
    /// Of those, paid in the trailing 365 days.
    pub orders_365d: i64,
    /// Their amount net of refunds, fen.
    pub amount_365d: i64,
    /// The first counted purchase.
    pub first_at_ms: Option<i64>,
    /// The last counted purchase.
    pub last_at_ms: Option<i64>,
}

/// A tenant's cut points: four ascending values per measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmThresholds {
    /// Days since the last purchase (fewer is better).
    pub recency_days: [i64; 4],
    /// Orders in 365 days.
    pub frequency: [i64; 4],
    /// Amount in 365 days, fen.
    pub monetary: [i64; 4],
}

impl Default for RfmThresholds {
    /// Until a tenant has buyers enough for quintiles: within 30 / 90 / 180 / 365 days; 1, 2, 3,
    /// 5 orders; ¥100, ¥500, ¥1,000, ¥5,000.
    fn default() -> Self {
        Self {
            recency_days: [30, 90, 180, 365],
            frequency: [1, 2, 3, 5],
            monetary: [10_000, 50_000, 100_000, 500_000],
        }
    }
}

/// 1 + how many cut points `v` is above.
fn above(v: i64, cuts: &[i64; 4]) -> usize {
    1 + cuts.iter().filter(|c| v > **c).count()
}

/// The system tag codes a member with `s` carries at `now_ms`.
pub fn codes(s: &PurchaseStats, t: &RfmThresholds, now_ms: i64) -> Vec<String> {
    let stage = match s.orders {
        0 => "purchase_none",
        1 => "purchase_first",
        _ => "purchase_repeat",
    };
    let mut out = vec![stage.to_owned()];
    if let Some(last) = s.last_at_ms {
        let days = (now_ms - last).max(0) / DAY_MS;
        out.push(format!("rfm_r_{}", 6 - above(days, &t.recency_days)));
        out.push(format!("rfm_f_{}", above(s.orders_365d, &t.frequency)));
        out.push(format!("rfm_m_{}", above(s.amount_365d, &t.monetary)));
    }
    out
}

/// The 20th, 40th, 60th and 80th percentiles of `values` (sorted here); the defaults' shape
/// when there are none.
pub fn quintiles(values: &mut [i64]) -> Option<[i64; 4]> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let at = |p: usize| values[((values.len() * p) / 100).min(values.len() - 1)];
    Some([at(20), at(40), at(60), at(80)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(orders: i64, orders_365d: i64, amount: i64, last: Option<i64>) -> PurchaseStats {
        PurchaseStats {
            orders,
            orders_365d,
            amount_365d: amount,
            first_at_ms: last,
            last_at_ms: last,
        }
    }

    #[test]
    fn a_member_without_purchases_is_purchase_none_only() {
        let t = RfmThresholds::default();
        assert_eq!(codes(&stats(0, 0, 0, None), &t, 0), vec!["purchase_none"]);
    }

    #[test]
    fn buckets_follow_the_cut_points() {
        let t = RfmThresholds::default();
        let now = 1_000 * DAY_MS;
        assert_eq!(
            codes(&stats(1, 1, 9_900, Some(now - 2 * DAY_MS)), &t, now),
            vec!["purchase_first", "rfm_r_5", "rfm_f_1", "rfm_m_1"]
        );
        assert_eq!(
            codes(&stats(7, 6, 600_000, Some(now - 400 * DAY_MS)), &t, now),
            vec!["purchase_repeat", "rfm_r_1", "rfm_f_5", "rfm_m_5"]
        );
        // 31 days: past the first cut point, R4; exactly 30 days is still R5.
        assert_eq!(
            codes(&stats(2, 2, 20_000, Some(now - 31 * DAY_MS)), &t, now)[1],
            "rfm_r_4"
        );
        assert_eq!(
            codes(&stats(2, 2, 20_000, Some(now - 30 * DAY_MS)), &t, now)[1],
            "rfm_r_5"
        );
    }

    #[test]
    fn quintiles_are_percentiles() {
        let mut v: Vec<i64> = (1..=100).rev().collect();
        assert_eq!(quintiles(&mut v), Some([21, 41, 61, 81]));
        assert_eq!(quintiles(&mut []), None);
    }
}
