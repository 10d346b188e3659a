//! Following key rotation: refetch on unknown kid, single-flight, background refresh.

use std::sync::Arc;

use siyu_auth::{AuthError, JwksVerifier};

use crate::support::{self, JwksServer, claims};

fn eager_verifier(server: &JwksServer) -> JwksVerifier {
    let mut settings = support::settings(&server.url);
    // No minimum interval: whatever limits fetches below is the single-flight alone.
    settings.min_refetch_secs = 0;
    JwksVerifier::from_settings(settings, support::clock()).unwrap()
}

#[tokio::test]
async fn a_token_from_a_newly_published_key_is_accepted_after_refetch() {
    let old = support::ed_key("2025-01", 1);
    let server = JwksServer::start(&[&old]).await;
    let verifier = eager_verifier(&server);
    verifier
        .verify(&old.sign(&claims()).unwrap())
        .await
        .unwrap();

    let new = support::ed_key("2025-02", 2);
    server.publish(&[&new, &old]);
    verifier
        .verify(&new.sign(&claims()).unwrap())
        .await
        .unwrap();
    assert_eq!(server.hits(), 2);
    // The old key stays usable while identity still publishes it.
    verifier
        .verify(&old.sign(&claims()).unwrap())
        .await
        .unwrap();
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn concurrent_lookups_of_a_new_kid_fetch_once() {
    let old = support::ed_key("2025-01", 1);
    let server = JwksServer::start(&[&old]).await;
    let verifier = Arc::new(eager_verifier(&server));
    verifier
        .verify(&old.sign(&claims()).unwrap())
        .await
        .unwrap();

    let new = support::ed_key("2025-02", 2);
    server.publish(&[&new]);
    let token = new.sign(&claims()).unwrap();
    server.hold().await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (verifier, token) = (Arc::clone(&verifier), token.clone());
        tasks.spawn(async move { verifier.verify(&token).await });
    }
    server.wait_for_hits(2).await;
    server.release();
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    assert_eq!(
        server.hits(),
        2,
        "32 concurrent lookups of one new kid made one fetch"
    );
}

#[tokio::test]
async fn concurrent_lookups_of_a_kid_that_never_appears_fetch_once() {
    let key = support::ed_key("k1", 1);
    let server = JwksServer::start(&[&key]).await;
    let verifier = Arc::new(support::verifier(&server));
    let token = support::ed_key("forged", 9).sign(&claims()).unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (verifier, token) = (Arc::clone(&verifier), token.clone());
        tasks.spawn(async move { verifier.verify(&token).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(
            result.unwrap().unwrap_err(),
            AuthError::UnknownKid("forged".into())
        );
    }
    assert_eq!(
        server.hits(),
        1,
        "forged kids cannot make the verifier hammer identity"
    );
}

#[tokio::test]
async fn the_background_refresh_picks_up_new_keys() {
    let old = support::ed_key("2025-01", 1);
    let server = JwksServer::start(&[&old]).await;
    let mut settings = support::settings(&server.url);
    settings.refresh_secs = 1;
    let verifier = Arc::new(JwksVerifier::from_settings(settings, support::clock()).unwrap());
    let task = verifier.spawn_refresh();
    server.wait_for_hits(1).await;

    let new = support::ed_key("2025-02", 2);
    server.publish(&[&new]);
    server.wait_for_hits(2).await;
    verifier
        .verify(&new.sign(&claims()).unwrap())
        .await
        .unwrap();
    assert_eq!(
        server.hits(),
        2,
        "the key came from the periodic refresh, not a refetch"
    );
    drop(task);
}
