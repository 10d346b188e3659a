//! Paid membership (付费会员): plans, the periods members bought, and a member's paid
//! membership as read at a moment.

use std::fmt;

use uuid::Uuid;

use super::{MemberId, stored_enum};

/// A paid-membership plan of a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PaidPlanId(pub Uuid);

impl fmt::Display for PaidPlanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One bought period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaidPeriodId(pub Uuid);

impl fmt::Display for PaidPeriodId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The order that paid a period (orders' id; the activation's business key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaidOrderId(pub Uuid);

impl fmt::Display for PaidOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

stored_enum! {
    /// The billing period of a plan (`PaidPlanPeriod`).
    PlanPeriod {
        /// One calendar month.
        Month = 1,
        /// Three calendar months.
        Quarter = 2,
        /// Twelve calendar months.
        Year = 3,
    }
}

impl PlanPeriod {
    /// Calendar months one period lasts.
    pub fn months(self) -> i32 {
        match self {
            Self::Month => 1,
            Self::Quarter => 3,
            Self::Year => 12,
        }
    }
}

/// A plan (付费会员卡).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidPlan {
    /// Id.
    pub id: PaidPlanId,
    /// Display name.
    pub name: String,
    /// Billing period (immutable once created).
    pub period: PlanPeriod,
    /// Price of one period, fen (> 0).
    pub price: i64,
    /// Price of a first period for members who never had paid membership, fen.
    pub first_period_price: Option<i64>,
    /// Tier held during the period; empty = none.
    pub tier_code: String,
    /// Coupon pack granted at activation and monthly.
    pub coupon_pack_id: Option<Uuid>,
    /// Extra points multiplier, bps (10000 = none).
    pub points_multiplier_bps: i32,
    /// Display-only benefit lines.
    pub display_benefits: Vec<String>,
    /// Whether it can be bought now.
    pub on_sale: bool,
}

impl PaidPlan {
    /// The price of a purchase: the first-period price for a member who never had a period.
    pub fn price_for(&self, first_purchase: bool) -> i64 {
        match self.first_period_price {
            Some(first) if first_purchase => first,
            _ => self.price,
        }
    }
}

/// A period a member bought: `[starts_at_ms, ends_at_ms)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidPeriod {
    /// Id.
    pub id: PaidPeriodId,
    /// The member.
    pub member_id: MemberId,
    /// The plan bought.
    pub plan_id: PaidPlanId,
    /// The order that paid it.
    pub order_id: PaidOrderId,
    /// Fen paid.
    pub amount_paid: i64,
    /// Start, inclusive (epoch ms).
    pub starts_at_ms: i64,
    /// End, exclusive (epoch ms).
    pub ends_at_ms: i64,
    /// Whether it followed an earlier period without a gap.
    pub renewal: bool,
    /// When a refund revoked it.
    pub revoked_at_ms: Option<i64>,
    /// The refund that revoked it.
    pub refund_id: Option<Uuid>,
}

/// A member's paid membership as of a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidMembership {
    /// The member.
    pub member_id: MemberId,
    /// The period covering the moment.
    pub current: Option<PaidPeriod>,
    /// Periods starting later, in order.
    pub upcoming: Vec<PaidPeriod>,
    /// End of the last period bought (past ones included); none when never bought.
    pub expires_at_ms: Option<i64>,
    /// The member's auto-renew preference.
    pub auto_renew: bool,
    /// Periods bought and not revoked.
    pub periods_bought: i32,
}

impl PaidMembership {
    /// The membership at `now_ms` from the member's periods (revoked ones are skipped).
    pub fn at(member_id: MemberId, periods: &[PaidPeriod], auto_renew: bool, now_ms: i64) -> Self {
        let mut live: Vec<&PaidPeriod> = periods
            .iter()
            .filter(|p| p.revoked_at_ms.is_none())
            .collect();
        live.sort_by_key(|p| p.starts_at_ms);
        Self {
            member_id,
            current: live
                .iter()
                .find(|p| p.starts_at_ms <= now_ms && now_ms < p.ends_at_ms)
                .map(|p| (*p).clone()),
            upcoming: live
                .iter()
                .filter(|p| p.starts_at_ms > now_ms)
                .map(|p| (*p).clone())
                .collect(),
            expires_at_ms: live.iter().map(|p| p.ends_at_ms).max(),
            auto_renew,
            periods_bought: i32::try_from(live.len()).unwrap_or(i32::MAX),
        }
    }
}

/// A paid order to turn into a period (ActivatePaidMembership).
#[derive(Debug, Clone)]
pub struct Activation {
    /// The buying member.
    pub member_id: MemberId,
    /// The plan bought.
    pub plan_id: PaidPlanId,
    /// The paid order.
    pub order_id: PaidOrderId,
    /// Fen paid for the plan line.
    pub amount_paid: i64,
    /// When the payment succeeded.
    pub paid_at_ms: i64,
    /// Auto-renew chosen at purchase.
    pub auto_renew: bool,
}

/// A refund revoking the period of an order (RevokePaidMembership).
#[derive(Debug, Clone)]
pub struct Revocation {
    /// The order that bought the period.
    pub order_id: PaidOrderId,
    /// The refund.
    pub refund_id: Uuid,
    /// Reason for the record.
    pub reason: String,
}

/// What the renewal report counts.
#[derive(Debug, Clone)]
pub struct RenewalQuery {
    /// Periods ending at or after this (epoch ms).
    pub start_ms: i64,
    /// Periods ending before this (epoch ms); also the moment active members are counted at.
    pub end_ms: i64,
    /// Days after an end within which a new period counts as its renewal.
    pub window_days: i32,
    /// Only this plan.
    pub plan_id: Option<PaidPlanId>,
}

/// One row of the renewal report (`plan_id` none: the totals).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenewalRow {
    /// The plan of the ended periods.
    pub plan_id: Option<PaidPlanId>,
    /// Periods that ended in the window.
    pub expired: i64,
    /// Of those, followed by a new period within the renewal window.
    pub renewed: i64,
    /// Members with a period of the plan covering the end of the window.
    pub active_members: i64,
}

impl RenewalRow {
    /// renewed / expired in bps, rounded down (0 when nothing expired).
    pub fn rate_bps(&self) -> i64 {
        if self.expired == 0 {
            0
        } else {
            self.renewed * 10_000 / self.expired
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(start: i64, end: i64, revoked: bool) -> PaidPeriod {
        PaidPeriod {
            id: PaidPeriodId(Uuid::nil()),
            member_id: MemberId(Uuid::nil()),
            plan_id: PaidPlanId(Uuid::nil()),
            order_id: PaidOrderId(Uuid::nil()),
            amount_paid: 1,
            starts_at_ms: start,
            ends_at_ms: end,
            renewal: false,
            revoked_at_ms: revoked.then_some(0),
            refund_id: None,
        }
    }

    #[test]
    fn membership_reads_current_upcoming_and_skips_revoked() {
        let periods = [
            period(0, 10, false),
            period(10, 20, false),
            period(20, 30, true),
            period(30, 40, false),
        ];
        let m = PaidMembership::at(MemberId(Uuid::nil()), &periods, true, 15);
        assert_eq!(m.current.map(|p| p.starts_at_ms), Some(10));
        assert_eq!(m.upcoming.len(), 1);
        assert_eq!(m.expires_at_ms, Some(40));
        assert_eq!(m.periods_bought, 3);
        let gap = PaidMembership::at(MemberId(Uuid::nil()), &periods, true, 25);
        assert!(gap.current.is_none());
    }

    #[test]
    fn rate_is_in_bps_and_zero_without_expiries() {
        let r = RenewalRow {
            expired: 3,
            renewed: 2,
            ..RenewalRow::default()
        };
        assert_eq!(r.rate_bps(), 6_666);
        assert_eq!(RenewalRow::default().rate_bps(), 0);
    }
}
