//! Rate limits at the edge (GCRA in the cache): per client IP on every route, then per
//! authenticated user or partner client.
//!
//! A cache outage fails open (logged): rate limiting protects the services, it must not take
//! the whole API down with Redis. Services keep their own business limits (OTP sends).

use std::net::IpAddr;

use http::StatusCode;
use siyu_core::PrincipalKind;
use siyu_store::{Cache, RateLimit};

use super::auth::Caller;
use crate::problem::Problem;
use crate::settings::LimitSettings;

/// Checks the per-IP limit.
pub async fn check_ip(cache: &Cache, limits: &LimitSettings, ip: IpAddr) -> Result<(), Problem> {
    check(cache, &format!("rl:ip:{ip}"), limits.per_ip.limit()).await
}

/// Checks the per-user or per-partner-client limit of an authenticated caller.
pub async fn check_caller(
    cache: &Cache,
    limits: &LimitSettings,
    caller: &Caller,
) -> Result<(), Problem> {
    let tenant = &caller.tenant;
    match (caller.kind, &caller.client_id) {
        (PrincipalKind::Partner, Some(client)) => {
            let key = format!("rl:{{{tenant}}}:client:{client}");
            check(cache, &key, limits.partner_limit(client)).await
        }
        (PrincipalKind::Consumer | PrincipalKind::Staff, _) => {
            let key = format!("rl:{{{tenant}}}:user:{}", caller.subject);
            check(cache, &key, limits.per_user.limit()).await
        }
        // Internal services are not limited at the edge; they should not come through it.
        _ => Ok(()),
    }
}

async fn check(cache: &Cache, key: &str, limit: RateLimit) -> Result<(), Problem> {
    match cache.rate_limit(key, limit).await {
        Ok(decision) if decision.allowed => Ok(()),
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
