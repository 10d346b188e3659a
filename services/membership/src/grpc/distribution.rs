//! DistributionService on the wire: the shapes of policy, rates, entries and withdrawals, and
//! the handlers of invites and referral (`distribution/invites.rs`), the policy
//! (`distribution/policy.rs`), commission reads (`distribution/commissions.rs`) and
//! withdrawals (`distribution/withdrawals.rs`).

use siyu_proto::membership::v1 as pb;
use siyu_proto::time::timestamp_ms;

use super::convert::cny;
use crate::app::domain::{CommissionEntry, CommissionPolicy, SkuRate, Withdrawal};

pub(super) mod commissions;
pub(super) mod invites;
pub(super) mod policy;
pub(super) mod withdrawals;

impl From<&CommissionPolicy> for pb::CommissionPolicy {
    fn from(p: &CommissionPolicy) -> Self {
        Self {
            enabled: p.enabled,
            open_to_all_members: p.open_to_all_members,
            level1_rate_bps: p.level1_rate_bps,
            level2_enabled: p.level2_enabled,
            level2_rate_bps: p.level2_rate_bps,
            min_withdrawal: cny(p.min_withdrawal),
            auto_approve_max: cny(p.auto_approve_max),
        }
    }
}

impl From<&SkuRate> for pb::SkuCommissionRate {
    fn from(r: &SkuRate) -> Self {
        Self {
            sku_id: r.sku_id.to_string(),
            level1_rate_bps: r.level1_rate_bps,
            level2_rate_bps: r.level2_rate_bps,
        }
    }
}

impl From<&CommissionEntry> for pb::CommissionEntry {
    fn from(e: &CommissionEntry) -> Self {
        Self {
            entry_id: e.id.to_string(),
            member_id: e.member_id.to_string(),
            buyer_member_id: e.buyer_member_id.to_string(),
            order_id: e.order_id.to_string(),
            sku_id: e.sku_id.clone(),
            level: i32::from(e.level),
            base_amount: cny(e.base_amount),
            rate_bps: e.rate_bps,
            amount: cny(e.amount),
            reversed_amount: cny(e.reversed_amount),
            status: i32::from(e.status.number()),
            created_at: Some(timestamp_ms(e.created_at_ms)),
            settled_at: e.settled_at_ms.map(timestamp_ms),
        }
    }
}

impl From<&Withdrawal> for pb::Withdrawal {
    fn from(w: &Withdrawal) -> Self {
        Self {
            withdrawal_id: w.id.to_string(),
            member_id: w.member_id.to_string(),
            amount: cny(w.amount),
            status: i32::from(w.status.number()),
            reason: w.reason.clone(),
            reviewed_by: w.reviewed_by.clone(),
            payout_reference: w.payout_reference.clone(),
            requested_at: Some(timestamp_ms(w.requested_at_ms)),
            updated_at: Some(timestamp_ms(w.updated_at_ms)),
        }
    }
}
