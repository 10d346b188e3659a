//! What a tenant configures about its ledger: the policy, earning rules and top-up plans, and
//! the record of each paid top-up.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{MemberId, stored_enum};

stored_enum! {
    /// How earned points expire (`PointsExpiryMode`).
    ExpiryMode {
        /// Never.
        Never = 1,
        /// `expiry_days` after earning.
        DaysAfterEarn = 2,
        /// End of the year after the year earned (Asia/Shanghai).
        EndOfNextYear = 3,
    }
}

/// The tenant's ledger policy (`LedgerPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerPolicy {
    /// Points making 1 CNY of deduction.
    pub points_per_yuan: i64,
    /// Cap of points deduction, bps of the order.
    pub max_points_deduction_bps: i32,
    /// Minimum points per deduction.
    pub min_points_per_order: i64,
    /// Whether stored value can be topped up and paid with.
    pub stored_value_enabled: bool,
    /// Whether members may transfer points.
    pub points_transfer_enabled: bool,
    /// How lots expire.
    pub expiry_mode: ExpiryMode,
    /// For DAYS_AFTER_EARN.
    pub expiry_days: i32,
    /// Reminder window and "expiring soon", days.
    pub expiry_reminder_days: i32,
    /// Validity of lots restored after their own expiry, days.
    pub restored_points_grace_days: i32,
    /// Whether stored value counts in the earning base.
    pub stored_value_earns: bool,
}

impl Default for LedgerPolicy {
    /// What a tenant has before it changes anything: 100 points make ¥1, deduction up to 30 %,
    /// lots valid to the end of next year, stored value off until the tenant turns it on (a
    /// prepaid balance is a regulated liability a retailer opts into).
    fn default() -> Self {
        Self {
            points_per_yuan: 100,
            max_points_deduction_bps: 3000,
            min_points_per_order: 0,
            stored_value_enabled: false,
            points_transfer_enabled: false,
            expiry_mode: ExpiryMode::EndOfNextYear,
            expiry_days: 365,
            expiry_reminder_days: 30,
            restored_points_grace_days: 30,
            stored_value_earns: false,
        }
    }
}

stored_enum! {
    /// What an earning rule reacts to (`EarningTrigger`).
    EarningTrigger {
        /// A paid goods order.
        OrderPaid = 1,
        /// Enrolment.
        Enrolment = 2,
        /// Phone bound.
        PhoneBound = 3,
        /// Daily check-in.
        CheckIn = 4,
        /// A review accepted.
        Review = 5,
        /// The first paid order.
        FirstOrder = 6,
        /// An invitee enrolled.
        Referral = 7,
        /// The birthday.
        Birthday = 8,
    }
}

impl EarningTrigger {
    /// The `PointsEarned.source` of points this trigger earned.
    pub fn source(self) -> &'static str {
        match self {
            Self::OrderPaid => "ORDER_PAID",
            Self::Enrolment => "ENROLMENT",
            Self::PhoneBound => "PHONE_BOUND",
            Self::CheckIn => "CHECK_IN",
            Self::Review => "REVIEW",
            Self::FirstOrder => "FIRST_ORDER",
            Self::Referral => "REFERRAL",
            Self::Birthday => "BIRTHDAY",
        }
    }
}

/// A streak bonus of a check-in rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreakBonus {
    /// Consecutive days.
    pub streak_days: i32,
    /// Extra points that day.
    pub bonus_points: i64,
}

/// Check-in specifics, kept as JSON with the rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckInRule {
    /// Points per check-in.
    pub daily_points: i64,
    /// Bonuses by streak length.
    pub streak_bonuses: Vec<StreakBonus>,
    /// Streak cycle (0 = never restarts).
    pub cycle_days: i32,
}

/// An earning rule (积分规则).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarningRule {
    /// Rule id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// The trigger (immutable).
    pub trigger: EarningTrigger,
    /// In force.
    pub enabled: bool,
    /// Points per trigger (all but ORDER_PAID and CHECK_IN).
    pub fixed_points: i64,
    /// ORDER_PAID: points per yuan of earning base.
    pub points_per_yuan: i32,
    /// ORDER_PAID: categories whose lines earn nothing.
    pub excluded_category_ids: Vec<Uuid>,
    /// ORDER_PAID: credit at settlement.
    pub credit_on_completion: bool,
    /// CHECK_IN details.
    pub check_in: Option<CheckInRule>,
    /// Per member per day; 0 = no cap.
    pub daily_cap: i64,
    /// Active from.
    pub starts_at_ms: Option<i64>,
    /// Active until.
    pub ends_at_ms: Option<i64>,
}

impl EarningRule {
    /// True when the rule's window contains `at_ms`.
    pub fn in_window(&self, at_ms: i64) -> bool {
        self.starts_at_ms.is_none_or(|s| s <= at_ms) && self.ends_at_ms.is_none_or(|e| at_ms < e)
    }

    /// True when this rule's window overlaps `other`'s.
    pub fn overlaps(&self, other: &EarningRule) -> bool {
        let start = |r: &EarningRule| r.starts_at_ms.unwrap_or(i64::MIN);
        let end = |r: &EarningRule| r.ends_at_ms.unwrap_or(i64::MAX);
        start(self) < end(other) && start(other) < end(self)
    }
}

/// A stored-value top-up plan (充值方案).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopUpPlan {
    /// Plan id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// What the member pays, fen.
    pub pay_amount: i64,
    /// Bonus credited on top, fen.
    pub bonus_amount: i64,
    /// Extra points.
    pub bonus_points: i64,
    /// Coupon pack granted with it.
    pub coupon_pack_id: Option<Uuid>,
    /// Bonus at most this often per member; 0 = unlimited.
    pub per_member_limit: i32,
    /// Whether it can be bought.
    pub on_sale: bool,
    /// Sale window start.
    pub starts_at_ms: Option<i64>,
    /// Sale window end.
    pub ends_at_ms: Option<i64>,
}

impl TopUpPlan {
    /// True when on sale and `at_ms` is within the sale window.
    pub fn sells_at(&self, at_ms: i64) -> bool {
        self.on_sale
            && self.starts_at_ms.is_none_or(|s| s <= at_ms)
            && self.ends_at_ms.is_none_or(|e| at_ms < e)
    }
}

/// A paid top-up order and what was reversed of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopUp {
    /// The top-up order.
    pub order_id: Uuid,
    /// The member.
    pub member_id: MemberId,
    /// The plan bought.
    pub plan_id: Option<Uuid>,
    /// Principal credited.
    pub principal: i64,
    /// Bonus credited.
    pub bonus: i64,
    /// Principal reversed so far.
    pub reversed_principal: i64,
    /// Bonus reversed so far.
    pub reversed_bonus: i64,
    /// The TOP_UP entry.
    pub entry_id: Uuid,
}
