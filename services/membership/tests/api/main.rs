//! Integration tests of siyu-membership through its gRPC contract.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "tests"
)]

mod bad_input;
mod bad_input_ledger;
mod bus_events;
mod check_ins;
mod commissions;
mod concurrency;
mod coupon_expiry;
mod coupon_packs;
mod coupon_segment_grants;
mod coupon_targeting;
mod coupons;
mod coupons_bad_input;
mod coupons_checkout;
mod distribution;
mod distribution_bad_input;
mod events_without_effect;
mod expiring;
mod guide_policy;
mod guide_succession;
mod guides;
mod harness;
mod holds;
mod hostile_bytes;
mod identity_events;
mod isolation;
mod ledger;
mod member_list;
mod members;
mod merge_belongings;
mod order_events;
mod order_refunds;
mod order_tags;
mod paid_benefits;
mod paid_membership;
mod points_expiry;
mod property;
mod segments;
mod segments_bad_input;
mod segments_concurrency;
mod share_links;
mod stored_value;
mod tenant_tier_seed;
mod tier_evaluation;
mod tiers;
mod transfers;
