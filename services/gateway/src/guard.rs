//! What the gateway checks before a request reaches a service: the token and the route's
//! access policy, rate limits, and `Idempotency-Key`.

pub mod auth;
pub mod idempotency;
pub mod rate_lease;
pub mod rate_limit;
