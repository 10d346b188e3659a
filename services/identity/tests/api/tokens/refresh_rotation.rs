//! The one-statement refresh rotation (Postgres): it rotates only when everything a rotation
//! needs holds, and otherwise changes nothing, leaving the decision to the diagnosing path.

use siyu_core::clock::{Clock as _, SystemClock};
use siyu_identity::crypto::sha256_hex;
use siyu_identity::repo::tokens::refresh_rotation as rotation;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason, count};

const LIVE: &str = "SELECT COUNT(*) AS n FROM identity_refresh_tokens WHERE session_id = $1 \
                    AND spent_at IS NULL";

#[tokio::test]
async fn rotates_a_live_token_once_and_nothing_else() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("fast").await;
    let pair = h.wechat_login(&app_id, "o_fast").await.tokens.unwrap();
    let old = sha256_hex(&pair.refresh_token);
    let now = SystemClock.now();
    let until = now + chrono::Duration::days(30);
    let db = &h.db.db;
    assert!(rotation::supported(db));

    let rotated = rotation::rotate(db, &old, &sha256_hex("next-1"), now, until)
        .await
        .unwrap()
        .expect("a live token rotates");
    assert_eq!(rotated.session_id, pair.session_id);
    assert_eq!(rotated.principal_kind, "consumer");
    assert_eq!(count(&h, LIVE, &pair.session_id).await, 1);

    // The spent token, an unknown token: no row, and the live token count is unchanged.
    for hash in [old.clone(), sha256_hex("never-issued")] {
        let again = rotation::rotate(db, &hash, &sha256_hex("next-2"), now, until)
            .await
            .unwrap();
        assert!(again.is_none());
    }
    assert_eq!(count(&h, LIVE, &pair.session_id).await, 1);

    // Presenting the spent token through the API is reuse (decided on the slow path).
    let reuse = h
        .tokens()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: pair.refresh_token.clone(),
        })
        .await
        .unwrap_err();
    assert_reason(&reuse, Code::Unauthenticated, "REFRESH_TOKEN_REUSED");
}

#[tokio::test]
async fn does_not_rotate_for_an_inactive_subject_or_tenant_or_a_past_expiry() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("fastno").await;
    let pair = h.wechat_login(&app_id, "o_fastno").await.tokens.unwrap();
    let old = sha256_hex(&pair.refresh_token);
    let db = &h.db.db;

    // A clock past the token's expiry: not rotated.
    let late = SystemClock.now() + chrono::Duration::days(400);
    let none = rotation::rotate(db, &old, &sha256_hex("n1"), late, late)
        .await
        .unwrap();
    assert!(none.is_none());

    // A user who is no longer ACTIVE: not rotated, and the token stays unspent.
    use sea_orm::ConnectionTrait as _;
    db.execute_unprepared(&format!(
        "UPDATE identity_users SET status = 'BLOCKED' WHERE id = (SELECT subject_id FROM \
         identity_sessions WHERE id = '{}')",
        pair.session_id
    ))
    .await
    .unwrap();
    let now = SystemClock.now();
    let none = rotation::rotate(db, &old, &sha256_hex("n2"), now, now)
        .await
        .unwrap();
    assert!(none.is_none());
    assert_eq!(count(&h, LIVE, &pair.session_id).await, 1);

    // An ACTIVE user in a tenant that is not: not rotated either.
    db.execute_unprepared(&format!(
        "UPDATE identity_users SET status = 'ACTIVE' WHERE id = (SELECT subject_id FROM \
         identity_sessions WHERE id = '{0}'); UPDATE identity_tenants SET status = 'SUSPENDED' \
         WHERE id = (SELECT tenant_id FROM identity_sessions WHERE id = '{0}')",
        pair.session_id
    ))
    .await
    .unwrap();
    let none = rotation::rotate(db, &old, &sha256_hex("n3"), now, now)
        .await
        .unwrap();
    assert!(none.is_none());
    assert_eq!(count(&h, LIVE, &pair.session_id).await, 1);
}

/// A refresh racing a logout of its session: neither fails for lack of a lock order (no
/// deadlock surfaces as INTERNAL), the session ends revoked, and a pair the refresh may have
/// won is dead with it.
#[tokio::test]
async fn a_refresh_racing_a_logout_leaves_the_session_revoked() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("race").await;
    for round in 0..8 {
        let pair = h
            .wechat_login(&app_id, &format!("o_race_{round}"))
            .await
            .tokens
            .unwrap();
        let mut tokens = h.tokens();
        let mut logout_client = h.tokens();
        let refresh = tokens.refresh_session(pb::RefreshSessionRequest {
            refresh_token: pair.refresh_token.clone(),
        });
        let logout = logout_client.logout(crate::helpers::authed(
            pb::LogoutRequest::default(),
            &pair.access_token,
        ));
        let (refreshed, logged_out) = tokio::join!(refresh, logout);
        logged_out.unwrap();
        match refreshed {
            Ok(reply) => {
                let next = reply.into_inner().tokens.unwrap();
                let dead = h
                    .tokens()
                    .refresh_session(pb::RefreshSessionRequest {
                        refresh_token: next.refresh_token,
                    })
                    .await
                    .unwrap_err();
                assert_reason(&dead, Code::Unauthenticated, "SESSION_REVOKED");
            }
            Err(status) => assert_eq!(status.code(), Code::Unauthenticated, "{status:?}"),
        }
        let revoked = count(
            &h,
            "SELECT COUNT(*) AS n FROM identity_sessions WHERE id = $1 AND revoked_at IS NOT NULL",
            &pair.session_id,
        )
        .await;
        assert_eq!(revoked, 1, "round {round}");
    }
}
