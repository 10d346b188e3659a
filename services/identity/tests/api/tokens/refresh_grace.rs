//! The lost-response grace of RefreshSession: a retry with the same refresh token within 10 s
//! answers the very pair the first call issued; later it is reuse and revokes the family; any
//! number of concurrent presenters share one pair.

use std::sync::Arc;

use siyu_core::ManualClock;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason, authed, count};

fn refresh(token: &str) -> pb::RefreshSessionRequest {
    pb::RefreshSessionRequest {
        refresh_token: token.to_owned(),
    }
}

const LIVE: &str = "SELECT COUNT(*) AS n FROM identity_refresh_tokens WHERE session_id = $1 \
                    AND spent_at IS NULL";

#[tokio::test]
async fn a_retry_within_ten_seconds_answers_the_same_pair() {
    let clock = Arc::new(ManualClock::new(siyu_core::clock::system().now()));
    let h = Harness::start_with_clock(Arc::clone(&clock)).await;
    let (_, app_id, _) = h.tenant_with_app("grace1").await;
    let first = h.wechat_login(&app_id, "o_grace1").await.tokens.unwrap();
    let answered = h
        .tokens()
        .refresh_session(refresh(&first.refresh_token))
        .await
        .unwrap()
        .into_inner()
        .tokens
        .unwrap();
    // The reply was lost; the client retries 9 s later with the same token.
    clock.advance(chrono::Duration::seconds(9));
    let retried = h
        .tokens()
        .refresh_session(refresh(&first.refresh_token))
        .await
        .unwrap()
        .into_inner()
        .tokens
        .unwrap();
    assert_eq!(retried, answered, "the same pair, not a new one");
    assert_eq!(
        count(&h, LIVE, &first.session_id).await,
        1,
        "nothing new minted"
    );

    // Both answers are one session: its access token works, its refresh token rotates.
    let sessions = h
        .tokens()
        .list_sessions(authed(
            pb::ListSessionsRequest::default(),
            &retried.access_token,
        ))
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert_eq!(sessions.len(), 1);
    assert!(sessions[0].current);
    let next = h
        .tokens()
        .refresh_session(refresh(&answered.refresh_token))
        .await
        .unwrap()
        .into_inner()
        .tokens
        .unwrap();
    assert_eq!(next.session_id, first.session_id);
    // The first token's pair has been used since: its reply was not lost, so presenting the
    // first token again — still inside its grace — is reuse.
    let reuse = h
        .tokens()
        .refresh_session(refresh(&first.refresh_token))
        .await
        .unwrap_err();
    assert_reason(&reuse, Code::Unauthenticated, "REFRESH_TOKEN_REUSED");
}

#[tokio::test]
async fn a_retry_after_the_grace_is_reuse_and_revokes_the_family() {
    let clock = Arc::new(ManualClock::new(siyu_core::clock::system().now()));
    let h = Harness::start_with_clock(Arc::clone(&clock)).await;
    let (_, app_id, _) = h.tenant_with_app("grace2").await;
    let first = h.wechat_login(&app_id, "o_grace2").await.tokens.unwrap();
    let second = h
        .tokens()
        .refresh_session(refresh(&first.refresh_token))
        .await
        .unwrap()
        .into_inner()
        .tokens
        .unwrap();
    clock.advance(chrono::Duration::seconds(11));
    let reuse = h
        .tokens()
        .refresh_session(refresh(&first.refresh_token))
        .await
        .unwrap_err();
    assert_reason(&reuse, Code::Unauthenticated, "REFRESH_TOKEN_REUSED");
    let dead = h
        .tokens()
        .refresh_session(refresh(&second.refresh_token))
        .await
        .unwrap_err();
    assert_reason(&dead, Code::Unauthenticated, "SESSION_REVOKED");
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_sessions WHERE id = $1 AND revoked_at IS NOT NULL",
            &first.session_id,
        )
        .await,
        1
    );
    assert_eq!(count(&h, LIVE, &first.session_id).await, 0);
}

#[tokio::test]
async fn sixteen_concurrent_refreshes_of_one_token_share_one_pair() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("grace3").await;
    let tokens = h.wechat_login(&app_id, "o_grace3").await.tokens.unwrap();
    let calls = (0..16).map(|_| {
        let mut client = h.tokens();
        let request = refresh(&tokens.refresh_token);
        async move { client.refresh_session(request).await }
    });
    let results = futures::future::join_all(calls).await;
    let pairs: Vec<pb::TokenPair> = results
        .into_iter()
        .map(|r| {
            r.expect("every presenter gets the pair")
                .into_inner()
                .tokens
                .unwrap()
        })
        .collect();
    assert!(pairs.iter().all(|p| *p == pairs[0]), "exactly one new pair");
    // One rotation, the family alive, the one pair usable.
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_refresh_tokens WHERE session_id = $1",
            &tokens.session_id,
        )
        .await,
        2
    );
    assert_eq!(count(&h, LIVE, &tokens.session_id).await, 1);
    h.tokens()
        .refresh_session(refresh(&pairs[0].refresh_token))
        .await
        .unwrap();
}

#[tokio::test]
async fn kept_pairs_rest_sealed_and_are_forgotten_after_the_grace() {
    let clock = Arc::new(ManualClock::new(siyu_core::clock::system().now()));
    let h = Harness::start_with_clock(Arc::clone(&clock)).await;
    let (_, app_id, _) = h.tenant_with_app("grace4").await;
    let first = h.wechat_login(&app_id, "o_grace4").await.tokens.unwrap();
    let second = h
        .tokens()
        .refresh_session(refresh(&first.refresh_token))
        .await
        .unwrap()
        .into_inner()
        .tokens
        .unwrap();
    use sea_orm::ConnectionTrait as _;
    let kept: Vec<u8> =
        h.db.db
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT successor_sealed FROM identity_refresh_tokens WHERE token_hash = $1",
                [siyu_identity::crypto::sha256_hex(&first.refresh_token).into()],
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "successor_sealed")
            .unwrap();
    let clear = second.refresh_token.as_bytes();
    assert!(
        !kept.windows(clear.len()).any(|w| w == clear),
        "the kept pair is sealed, never in clear"
    );
    let kept_count = "SELECT COUNT(*) AS n FROM identity_refresh_tokens WHERE session_id = $1 \
                      AND successor_sealed IS NOT NULL";
    assert_eq!(count(&h, kept_count, &first.session_id).await, 1);
    clock.advance(chrono::Duration::seconds(11));
    h.app.app().forget_spent_successors().await.unwrap();
    assert_eq!(count(&h, kept_count, &first.session_id).await, 0);
}
