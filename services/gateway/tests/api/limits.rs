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
