//! `Idempotency-Key`: replay, conflicts, and one effect under concurrency — on Redis and memory.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::support::{Backend, TestApp, problem, unique_key};

const PATH: &str = "/api/v1/auth/logout-everywhere";

async fn replay_returns_the_first_reply(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.consumer_token();
    let key = unique_key();
    let first = app.post(PATH, Some(&token), Some(&key), "{}").await;
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_body = first.text().await.unwrap();

    let again = app.post(PATH, Some(&token), Some(&key), "{}").await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.text().await.unwrap(), first_body);
    assert_eq!(
        app.identity
            .seen
            .logout_everywhere_calls
            .load(Ordering::SeqCst),
        1
    );

    let (status, body) = problem(
        app.post(PATH, Some(&token), Some(&key), r#"{"keepCurrent":true}"#)
            .await,
    )
    .await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (409, Some("IDEMPOTENCY_KEY_REUSED"))
    );

    // Another caller's identical key is another key.
    let other = app.staff_token(&["guide"]);
    let response = app
        .post(
            "/admin/v1/auth/logout-everywhere",
            Some(&other),
            Some(&key),
            "{}",
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.identity
            .seen
            .logout_everywhere_calls
            .load(Ordering::SeqCst),
        2
    );

    let (status, body) = problem(app.post(PATH, Some(&token), None, "{}").await).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (400, Some("IDEMPOTENCY_KEY_MISSING"))
    );
    let (status, body) = problem(app.post(PATH, Some(&token), Some("has space"), "{}").await).await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (400, Some("IDEMPOTENCY_KEY_INVALID"))
    );
}

#[tokio::test]
async fn replay_returns_the_first_reply_on_redis() {
    replay_returns_the_first_reply(Backend::Redis).await;
}

#[tokio::test]
async fn replay_returns_the_first_reply_on_memory() {
    replay_returns_the_first_reply(Backend::Memory).await;
}

#[tokio::test]
async fn a_client_error_is_replayed_too() {
    let app = TestApp::spawn(Backend::Redis).await;
    let token = app.consumer_token();
    let key = unique_key();
    let path = "/api/v1/sessions/err-notfound/revoke";
    let first = app.post(path, Some(&token), Some(&key), "{}").await;
    assert_eq!(first.status(), 404);
    let again = app.post(path, Some(&token), Some(&key), "{}").await;
    assert_eq!(again.status(), 404);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(app.identity.seen.revoke_calls.load(Ordering::SeqCst), 1);
}

async fn concurrent_duplicates_have_one_effect(backend: Backend) {
    // A generous deadline: under a loaded machine a call past the default 1 s test deadline
    // answers 504, which is (rightly) not stored, so a waiting duplicate would call again —
    // the upstream's own idempotency covers that case, not the gateway's.
    let app =
        Arc::new(TestApp::spawn_with(backend, |limits| limits.request_timeout_ms = 30_000).await);
    let token = app.consumer_token();
    let key = unique_key();
    let calls = (0..16).map(|_| {
        let (app, token, key) = (Arc::clone(&app), token.clone(), key.clone());
        tokio::spawn(async move {
            let response = app.post(PATH, Some(&token), Some(&key), "{}").await;
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        })
    });
    let results = futures::future::join_all(calls).await;
    assert_eq!(
        app.identity
            .seen
            .logout_everywhere_calls
            .load(Ordering::SeqCst),
        1,
        "the service saw exactly one call"
    );
    let ok: Vec<&String> = results
        .iter()
        .map(|r| r.as_ref().unwrap())
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body)
        .collect();
    assert!(!ok.is_empty());
    assert!(
        ok.iter().all(|body| *body == ok[0]),
        "every success is the same reply"
    );
    for (status, body) in results.iter().map(|r| r.as_ref().unwrap()) {
        assert!(
            *status == 200 || (*status == 409 && body.contains("IDEMPOTENCY_IN_PROGRESS")),
            "{status} {body}"
        );
    }
}

#[tokio::test]
async fn concurrent_duplicates_have_one_effect_on_redis() {
    concurrent_duplicates_have_one_effect(Backend::Redis).await;
}

#[tokio::test]
async fn concurrent_duplicates_have_one_effect_on_memory() {
    concurrent_duplicates_have_one_effect(Backend::Memory).await;
}
