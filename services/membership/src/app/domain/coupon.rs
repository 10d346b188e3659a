//! Coupons (优惠券): templates, the coupons issued from them, packs. Enum numbers are the
//! proto's (`siyu.membership.v1.Coupon*`); the rule and the scope are kept as JSON with the
//! template and copied onto each coupon at issue, so later template edits never change it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use super::{Attribution, MemberId, stored_enum};

/// Serde of a stored enum as its proto number (how rules are kept as JSON).
macro_rules! serde_number {
    ($($name:ident),+) => {$(
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i16(self.number())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let n = i16::deserialize(d)?;
                Self::try_from(n).map_err(serde::de::Error::custom)
            }
        }
    )+};
}

stored_enum! {
    /// The benefit a coupon gives (`CouponKind`).
    CouponKind {
        /// 满减: amount off above a threshold.
        AmountOff = 1,
        /// 折扣: pay a share, the discount capped.
        PercentOff = 2,
        /// 免邮: the shipping fee (up to a cap).
        FreeShipping = 3,
        /// 兑换: units of a gift SKU free.
        Exchange = 4,
    }
}

stored_enum! {
    /// How a coupon combines with others in one order (`CouponStacking`).
    Stacking {
        /// Alone (unset on the wire means this).
        Exclusive = 1,
        /// With coupons of other kinds, one per kind.
        AcrossKinds = 2,
        /// With any stackable coupon.
        Any = 3,
    }
}

stored_enum! {
    /// Who funds the discount (`CouponFunder`).
    Funder {
        /// The brand / HQ (unset on the wire means this).
        Brand = 1,
        /// A supplier.
        Supplier = 2,
        /// A store.
        Store = 3,
    }
}

stored_enum! {
    /// A template's lifecycle (`CouponTemplateStatus`).
    TemplateStatus {
        /// Being edited.
        Draft = 1,
        /// Claimable and grantable.
        Published = 2,
        /// No more issuing.
        Stopped = 3,
    }
}

stored_enum! {
    /// A coupon's state (`CouponStatus`). Stored are AVAILABLE, LOCKED, USED, EXPIRED and
    /// REVOKED; PENDING and EXPIRED are also derived from the validity when read (see
    /// [`Coupon::status_at`]).
    CouponStatus {
        /// Issued, its validity not started.
        Pending = 1,
        /// Usable.
        Available = 2,
        /// Locked by a pending order.
        Locked = 3,
        /// Used by a paid order or in store.
        Used = 4,
        /// Expired unused.
        Expired = 5,
        /// Revoked.
        Revoked = 6,
    }
}

stored_enum! {
    /// How a coupon was issued (`CouponSource`).
    CouponSource {
        /// Claimed by the member.
        Claim = 1,
        /// Granted by staff.
        StaffGrant = 2,
        /// Granted by a campaign.
        Campaign = 3,
        /// Granted by an event pack.
        Event = 4,
        /// Granted by a guide.
        Guide = 5,
        /// Granted by a partner.
        Partner = 6,
    }
}

stored_enum! {
    /// The event that grants a pack automatically (`CouponPackTrigger`); 0 = none.
    PackTrigger {
        /// Granted only where referenced or by staff.
        Manual = 0,
        /// On enrolment, once per member.
        NewMember = 1,
        /// On the birthday, once a year.
        Birthday = 2,
        /// On the first paid order.
        FirstOrder = 3,
    }
}

serde_number!(CouponKind, Stacking);

impl CouponSource {
    /// The name CouponGranted carries.
    pub fn name(self) -> &'static str {
        match self {
            Self::Claim => "CLAIM",
            Self::StaffGrant => "STAFF_GRANT",
            Self::Campaign => "CAMPAIGN",
            Self::Event => "EVENT",
            Self::Guide => "GUIDE",
            Self::Partner => "PARTNER",
        }
    }
}

/// A template id.
pub type TemplateId = Uuid;
/// A coupon id.
pub type CouponId = Uuid;

/// Where a coupon applies (`CouponScope`); empty lists do not restrict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CouponScope {
    /// All goods (the goods lists are ignored except exclusions).
    pub all_goods: bool,
    /// Eligible categories.
    pub category_ids: Vec<String>,
    /// Eligible SKUs.
    pub sku_ids: Vec<String>,
    /// Never eligible SKUs.
    pub excluded_sku_ids: Vec<String>,
    /// Stores where usable.
    pub store_ids: Vec<Uuid>,
    /// `siyu.common.v1.Channel` numbers where usable.
    pub channels: Vec<i32>,
    /// Usable at online checkout.
    pub online: bool,
    /// Redeemable in store.
    pub in_store: bool,
}

/// What a coupon gives (`CouponRule`); amounts in fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponRule {
    /// The kind.
    pub kind: CouponKind,
    /// Minimum eligible subtotal, 0 = none.
    pub threshold: i64,
    /// AMOUNT_OFF: fen off.
    pub amount_off: i64,
    /// PERCENT_OFF: share to pay, 1..=9999 bps.
    pub percent_bps: i32,
    /// PERCENT_OFF / FREE_SHIPPING: cap of the discount.
    pub max_discount: Option<i64>,
    /// EXCHANGE: the gift SKU.
    pub gift_sku_id: String,
    /// EXCHANGE: units free.
    pub gift_quantity: i32,
    /// Stacking.
    pub stacking: Stacking,
    /// Scope.
    pub scope: CouponScope,
}

/// Validity of the coupons of a template (`CouponValidity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Validity {
    /// `[from_ms, until_ms)`.
    Absolute {
        /// Start.
        from_ms: i64,
        /// End, exclusive.
        until_ms: i64,
    },
    /// From the issue day (+ `starts_after_days`) for `valid_days` days, to local midnight.
    Relative {
        /// Days valid, 1..=3650.
        valid_days: i32,
        /// Days before usable.
        starts_after_days: i32,
    },
}

/// A coupon template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponTemplate {
    /// Id.
    pub id: TemplateId,
    /// Display name.
    pub name: String,
    /// Usage notes.
    pub description: String,
    /// The rule.
    pub rule: CouponRule,
    /// Validity of issued coupons.
    pub validity: Validity,
    /// Coupons that may ever be issued, 0 = unlimited.
    pub total_quota: i32,
    /// Coupons one member may hold in total, 0 = unlimited.
    pub per_member_limit: i32,
    /// Claims per member per day, 0 = unlimited.
    pub per_member_daily_limit: i32,
    /// Members may claim it themselves.
    pub claimable: bool,
    /// Claim window start.
    pub claim_starts_at_ms: Option<i64>,
    /// Claim window end.
    pub claim_ends_at_ms: Option<i64>,
    /// Tiers allowed to claim.
    pub claim_tier_codes: Vec<String>,
    /// Segment allowed to claim.
    pub claim_segment_id: String,
    /// Points price of a claim.
    pub points_price: i64,
    /// Funder.
    pub funder: Funder,
    /// Funder id.
    pub funder_id: String,
    /// Lifecycle.
    pub status: TemplateStatus,
    /// Coupons issued so far.
    pub issued_count: i32,
    /// Created.
    pub created_at_ms: i64,
    /// Updated.
    pub updated_at_ms: i64,
}

/// A coupon held by a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coupon {
    /// Id.
    pub id: CouponId,
    /// Template.
    pub template_id: TemplateId,
    /// Holder.
    pub member_id: MemberId,
    /// Name at issue.
    pub name: String,
    /// Rule at issue.
    pub rule: CouponRule,
    /// Stored status (see [`Coupon::status_at`] for what a reader sees).
    pub status: CouponStatus,
    /// Usable from.
    pub valid_from_ms: i64,
    /// Usable until, exclusive.
    pub valid_until_ms: i64,
    /// Source.
    pub source: CouponSource,
    /// Attribution of the claim or grant.
    pub attribution: Attribution,
    /// The grant that issued it.
    pub grant_id: Option<Uuid>,
    /// The order that locked or used it.
    pub order_id: Option<Uuid>,
    /// Store of an in-store redemption.
    pub redeemed_store_id: Option<Uuid>,
    /// Staff (or partner) who redeemed it in store.
    pub redeemed_by: String,
    /// POS receipt of an in-store redemption.
    pub pos_receipt_no: String,
    /// Discount of an in-store redemption, fen.
    pub in_store_discount: i64,
    /// Issued.
    pub issued_at_ms: i64,
    /// Used.
    pub used_at_ms: Option<i64>,
    /// Funder at issue.
    pub funder: Funder,
    /// Funder id at issue.
    pub funder_id: String,
}

impl Coupon {
    /// The status at `now_ms`: an AVAILABLE coupon before its validity is PENDING, after it
    /// EXPIRED (expiry on read: no job has to run for a coupon to stop being usable). A LOCKED
    /// coupon stays LOCKED: its pending order may still pay with it.
    pub fn status_at(&self, now_ms: i64) -> CouponStatus {
        match self.status {
            CouponStatus::Available if now_ms >= self.valid_until_ms => CouponStatus::Expired,
            CouponStatus::Available if now_ms < self.valid_from_ms => CouponStatus::Pending,
            s => s,
        }
    }

    /// Whether the coupon was redeemed in store (not by an order).
    pub fn used_in_store(&self) -> bool {
        self.status == CouponStatus::Used && self.redeemed_store_id.is_some()
    }
}

/// One template of a pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackItem {
    /// The template.
    pub template_id: TemplateId,
    /// Coupons of it per grant, 1..=20.
    pub quantity: i32,
}

/// A coupon pack (券包).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponPack {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Templates and quantities.
    pub items: Vec<PackItem>,
    /// The event that grants it.
    pub trigger: PackTrigger,
    /// Automatic granting on.
    pub enabled: bool,
}

/// A member skipped by a grant, with the reason (an ErrorInfo reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The member id as given.
    pub member_id: Uuid,
    /// Why.
    pub reason: String,
}

/// A grant (GrantCoupons, an event pack, or a bulk grant to a segment) as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponGrant {
    /// Id (recorded on the coupons).
    pub id: Uuid,
    /// Members targeted (a bulk grant: the segment's members when it started).
    pub target_count: i32,
    /// Coupons issued.
    pub issued_count: i32,
    /// Members skipped, with why (grants to listed members; bulk grants count them only).
    pub skipped: Vec<Skipped>,
    /// When.
    pub created_at_ms: i64,
    /// Where it is: grants to listed members and event packs complete in their call.
    pub status: GrantStatus,
    /// Members served so far.
    pub processed_count: i32,
    /// Members skipped so far.
    pub skipped_count: i32,
    /// Why a bulk grant stopped (FAILED).
    pub error_message: String,
    /// When it finished.
    pub finished_at_ms: Option<i64>,
}

stored_enum! {
    /// A grant's progress (`CouponGrantStatus`).
    GrantStatus {
        /// Queued or running.
        Running = 1,
        /// Finished.
        Completed = 2,
        /// Stopped by an error; what was granted stays granted.
        Failed = 3,
    }
}

/// Counts of a template's coupons (GetCouponTemplateStats).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateStats {
    /// Issued.
    pub issued: i64,
    /// AVAILABLE or PENDING now.
    pub available: i64,
    /// LOCKED.
    pub locked: i64,
    /// USED.
    pub used: i64,
    /// USED in store.
    pub used_in_store: i64,
    /// EXPIRED (stored or past validity).
    pub expired: i64,
    /// REVOKED.
    pub revoked: i64,
    /// Discounts of in-store redemptions, fen.
    pub in_store_discount: i64,
    /// Distinct members who used one.
    pub using_members: i64,
    /// (source, issued, used).
    pub by_source: Vec<(CouponSource, i64, i64)>,
}
