//! Refresh rotation, reuse detection, logout, JWKS, bad tokens (the lost-response grace and
//! concurrent presenters: `refresh_grace.rs`).

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use siyu_core::ManualClock;
use siyu_proto::identity::v1 as pb;
use tonic::Code;

use crate::helpers::{Harness, assert_reason, authed};

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    // Reuse is a spent token presented after its 10 s lost-response grace.
    let clock = Arc::new(ManualClock::new(siyu_core::clock::system().now()));
    let h = Harness::start_with_clock(Arc::clone(&clock)).await;
    let (_, app_id, _) = h.tenant_with_app("rot").await;
    let first = h.wechat_login(&app_id, "o_rot").await.tokens.unwrap();
    let second = h
        .tokens()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: first.refresh_token.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .tokens
        .unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(second.session_id, first.session_id);
    clock.advance(chrono::Duration::seconds(11));
    let reuse = h
        .tokens()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: first.refresh_token,
        })
        .await
        .unwrap_err();
    assert_reason(&reuse, Code::Unauthenticated, "REFRESH_TOKEN_REUSED");
    let dead = h
        .tokens()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: second.refresh_token,
        })
        .await
        .unwrap_err();
    assert_reason(&dead, Code::Unauthenticated, "SESSION_REVOKED");
    // The family's access token stops working at identity at once.
    let revoked = h
        .tokens()
        .list_sessions(authed(
            pb::ListSessionsRequest::default(),
            &second.access_token,
        ))
        .await
        .unwrap_err();
    assert_reason(&revoked, Code::Unauthenticated, "TOKEN_REVOKED");
    let unknown = h
        .tokens()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: "nope".into(),
        })
        .await
        .unwrap_err();
    assert_reason(&unknown, Code::Unauthenticated, "REFRESH_TOKEN_INVALID");
}

#[tokio::test]
async fn logout_everywhere_and_session_listing() {
    let h = Harness::start().await;
    let (_, app_id, _) = h.tenant_with_app("lo").await;
    let a = h.wechat_login(&app_id, "o_lo").await.tokens.unwrap();
    let b = h.wechat_login(&app_id, "o_lo").await.tokens.unwrap();
    let sessions = h
        .tokens()
        .list_sessions(authed(pb::ListSessionsRequest::default(), &a.access_token))
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert_eq!(sessions.len(), 2);
    assert!(
        sessions
            .iter()
            .any(|s| s.current && s.session_id == a.session_id)
    );
    let n = h
        .tokens()
        .logout_everywhere(authed(
            pb::LogoutEverywhereRequest { keep_current: true },
            &a.access_token,
        ))
        .await
        .unwrap()
        .into_inner()
        .revoked_session_count;
    assert_eq!(n, 1);
    let err = h
        .tokens()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: b.refresh_token,
        })
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "SESSION_REVOKED");
    h.tokens()
        .logout(authed(pb::LogoutRequest::default(), &a.access_token))
        .await
        .unwrap();
    let err = h
        .tokens()
        .refresh_session(pb::RefreshSessionRequest {
            refresh_token: a.refresh_token,
        })
        .await
        .unwrap_err();
    assert_reason(&err, Code::Unauthenticated, "SESSION_REVOKED");
}

#[tokio::test]
async fn jwks_verifies_issued_tokens_and_rotation_publishes_the_next_key() {
    let h = Harness::start().await;
    let jwks = h
        .tokens()
        .get_jwks(pb::GetJwksRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(jwks.keys.len(), 1);
    let platform = h.platform_token().await;
    let header: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(platform.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], jwks.keys[0].kid.as_str());
    let rotated = h
        .tokens()
        .rotate_signing_key(authed(pb::RotateSigningKeyRequest::default(), &platform))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        rotated.new_key.unwrap().status,
        pb::SigningKeyStatus::Pending as i32
    );
    let jwks = h
        .tokens()
        .get_jwks(pb::GetJwksRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        jwks.keys.len(),
        2,
        "pending key is published before it signs"
    );
    let again = h
        .tokens()
        .rotate_signing_key(authed(pb::RotateSigningKeyRequest::default(), &platform))
        .await
        .unwrap_err();
    assert_reason(
        &again,
        Code::FailedPrecondition,
        "SIGNING_KEY_ROTATION_IN_PROGRESS",
    );
}

#[tokio::test]
async fn forged_tampered_and_alg_none_tokens_are_refused() {
    let h = Harness::start().await;
    let platform = h.platform_token().await;
    let mut parts: Vec<String> = platform.split('.').map(str::to_owned).collect();
    // Tampered payload: flip the subject.
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    claims["sub"] = "someone-else".into();
    let tampered_payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let tampered = format!("{}.{}.{}", parts[0], tampered_payload, parts[2]);
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let alg_none = format!("{none_header}.{tampered_payload}.");
    parts[2] = URL_SAFE_NO_PAD.encode([0u8; 64]);
    let bad_sig = parts.join(".");
    // A token signed by a key identity does not know.
    let stranger = siyu_auth::SigningKey::ed25519_from_seed("x", &[1; 32]).unwrap();
    let forged_claims: siyu_auth::Claims = serde_json::from_value(claims).unwrap();
    let forged = stranger.sign(&forged_claims).unwrap();
    for (name, token) in [
        ("tampered", tampered),
        ("alg none", alg_none),
        ("bad signature", bad_sig),
        ("unknown key", forged),
        ("garbage", "abc".to_owned()),
    ] {
        let err = h
            .tokens()
            .list_signing_keys(authed(pb::ListSigningKeysRequest::default(), &token))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated, "{name}");
    }
    let missing = h
        .tokens()
        .list_signing_keys(pb::ListSigningKeysRequest::default())
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn a_jwks_verifier_fetching_identitys_http_jwks_accepts_issued_tokens() {
    let h = Harness::start().await;
    let (tenant, app_id, _) = h.tenant_with_app("jwkshttp").await;
    let tokens = h.wechat_login(&app_id, "o_jwks").await.tokens.unwrap();
    let settings =
        siyu_auth::VerifierSettings::new("siyu-identity", "siyu").with_jwks_url(h.app.jwks_url());
    let verifier =
        siyu_auth::JwksVerifier::from_settings(settings, siyu_core::clock::system()).unwrap();
    let claims = verifier.verify(&tokens.access_token).await.unwrap();
    assert_eq!(claims.tenant.to_string(), tenant);
    assert_eq!(claims.kind, siyu_core::PrincipalKind::Consumer);
    // A tampered token is refused by the same verifier.
    let mut tampered = tokens.access_token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'Q' } else { 'A' });
    assert!(verifier.verify(&tampered).await.is_err());
    let body = reqwest::get(h.app.jwks_url()).await.unwrap();
    assert_eq!(
        body.headers()["cache-control"].to_str().unwrap(),
        "public, max-age=300"
    );
}
