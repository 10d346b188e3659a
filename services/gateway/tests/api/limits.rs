//! Rate limits (429 + Retry-After) and load shedding (503).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use siyu_gateway::settings::RateSettings;

use crate::support::{Backend, TestApp, problem, unique_key};

#[tokio::test]
async fn the_per_ip_limit_answers_429_with_retry_after() {
    let app = TestApp::spawn_with(Backend::Redis, |limits| {
        limits.per_ip = RateSettings::new(1, 60, 3);
    })
    .await;
    for _ in 0..3 {
        assert_eq!(app.get("/.well-known/jwks.json", None).await.status(), 200);
    }
    let response = app.get("/.well-known/jwks.json", None).await;
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let (status, body) = problem(response).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (429, Some("RATE_LIMITED"))
    );
}

#[tokio::test]
async fn the_per_user_and_per_partner_limits_count_per_caller() {
    let app = TestApp::spawn_with(Backend::Memory, |limits| {
        limits.per_user = RateSettings::new(1, 60, 2);
        limits.per_partner = RateSettings::new(1, 60, 1);
    })
    .await;
    let token = app.consumer_token();
    for _ in 0..2 {
        assert_eq!(
            app.get("/api/v1/sessions", Some(&token)).await.status(),
            200
        );
    }
    let (status, _) = problem(app.get("/api/v1/sessions", Some(&token)).await).await;
    assert_eq!(status, 429);
    // Another user is not affected.
    let other = app.sign(&crate::support::claims(
        siyu_core::PrincipalKind::Consumer,
        "consumer-2",
    ));
    assert_eq!(
        app.get("/api/v1/sessions", Some(&other)).await.status(),
        200
    );

    let partner = app.partner_token(&["catalog.read"]);
    assert_eq!(
        app.get("/open/v1/stores", Some(&partner)).await.status(),
        200
    );
    let (status, _) = problem(app.get("/open/v1/stores", Some(&partner)).await).await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn requests_beyond_the_concurrency_limit_are_shed() {
    let app =
        Arc::new(TestApp::spawn_with(Backend::Memory, |limits| limits.max_concurrency = 1).await);
    let token = app.consumer_token();
    let slow = {
        let (app, token) = (Arc::clone(&app), token.clone());
        tokio::spawn(async move {
            app.post(
                "/api/v1/sessions/slow/revoke",
                Some(&token),
                Some(&unique_key()),
                "{}",
            )
            .await
            .status()
        })
    };
    let seen = Arc::clone(&app.identity.seen);
    siyu_testkit::wait_until(Duration::from_secs(5), || {
        let seen = Arc::clone(&seen);
        async move { seen.revoke_calls.load(Ordering::SeqCst) == 1 }
    })
    .await
    .unwrap();
    let (status, body) = problem(app.get("/api/v1/sessions", Some(&token)).await).await;
    assert_eq!((status, body["reason"].as_str()), (503, Some("OVERLOADED")));
    assert_eq!(slow.await.unwrap(), 504);
}

/// Two replicas admitting in batches from one Redis never admit more than the burst between
/// them, and every admission they fetched is spent while requests keep coming.
#[tokio::test]
async fn batched_admissions_across_replicas_never_exceed_the_limit() {
    use siyu_gateway::guard::rate_lease::RateLeases;
    use siyu_gateway::guard::rate_limit::{Limiter, check_ip};
    use siyu_gateway::settings::LimitSettings;

    let cache = siyu_testkit::test_cache().await.unwrap();
    let mut limits = LimitSettings::default();
    limits.per_ip = RateSettings::new(1, 3600, 64);
    let batch = RateLeases::batch(limits.per_ip.limit());
    assert!(batch > 1, "the limit must be batched for this test");
    let replicas = [RateLeases::default(), RateLeases::default()];
    let ip = "203.0.113.9".parse().unwrap();
    let calls = (0..200).map(|i| {
        let limiter = Limiter {
            cache: &cache,
            limits: &limits,
            leases: &replicas[i % 2],
        };
        async move { check_ip(limiter, ip).await.is_ok() }
    });
    let admitted = futures::future::join_all(calls)
        .await
        .into_iter()
        .filter(|ok| *ok)
        .count();
    assert!(admitted <= 64, "admitted {admitted} of a burst of 64");
    // 200 requests for 64 admissions: a replica can only be left holding admissions when it
    // ran out of requests, which 100 each against 64 in all does not allow.
    assert_eq!(admitted, 64);
}
