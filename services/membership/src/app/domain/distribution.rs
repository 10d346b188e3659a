//! Referral and distribution (推荐 / 分销): the commission policy and per-SKU rates, entries
//! and their arithmetic, balances and withdrawals.

use uuid::Uuid;

use super::{MemberId, stored_enum};

/// Most basis points a commission rate may be (50 %).
pub const MAX_RATE_BPS: i32 = 5_000;

/// A tenant's commission policy; the default (distribution off) until a tenant sets one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommissionPolicy {
    /// Whether distribution runs at all.
    pub enabled: bool,
    /// Every member is a distributor unless disabled.
    pub open_to_all_members: bool,
    /// Level-1 rate, bps.
    pub level1_rate_bps: i32,
    /// Whether level 2 earns (never deeper).
    pub level2_enabled: bool,
    /// Level-2 rate, bps.
    pub level2_rate_bps: i32,
    /// Minimum withdrawal, fen.
    pub min_withdrawal: i64,
    /// Withdrawals up to this are approved at once; 0 = always manual.
    pub auto_approve_max: i64,
}

impl Default for CommissionPolicy {
    fn default() -> Self {
        Self {
            enabled: false,
            open_to_all_members: false,
            level1_rate_bps: 0,
            level2_enabled: false,
            level2_rate_bps: 0,
            // ¥50, the threshold the distribution centres of the case studies use.
            min_withdrawal: 5_000,
            auto_approve_max: 0,
        }
    }
}

/// A per-SKU override of the tenant's rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkuRate {
    /// The SKU (catalog id).
    pub sku_id: Uuid,
    /// Level-1 rate, bps (0 = the SKU earns nothing).
    pub level1_rate_bps: i32,
    /// Level-2 rate, bps.
    pub level2_rate_bps: i32,
}

stored_enum! {
    /// The state of a commission entry (`CommissionStatus`).
    CommissionStatus {
        /// Written on payment; not withdrawable.
        Pending = 1,
        /// Settled when the after-sales window closed; withdrawable.
        Settled = 2,
        /// Fully reversed by refunds before settlement.
        Reversed = 3,
    }
}

stored_enum! {
    /// The state of a withdrawal (`WithdrawalStatus`).
    WithdrawalStatus {
        /// Waiting for approval.
        Requested = 1,
        /// Approved, waiting for payout.
        Approved = 2,
        /// Rejected; the amount went back to available.
        Rejected = 3,
        /// Paid out.
        Paid = 4,
        /// Payout failed; the amount went back to available.
        Failed = 5,
    }
}

/// One commission entry: one order line at one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionEntry {
    /// Entry id.
    pub id: Uuid,
    /// The earning distributor.
    pub member_id: MemberId,
    /// The buyer.
    pub buyer_member_id: MemberId,
    /// The order.
    pub order_id: Uuid,
    /// The order line.
    pub order_line_id: String,
    /// The SKU of the line.
    pub sku_id: String,
    /// 1 or 2.
    pub level: i16,
    /// The line's earning base, fen.
    pub base_amount: i64,
    /// Whether the base counted stored value (the ledger policy at payment).
    pub stored_value_counts: bool,
    /// Rate applied, bps.
    pub rate_bps: i32,
    /// Commission written on payment, fen.
    pub amount: i64,
    /// Part reversed by refunds, fen.
    pub reversed_amount: i64,
    /// State.
    pub status: CommissionStatus,
    /// Written at.
    pub created_at_ms: i64,
    /// Settled at.
    pub settled_at_ms: Option<i64>,
}

/// A withdrawal request (提现).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    /// Withdrawal id.
    pub id: Uuid,
    /// The distributor.
    pub member_id: MemberId,
    /// Amount, fen.
    pub amount: i64,
    /// State.
    pub status: WithdrawalStatus,
    /// Rejection or failure reason.
    pub reason: String,
    /// Reviewer.
    pub reviewed_by: String,
    /// Payout reference.
    pub payout_reference: String,
    /// Requested at.
    pub requested_at_ms: i64,
    /// Last change.
    pub updated_at_ms: i64,
}

/// A distributor's commission balance, fen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommissionBalance {
    /// Pending entries net of reversals.
    pub pending: i64,
    /// Settled and withdrawable.
    pub available: i64,
    /// In open withdrawals.
    pub withdrawing: i64,
    /// Paid out in total.
    pub paid_out: i64,
    /// Settled in total, net of reversals.
    pub lifetime_settled: i64,
}

/// Commission on `base` fen at `rate_bps`, rounded down.
pub fn commission(base: i64, rate_bps: i32) -> i64 {
    let v = i128::from(base.max(0)) * i128::from(rate_bps.max(0)) / 10_000;
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The part of `amount` reversed once `refunded` of its `base` was refunded: proportional,
/// rounded down, computed on the cumulative refund so partial refunds end exactly at the whole.
pub fn reversed(amount: i64, base: i64, refunded: i64) -> i64 {
    if base <= 0 {
        return amount;
    }
    let refunded = refunded.clamp(0, base);
    let v = i128::from(amount) * i128::from(refunded) / i128::from(base);
    i64::try_from(v).unwrap_or(amount)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn commission_rounds_down() {
        assert_eq!(commission(9_999, 1_000), 999);
        assert_eq!(commission(10_000, 250), 250);
        assert_eq!(commission(1, 5_000), 0);
    }

    proptest! {
        /// Refunds in any steps reverse monotonically, never beyond the amount, and exactly
        /// the amount once the whole base is refunded.
        #[test]
        fn partial_refunds_end_at_the_whole(base in 1i64..10_000_000, rate in 0i32..=5_000,
                                            steps in proptest::collection::vec(1i64..1_000_000, 1..8)) {
            let amount = commission(base, rate);
            let mut refunded = 0;
            let mut last = 0;
            for s in steps {
                refunded = (refunded + s).min(base);
                let r = reversed(amount, base, refunded);
                prop_assert!(r >= last && r <= amount);
                last = r;
            }
            prop_assert_eq!(reversed(amount, base, base), amount);
        }
    }
}
