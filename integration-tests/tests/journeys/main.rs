//! Cross-service journeys through the gateway's REST API over HTTP, against the real services
//! (started in one process by `siyu_platform::Suite`) on Postgres, Redis and NATS.
//!
//! Journeys that need an RPC a service does not implement yet are `#[ignore]`d with the reason,
//! rather than passing without testing anything: `cargo nextest run -p siyu-integration-tests
//! --run-ignored all` shows where the services stand.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::field_reassign_with_default,
    reason = "fixtures and helpers of a test binary: a panic is a failed test with its location"
)]

mod access;
mod bad_input;
mod bad_input_membership;
mod catalog;
mod consumer;
mod content_isolation;
mod content_journey;
mod content_share;
mod hostile_text;
mod identity_ids;
mod isolation;
mod isolation_identity;
mod isolation_membership;
mod isolation_table;
mod member_fixtures;
mod membership;
mod membership_coupons;
mod membership_partner;
mod membership_points;
mod membership_referral;
mod membership_staff;
mod order_events;
mod orders_after_sale_input;
mod orders_cart;
mod orders_checkout;
mod orders_crash;
mod orders_fulfilment;
mod orders_identity_events;
mod orders_isolation;
mod orders_late_payment;
mod orders_payment;
mod orders_plans;
mod orders_reconciliation;
mod orders_refund;
mod orders_staff_cancel;
mod partner;
mod staff;
mod support;
