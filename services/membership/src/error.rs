//! [`AppError`]: everything membership refuses or fails with, named after the fact. What each
//! one tells a caller (code, reason, details) is decided once, in `grpc/error.rs`.

use siyu_server::PageError;
use siyu_store::StoreError;

/// Every error of the service; mapped to `Status` once, in `grpc/error.rs`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Malformed input: (proto field path, description) per field.
    #[error("invalid input")]
    InvalidInput(Vec<(String, String)>),
    /// A page size out of range or a page token this list did not issue.
    #[error("bad page: {0}")]
    BadPage(PageError),
    /// A birthday that is not a real date, or lies in the future.
    #[error("invalid birthday at {field}")]
    InvalidBirthday {
        /// The proto field path.
        field: String,
    },
    /// A card number that is not 8 to 20 digits, or one a consumer may not choose.
    #[error("invalid card number: {0}")]
    InvalidCardNumber(String),
    /// An update-mask path the message does not have (or may not change).
    #[error("unknown field path {0}")]
    UnknownFieldPath(String),
    /// An amount in another currency than CNY.
    #[error("currency not supported at {field}")]
    CurrencyNotSupported {
        /// The proto field path.
        field: String,
    },
    /// The caller may not act on this member, unit or with this purpose.
    #[error("out of scope: {0}")]
    OutOfScope(String),
    /// The caller may not change this field (a consumer changing a set birthday).
    #[error("field {0} not editable")]
    FieldNotEditable(String),
    /// No such member in the tenant (or not the consumer's own).
    #[error("member not found")]
    MemberNotFound,
    /// No such segment in the tenant.
    #[error("segment not found")]
    SegmentNotFound,
    /// No such earning rule in the tenant.
    #[error("earning rule not found")]
    EarningRuleNotFound,
    /// No such top-up plan in the tenant.
    #[error("top-up plan not found")]
    TopUpPlanNotFound,
    /// No top-up was credited for the order.
    #[error("top-up not found")]
    TopUpNotFound,
    /// The order has no hold of the kind.
    #[error("hold not found")]
    HoldNotFound,
    /// The order earned no points to take back.
    #[error("earn not found")]
    EarnNotFound,
    /// Another member of the tenant has the card number.
    #[error("card number taken")]
    CardNumberTaken,
    /// A business key already applied to a different request.
    #[error("ledger key {key} conflicts")]
    LedgerKeyConflict {
        /// The business key.
        key: String,
    },
    /// A repeated hold of an order with another member or amount.
    #[error("hold mismatch")]
    HoldMismatch,
    /// The member is frozen.
    #[error("member frozen")]
    MemberFrozen,
    /// The member is closed.
    #[error("member closed")]
    MemberClosed,
    /// A dynamic member code past its validity.
    #[error("member code expired")]
    MemberCodeExpired,
    /// The rule is disabled or outside its window.
    #[error("earning rule disabled")]
    EarningRuleDisabled,
    /// The rule's daily cap is used up.
    #[error("earning cap reached")]
    EarningCapReached,
    /// No such tier in the tenant.
    #[error("tier not found")]
    TierNotFound,
    /// Another tier of the tenant has the code.
    #[error("tier code taken")]
    TierCodeTaken,
    /// Thresholds would not rise strictly with rank (or rank 1 would not start at 0).
    #[error("tier threshold conflict: {0}")]
    TierThresholdConflict(String),
    /// Members hold the tier.
    #[error("tier in use")]
    TierInUse,
    /// The entry tier cannot be archived.
    #[error("tier is entry")]
    TierIsEntry,
    /// A negative growth change larger than the growth.
    #[error("growth insufficient")]
    GrowthInsufficient {
        /// Growth the member has.
        available: i64,
    },
    /// A transfer naming the sender as recipient.
    #[error("transfer to self")]
    TransferToSelf,
    /// The tenant's policy does not allow points transfers.
    #[error("points transfer disabled")]
    PointsTransferDisabled,
    /// The tenant has no enabled CHECK_IN rule in force.
    #[error("check-in disabled")]
    CheckInDisabled,
    /// Another enabled rule of the trigger overlaps in time.
    #[error("earning rule overlap")]
    EarningRuleOverlap,
    /// Not enough available points.
    #[error("points insufficient")]
    PointsInsufficient {
        /// Points available.
        available: i64,
        /// Points asked for.
        requested: i64,
    },
    /// Not enough available stored value.
    #[error("stored value insufficient")]
    StoredValueInsufficient {
        /// Fen available (principal + bonus, or the account adjusted).
        available: i64,
        /// Fen asked for.
        requested: i64,
    },
    /// The tenant has not enabled stored value.
    #[error("stored value disabled")]
    StoredValueDisabled,
    /// The order's hold was captured, or released without `revive`.
    #[error("hold already settled")]
    HoldAlreadySettled,
    /// Capturing a released hold.
    #[error("hold already released")]
    HoldAlreadyReleased,
    /// Releasing a captured hold.
    #[error("hold already captured")]
    HoldAlreadyCaptured,
    /// Refunding a hold that was not captured.
    #[error("hold not captured")]
    HoldNotCaptured,
    /// Refunds beyond what was captured.
    #[error("refund exceeds captured")]
    RefundExceedsCaptured,
    /// `amount_paid` is not the plan's pay amount.
    #[error("top-up amount mismatch")]
    TopUpAmountMismatch,
    /// The top-up's stored value was already spent (or reversed).
    #[error("top-up already spent")]
    TopUpAlreadySpent {
        /// The largest amount that could be reversed now, fen.
        reversible_amount: i64,
    },
    /// No such coupon template in the tenant (or not visible to the caller).
    #[error("coupon template not found")]
    CouponTemplateNotFound,
    /// No such coupon pack in the tenant.
    #[error("coupon pack not found")]
    CouponPackNotFound,
    /// No such coupon in the tenant (or not the consumer's own).
    #[error("coupon not found")]
    CouponNotFound,
    /// No such coupon grant in the tenant.
    #[error("coupon grant not found")]
    CouponGrantNotFound,
    /// A published template's field that may no longer change.
    #[error("template field {0} locked")]
    TemplateFieldLocked(String),
    /// A total quota below the coupons already issued.
    #[error("quota below issued")]
    QuotaBelowIssued {
        /// Coupons issued so far.
        issued: i32,
    },
    /// Publishing a template that is not a draft.
    #[error("template not draft")]
    TemplateNotDraft,
    /// Issuing from (or stopping) a template that is not published.
    #[error("template not published")]
    TemplateNotPublished,
    /// Granting from a template whose absolute validity has ended.
    #[error("template expired")]
    TemplateExpired,
    /// Another enabled pack has the trigger.
    #[error("pack trigger taken")]
    PackTriggerTaken,
    /// The template cannot be claimed now by this member.
    #[error("coupon not claimable: {0}")]
    CouponNotClaimable(&'static str),
    /// The member holds the most coupons of the template allowed.
    #[error("coupon limit reached")]
    CouponLimitReached {
        /// The per-member limit.
        limit: i32,
    },
    /// The member claimed the most coupons of the template allowed today.
    #[error("coupon daily limit reached")]
    CouponDailyLimitReached {
        /// The per-member daily limit.
        limit: i32,
    },
    /// The template's total quota is used up.
    #[error("coupon quota exhausted")]
    CouponQuotaExhausted,
    /// A grant key already used for a different grant.
    #[error("grant key {key} conflicts")]
    GrantKeyConflict {
        /// The key.
        key: String,
    },
    /// The coupon is not the member's, or is used, revoked, or locked by another order.
    #[error("coupon {0} unavailable")]
    CouponUnavailable(uuid::Uuid),
    /// The order does not satisfy the coupon's rule, or the coupons do not stack.
    #[error("coupon {coupon} not applicable: {reason}")]
    CouponNotApplicable {
        /// The coupon.
        coupon: uuid::Uuid,
        /// The `CouponUnusableReason` name, or STACKING_CONFLICT.
        reason: &'static str,
    },
    /// The coupon's validity has ended.
    #[error("coupon {0} expired")]
    CouponExpired(uuid::Uuid),
    /// The order locked other coupons (or for another member).
    #[error("lock mismatch")]
    LockMismatch,
    /// The order's coupons were released (lock again with `revive`).
    #[error("coupons already released")]
    CouponsAlreadyReleased,
    /// The order's coupons were used.
    #[error("coupons already used")]
    CouponsAlreadyUsed,
    /// Using coupons the order no longer holds locked.
    #[error("coupons not locked")]
    CouponsNotLocked,
    /// The coupon cannot be redeemed in store.
    #[error("coupon not in store")]
    CouponNotInStore,
    /// A dynamic redemption code past its validity.
    #[error("redemption code expired")]
    RedemptionCodeExpired,
    /// An in-store redemption that cannot be reversed (not in store, or older than 24 h).
    #[error("redemption not reversible")]
    RedemptionNotReversible,
    /// A segment expression that is malformed, too deep or too large (the node's proto path).
    #[error("invalid segment expression at {field}: {why}")]
    InvalidSegmentExpression {
        /// The proto field path of the node at fault.
        field: String,
        /// What is wrong with it.
        why: String,
    },
    /// No such tag in the tenant (or not visible to the caller).
    #[error("tag not found")]
    TagNotFound,
    /// Another tag of the group has the name.
    #[error("tag name taken")]
    TagNameTaken,
    /// A system tag where only manual tags may be changed or applied.
    #[error("tag not manual")]
    TagNotManual,
    /// A segment's expression names the tag.
    #[error("tag in use by segment {segment_id}")]
    TagInUse {
        /// A segment naming it.
        segment_id: uuid::Uuid,
    },
    /// A published coupon template restricts claims to the segment.
    #[error("segment in use")]
    SegmentInUse,
    /// No such snapshot in the tenant.
    #[error("snapshot not found")]
    SnapshotNotFound,
    /// The snapshot's lifetime has ended.
    #[error("snapshot expired")]
    SnapshotExpired,
    /// A preview that ran longer than allowed.
    #[error("segment evaluation timeout")]
    SegmentEvaluationTimeout,
    /// The guide is not an active guide (identity disabled the staff member).
    #[error("guide {0} invalid")]
    GuideInvalid(uuid::Uuid),
    /// Unbinding a member who has no current guide.
    #[error("no guide bound")]
    NoGuideBound,
    /// A whole book larger than one reassignment moves.
    #[error("reassignment too large")]
    ReassignmentTooLarge {
        /// Members currently bound to the guide.
        members: i64,
    },
    /// No member of the tenant has the invite code.
    #[error("invite code not found")]
    InviteCodeNotFound,
    /// No override for the SKU.
    #[error("sku rate not found")]
    SkuRateNotFound,
    /// No such withdrawal in the tenant (or not the consumer's own).
    #[error("withdrawal not found")]
    WithdrawalNotFound,
    /// A withdrawal below the tenant's minimum.
    #[error("withdrawal below minimum")]
    WithdrawalBelowMinimum {
        /// The minimum, fen.
        minimum: i64,
    },
    /// Not enough settled commission.
    #[error("commission insufficient")]
    CommissionInsufficient {
        /// Fen available.
        available: i64,
        /// Fen asked for.
        requested: i64,
    },
    /// The member has an open withdrawal.
    #[error("withdrawal pending")]
    WithdrawalPending,
    /// The member is not an enabled distributor (or distribution is off).
    #[error("distributor disabled")]
    DistributorDisabled,
    /// Approving or rejecting a withdrawal that is not REQUESTED.
    #[error("withdrawal not pending")]
    WithdrawalNotPending,
    /// Completing a withdrawal that is not APPROVED.
    #[error("withdrawal not approved")]
    WithdrawalNotApproved,
    /// No such paid-membership plan in the tenant.
    #[error("paid plan not found")]
    PaidPlanNotFound,
    /// The amount paid is more than the plan's price for this purchase.
    #[error("paid plan price mismatch")]
    PaidPlanPriceMismatch {
        /// The price that applies, fen.
        price: i64,
    },
    /// No period bought by the order.
    #[error("paid period not found")]
    PaidPeriodNotFound,
    /// The member never bought paid membership.
    #[error("paid membership not found")]
    PaidMembershipNotFound,
    /// The order already activated a period of another member or plan.
    #[error("paid order conflict")]
    PaidOrderConflict,
    /// The database (or an idempotency record) refused or could not be reached.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A bug or corrupt data; logged, answered masked.
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    /// Malformed input in one field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidInput(vec![(field.into(), description.into())])
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        StoreError::from(err).into()
    }
}

impl From<PageError> for AppError {
    fn from(err: PageError) -> Self {
        Self::BadPage(err)
    }
}
