//! The ledger's vocabulary: accounts, postings, entries, balances, lots, holds, and what a
//! tenant configures (policy, earning rules, top-up plans).

use uuid::Uuid;

use super::{MemberId, stored_enum};

stored_enum! {
    /// The accounts of the double-entry ledger (`LedgerAccount`): 1–5 belong to a member, 11–16
    /// are the tenant's counter-accounts.
    Account {
        /// Points available to spend.
        PointsAvailable = 1,
        /// Points held by a pending order.
        PointsHeld = 2,
        /// Stored-value principal.
        SvPrincipal = 3,
        /// Stored-value bonus.
        SvBonus = 4,
        /// Stored value held by a pending order.
        SvHeld = 5,
        /// Tenant: points issued.
        PointsIssued = 11,
        /// Tenant: points redeemed.
        PointsRedeemed = 12,
        /// Tenant: points expired.
        PointsExpired = 13,
        /// Tenant: cash received for stored value.
        SvCash = 14,
        /// Tenant: bonus granted.
        SvBonusExpense = 15,
        /// Tenant: stored value spent on orders.
        SvSpent = 16,
    }
}

/// What an amount is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Asset {
    /// Whole points.
    Points,
    /// Fen of stored value.
    StoredValue,
}

impl Account {
    /// The asset the account counts.
    pub fn asset(self) -> Asset {
        match self {
            Self::PointsAvailable
            | Self::PointsHeld
            | Self::PointsIssued
            | Self::PointsRedeemed
            | Self::PointsExpired => Asset::Points,
            Self::SvPrincipal
            | Self::SvBonus
            | Self::SvHeld
            | Self::SvCash
            | Self::SvBonusExpense
            | Self::SvSpent => Asset::StoredValue,
        }
    }

    /// True for the member's own accounts (never negative).
    pub fn is_member(self) -> bool {
        self.number() < 10
    }
}

stored_enum! {
    /// Which part of stored value a posting on a held or spent account moves: the wire has one
    /// held account, the ledger keeps its principal and bonus apart.
    SvPart {
        /// Not a split account.
        None = 0,
        /// Principal (本金).
        Principal = 1,
        /// Bonus (赠送金).
        Bonus = 2,
    }
}

/// One leg of an entry: positive credits the account, negative debits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    /// The account.
    pub account: Account,
    /// The member for member accounts; `None` for tenant accounts.
    pub member: Option<MemberId>,
    /// Signed amount.
    pub amount: i64,
    /// The points lot credited or consumed, for member points postings.
    pub lot_id: Option<Uuid>,
    /// The stored-value part on held/spent accounts.
    pub part: SvPart,
}

impl Posting {
    /// A posting on `member`'s `account`.
    pub fn member(account: Account, member: MemberId, amount: i64) -> Self {
        Self {
            account,
            member: Some(member),
            amount,
            lot_id: None,
            part: SvPart::None,
        }
    }

    /// A posting on the tenant's `account`.
    pub fn tenant(account: Account, amount: i64) -> Self {
        Self {
            account,
            member: None,
            amount,
            lot_id: None,
            part: SvPart::None,
        }
    }

    /// The same posting on `lot`.
    #[must_use]
    pub fn on_lot(mut self, lot: Uuid) -> Self {
        self.lot_id = Some(lot);
        self
    }

    /// The same posting of stored-value `part`.
    #[must_use]
    pub fn of_part(mut self, part: SvPart) -> Self {
        self.part = part;
        self
    }
}

/// True when the postings of each asset sum to zero (and none overflows).
pub fn balanced(postings: &[Posting]) -> bool {
    let sum = |asset| {
        postings
            .iter()
            .filter(|p| p.account.asset() == asset)
            .try_fold(0i64, |acc, p| acc.checked_add(p.amount))
    };
    sum(Asset::Points) == Some(0) && sum(Asset::StoredValue) == Some(0)
}

stored_enum! {
    /// What an entry did (`JournalEntryType`).
    EntryType {
        /// Points earned.
        Earn = 1,
        /// Points spent outside checkout.
        Redeem = 2,
        /// Moved from available to held for an order.
        Hold = 3,
        /// A hold consumed on payment.
        Capture = 4,
        /// A hold returned.
        Release = 5,
        /// Used points or stored value given back after a refund.
        Refund = 6,
        /// Earned points taken back.
        EarnReversal = 7,
        /// Staff adjustment.
        Adjustment = 8,
        /// Points moved between members.
        Transfer = 9,
        /// Lots expired.
        Expiry = 10,
        /// Stored value topped up.
        TopUp = 11,
        /// A top-up reversed.
        TopUpReversal = 12,
    }
}

/// A balanced journal entry with its postings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// Entry id.
    pub id: Uuid,
    /// What it did.
    pub entry_type: EntryType,
    /// The member it is about.
    pub member_id: MemberId,
    /// The business key, unique per tenant.
    pub key: String,
    /// The order concerned.
    pub order_id: Option<Uuid>,
    /// The refund concerned.
    pub refund_id: Option<Uuid>,
    /// The hold concerned.
    pub hold_id: Option<Uuid>,
    /// The earning rule applied.
    pub rule_id: Option<Uuid>,
    /// Net change of the member's available points.
    pub points_delta: i64,
    /// Net change of the member's available stored value (principal + bonus), fen.
    pub sv_delta: i64,
    /// History text.
    pub description: String,
    /// Staff reason.
    pub reason: String,
    /// Who caused it (staff id, `service:<name>`), empty for the member.
    pub operator_id: String,
    /// Reference of the cause (review id, POS receipt).
    pub reference_id: String,
    /// The postings; each asset sums to zero.
    pub postings: Vec<Posting>,
    /// When written.
    pub created_at_ms: i64,
}

/// A member's balances: one column per member account.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balances {
    /// Points available.
    pub points_available: i64,
    /// Points held.
    pub points_held: i64,
    /// Stored-value principal available.
    pub sv_principal: i64,
    /// Stored-value bonus available.
    pub sv_bonus: i64,
    /// Principal part of stored value held.
    pub sv_held_principal: i64,
    /// Bonus part of stored value held.
    pub sv_held_bonus: i64,
    /// Lifetime points earned.
    pub points_earned_total: i64,
}

impl Balances {
    /// Stored value the member can pay with.
    pub fn sv_available(&self) -> i64 {
        self.sv_principal + self.sv_bonus
    }
}

/// Balances with what the lots say about expiry (GetBalances).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceReport {
    /// The member.
    pub member_id: MemberId,
    /// Balances now.
    pub balances: Balances,
    /// Available points expiring within the policy's reminder window.
    pub points_expiring_soon: i64,
    /// Earliest expiry among open lots.
    pub next_expiry_ms: Option<i64>,
}

/// A lot of earned points with its own expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    /// Lot id.
    pub id: Uuid,
    /// The member.
    pub member_id: MemberId,
    /// Points credited.
    pub original: i64,
    /// Points left.
    pub remaining: i64,
    /// When the remainder expires; `None` = never.
    pub expires_at_ms: Option<i64>,
    /// The entry that created it.
    pub entry_id: Uuid,
    /// When created.
    pub created_at_ms: i64,
}
