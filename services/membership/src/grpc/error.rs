//! What each [`AppError`] tells a caller: code, `ErrorInfo` reason and metadata, `BadRequest`
//! field violations — one exhaustive match, no catch-all; `siyu_server` renders it the same way
//! in every service (internal errors logged and masked).

use siyu_server::{Described, ServiceError};
use tonic::Code;

use crate::AppError;

impl ServiceError for AppError {
    fn domain(&self) -> &'static str {
        "membership.siyu"
    }

    fn describe(&self) -> Described {
        use AppError as E;
        let failed = |reason: &'static str| Described::new(Code::FailedPrecondition, reason);
        let missing = |reason: &'static str| Described::new(Code::NotFound, reason);
        match self {
            E::InvalidInput(fields) => Described::invalid("INVALID_ARGUMENT", fields.clone()),
            // The page request as a whole: callers resend the list call without a token.
            E::BadPage(err) => Described::invalid(
                "INVALID_ARGUMENT",
                [(err.field().to_owned(), err.to_string())],
            ),
            E::InvalidBirthday { field } => Described::invalid(
                "INVALID_BIRTHDAY",
                [(
                    field.clone(),
                    "must be a real date YYYY-MM-DD, not in the future".to_owned(),
                )],
            ),
            E::InvalidCardNumber(why) => Described::invalid(
                "INVALID_CARD_NUMBER",
                [("card_number".to_owned(), why.clone())],
            ),
            E::UnknownFieldPath(path) => Described::invalid(
                "UNKNOWN_FIELD_PATH",
                [("update_mask".to_owned(), format!("unknown path {path}"))],
            ),
            E::CurrencyNotSupported { field } => Described::invalid(
                "CURRENCY_NOT_SUPPORTED",
                [(field.clone(), "must be CNY".to_owned())],
            ),
            E::OutOfScope(why) => {
                Described::new(Code::PermissionDenied, "PERMISSION_DENIED").message(why.clone())
            }
            E::FieldNotEditable(field) => {
                Described::new(Code::PermissionDenied, "FIELD_NOT_EDITABLE").meta("field", field)
            }
            E::MemberNotFound => missing("MEMBER_NOT_FOUND"),
            E::SegmentNotFound => missing("SEGMENT_NOT_FOUND"),
            E::EarningRuleNotFound => missing("EARNING_RULE_NOT_FOUND"),
            E::TopUpPlanNotFound => missing("TOP_UP_PLAN_NOT_FOUND"),
            E::TopUpNotFound => missing("TOP_UP_NOT_FOUND"),
            E::HoldNotFound => missing("HOLD_NOT_FOUND"),
            E::EarnNotFound => missing("EARN_NOT_FOUND"),
            E::CardNumberTaken => Described::new(Code::AlreadyExists, "CARD_NUMBER_TAKEN"),
            E::LedgerKeyConflict { key } => {
                Described::new(Code::AlreadyExists, "LEDGER_KEY_CONFLICT")
                    .meta("idempotency_key", key)
                    .message("the business key was used for a different request")
            }
            E::HoldMismatch => Described::new(Code::AlreadyExists, "HOLD_MISMATCH"),
            E::MemberFrozen => failed("MEMBER_FROZEN"),
            E::MemberClosed => failed("MEMBER_CLOSED"),
            E::MemberCodeExpired => failed("MEMBER_CODE_EXPIRED"),
            E::EarningRuleDisabled => failed("EARNING_RULE_DISABLED"),
            E::EarningCapReached => failed("EARNING_CAP_REACHED"),
            E::EarningRuleOverlap => failed("EARNING_RULE_OVERLAP"),
            E::CheckInDisabled => failed("CHECK_IN_DISABLED"),
            E::TransferToSelf => Described::invalid(
                "TRANSFER_TO_SELF",
                [(
                    "to_member_id".to_owned(),
                    "must be another member".to_owned(),
                )],
            ),
            E::PointsTransferDisabled => failed("POINTS_TRANSFER_DISABLED"),
            E::TierNotFound => missing("TIER_NOT_FOUND"),
            E::TierCodeTaken => Described::new(Code::AlreadyExists, "TIER_CODE_TAKEN"),
            E::TierThresholdConflict(why) => Described::invalid(
                "TIER_THRESHOLD_CONFLICT",
                [("tier.growth_threshold".to_owned(), why.clone())],
            ),
            E::PaidPlanNotFound => missing("PAID_PLAN_NOT_FOUND"),
            E::PaidPlanPriceMismatch { price } => {
                failed("PAID_PLAN_PRICE_MISMATCH").meta("price", price.to_string())
            }
            E::PaidPeriodNotFound => missing("PAID_PERIOD_NOT_FOUND"),
            E::PaidMembershipNotFound => missing("PAID_MEMBERSHIP_NOT_FOUND"),
            E::PaidOrderConflict => Described::new(Code::AlreadyExists, "PAID_ORDER_CONFLICT"),
            E::TierInUse => failed("TIER_IN_USE"),
            E::TierIsEntry => failed("TIER_IS_ENTRY"),
            E::GrowthInsufficient { available } => {
                failed("GROWTH_INSUFFICIENT").meta("available", available)
            }
            E::PointsInsufficient {
                available,
                requested,
            } => failed("POINTS_INSUFFICIENT")
                .meta("available", available)
                .meta("requested", requested),
            E::StoredValueInsufficient {
                available,
                requested,
            } => failed("STORED_VALUE_INSUFFICIENT")
                .meta("available", available)
                .meta("requested", requested),
            E::StoredValueDisabled => failed("STORED_VALUE_DISABLED"),
            E::HoldAlreadySettled => failed("HOLD_ALREADY_SETTLED"),
            E::HoldAlreadyReleased => failed("HOLD_ALREADY_RELEASED"),
            E::HoldAlreadyCaptured => failed("HOLD_ALREADY_CAPTURED"),
            E::HoldNotCaptured => failed("HOLD_NOT_CAPTURED"),
            E::RefundExceedsCaptured => failed("REFUND_EXCEEDS_CAPTURED"),
            E::TopUpAmountMismatch => failed("TOP_UP_AMOUNT_MISMATCH"),
            E::TopUpAlreadySpent { reversible_amount } => {
                failed("TOP_UP_ALREADY_SPENT").meta("reversible_amount", reversible_amount)
            }
            E::CouponTemplateNotFound => missing("COUPON_TEMPLATE_NOT_FOUND"),
            E::CouponPackNotFound => missing("COUPON_PACK_NOT_FOUND"),
            E::CouponNotFound => missing("COUPON_NOT_FOUND"),
            E::CouponGrantNotFound => missing("COUPON_GRANT_NOT_FOUND"),
            E::TemplateFieldLocked(field) => failed("TEMPLATE_FIELD_LOCKED").meta("field", field),
            E::QuotaBelowIssued { issued } => {
                failed("QUOTA_BELOW_ISSUED").meta("issued_count", issued)
            }
            E::TemplateNotDraft => failed("TEMPLATE_NOT_DRAFT"),
            E::TemplateNotPublished => failed("TEMPLATE_NOT_PUBLISHED"),
            E::TemplateExpired => failed("TEMPLATE_EXPIRED"),
            E::PackTriggerTaken => failed("PACK_TRIGGER_TAKEN"),
            E::CouponNotClaimable(why) => failed("COUPON_NOT_CLAIMABLE").meta("why", why),
            E::CouponLimitReached { limit } => failed("COUPON_LIMIT_REACHED").meta("limit", limit),
            E::CouponDailyLimitReached { limit } => {
                failed("COUPON_DAILY_LIMIT_REACHED").meta("limit", limit)
            }
            E::CouponQuotaExhausted => {
                Described::new(Code::ResourceExhausted, "COUPON_QUOTA_EXHAUSTED")
            }
            E::GrantKeyConflict { key } => {
                Described::new(Code::AlreadyExists, "GRANT_KEY_CONFLICT")
                    .meta("grant_key", key)
                    .message("the grant key was used for a different grant")
            }
            E::CouponUnavailable(id) => failed("COUPON_UNAVAILABLE").meta("coupon_id", id),
            E::CouponNotApplicable { coupon, reason } => failed("COUPON_NOT_APPLICABLE")
                .meta("coupon_id", coupon)
                .meta("reason", reason),
            E::CouponExpired(id) => failed("COUPON_EXPIRED").meta("coupon_id", id),
            E::LockMismatch => Described::new(Code::AlreadyExists, "LOCK_MISMATCH"),
            E::CouponsAlreadyReleased => failed("COUPONS_ALREADY_RELEASED"),
            E::CouponsAlreadyUsed => failed("COUPONS_ALREADY_USED"),
            E::CouponsNotLocked => failed("COUPONS_NOT_LOCKED"),
            E::CouponNotInStore => failed("COUPON_NOT_IN_STORE"),
            E::RedemptionCodeExpired => failed("REDEMPTION_CODE_EXPIRED"),
            E::RedemptionNotReversible => failed("REDEMPTION_NOT_REVERSIBLE"),
            E::InvalidSegmentExpression { field, why } => {
                Described::invalid("INVALID_SEGMENT_EXPRESSION", [(field.clone(), why.clone())])
            }
            E::TagNotFound => missing("TAG_NOT_FOUND"),
            E::TagNameTaken => Described::new(Code::AlreadyExists, "TAG_NAME_TAKEN"),
            E::TagNotManual => failed("TAG_NOT_MANUAL"),
            E::TagInUse { segment_id } => failed("TAG_IN_USE").meta("segment_id", segment_id),
            E::SegmentInUse => failed("SEGMENT_IN_USE"),
            E::SnapshotNotFound => missing("SNAPSHOT_NOT_FOUND"),
            E::SnapshotExpired => failed("SNAPSHOT_EXPIRED"),
            E::SegmentEvaluationTimeout => {
                Described::new(Code::DeadlineExceeded, "SEGMENT_EVALUATION_TIMEOUT")
            }
            E::GuideInvalid(guide) => failed("GUIDE_INVALID").meta("guide_id", guide),
            E::NoGuideBound => failed("NO_GUIDE_BOUND"),
            E::ReassignmentTooLarge { members } => {
                failed("REASSIGNMENT_TOO_LARGE").meta("members", members)
            }
            E::InviteCodeNotFound => missing("INVITE_CODE_NOT_FOUND"),
            E::SkuRateNotFound => missing("SKU_RATE_NOT_FOUND"),
            E::WithdrawalNotFound => missing("WITHDRAWAL_NOT_FOUND"),
            E::WithdrawalBelowMinimum { minimum } => {
                failed("WITHDRAWAL_BELOW_MINIMUM").meta("minimum", minimum)
            }
            E::CommissionInsufficient {
                available,
                requested,
            } => failed("COMMISSION_INSUFFICIENT")
                .meta("available", available)
                .meta("requested", requested),
            E::WithdrawalPending => failed("WITHDRAWAL_PENDING"),
            E::DistributorDisabled => failed("DISTRIBUTOR_DISABLED"),
            E::WithdrawalNotPending => failed("WITHDRAWAL_NOT_PENDING"),
            E::WithdrawalNotApproved => failed("WITHDRAWAL_NOT_APPROVED"),
            E::Store(err) => Described::store(err),
            E::Internal(_) => Described::new(Code::Internal, "INTERNAL"),
        }
    }
}

siyu_server::status_from!(AppError);

#[cfg(test)]
mod tests {
    use tonic::Status;
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn field_errors_carry_error_info_and_the_field() {
        let status = Status::from(AppError::invalid("points", "must be at least 1"));
        assert_eq!(status.code(), Code::InvalidArgument);
        let info = status.get_details_error_info().unwrap();
        assert_eq!(
            (info.reason.as_str(), info.domain.as_str()),
            ("INVALID_ARGUMENT", "membership.siyu")
        );
        let fields = status.get_details_bad_request().unwrap().field_violations;
        assert_eq!(fields[0].field, "points");
    }

    #[test]
    fn short_points_name_what_is_available() {
        let status = Status::from(AppError::PointsInsufficient {
            available: 3,
            requested: 5,
        });
        assert_eq!(status.code(), Code::FailedPrecondition);
        let info = status.get_details_error_info().unwrap();
        assert_eq!(info.reason, "POINTS_INSUFFICIENT");
        assert_eq!(info.metadata["available"], "3");
        assert_eq!(info.metadata["requested"], "5");
    }

    #[test]
    fn a_spent_top_up_says_what_could_be_reversed() {
        let status = Status::from(AppError::TopUpAlreadySpent {
            reversible_amount: 120,
        });
        let info = status.get_details_error_info().unwrap();
        assert_eq!(info.reason, "TOP_UP_ALREADY_SPENT");
        assert_eq!(info.metadata["reversible_amount"], "120");
    }
}
