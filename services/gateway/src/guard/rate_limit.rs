//! Rate limits at the edge (GCRA in the cache): per client IP on every route, then per
//! authenticated user or partner client.
//!
//! A cache outage fails open (logged): rate limiting protects the services, it must not take
//! the whole API down with Redis. Services keep their own business limits (OTP sends).
//! Limits with a large burst are admitted in small batches held locally (`rate_lease`), so a
//! busy key costs one Redis round trip per batch instead of one per request.

use std::net::IpAddr;
use std::time::Instant;

use http::StatusCode;
use siyu_core::PrincipalKind;
use siyu_store::{Cache, RateLimit};

use super::auth::Caller;
use super::rate_lease::RateLeases;
use crate::problem::Problem;
use crate::settings::LimitSettings;

/// The shared limiter, the limits and the locally held admissions.
#[derive(Debug, Clone, Copy)]
pub struct Limiter<'a> {
    /// The shared limiter's store.
    pub cache: &'a Cache,
    /// The edge limits.
    pub limits: &'a LimitSettings,
    /// Admissions held by this replica.
    pub leases: &'a RateLeases,
}

/// Checks the per-IP limit.
pub async fn check_ip(limiter: Limiter<'_>, ip: IpAddr) -> Result<(), Problem> {
    let limit = limiter.limits.per_ip.limit();
    check(limiter, &format!("rl:ip:{ip}"), limit).await
}

/// Checks the per-user or per-partner-client limit of an authenticated caller.
pub async fn check_caller(limiter: Limiter<'_>, caller: &Caller) -> Result<(), Problem> {
    let limits = limiter.limits;
    let tenant = &caller.tenant;
    match (caller.kind, &caller.client_id) {
        (PrincipalKind::Partner, Some(client)) => {
            let key = format!("rl:{{{tenant}}}:client:{client}");
            check(limiter, &key, limits.partner_limit(client)).await
        }
        (PrincipalKind::Consumer | PrincipalKind::Staff, _) => {
            let key = format!("rl:{{{tenant}}}:user:{}", caller.subject);
            check(limiter, &key, limits.per_user.limit()).await
        }
        // Internal services are not limited at the edge; they should not come through it.
        _ => Ok(()),
    }
}

async fn check(limiter: Limiter<'_>, key: &str, limit: RateLimit) -> Result<(), Problem> {
    let batch = RateLeases::batch(limit);
    if batch > 1 && limiter.leases.take(key, Instant::now()) {
        return Ok(());
    }
    match limiter.cache.rate_limit_many(key, limit, batch).await {
        Ok(decision) if decision.allowed => {
            let extra = decision.granted.saturating_sub(1);
            limiter.leases.keep(key, extra, Instant::now());
            Ok(())
        }
        // Concurrent misses may have left admissions here while this one was refused.
        Ok(_) if batch > 1 && limiter.leases.take(key, Instant::now()) => Ok(()),
        Ok(decision) => {
            let seconds = decision.retry_after.as_secs_f64().ceil() as u64;
            Err(Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                "too many requests; retry later",
            )
            .with_retry_after(seconds))
        }
        Err(err) => {
            tracing::warn!(error = %err, "rate limiter unavailable; letting the request through");
            Ok(())
        }
    }
}
