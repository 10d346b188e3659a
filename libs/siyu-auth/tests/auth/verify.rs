//! Accepting good tokens and refusing each kind of bad one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use siyu_auth::{AuthError, JwksVerifier, SigningKey};

use siyu_auth::Claims;

use crate::support::{self, AUDIENCE, ISSUER, JwksServer, NOW, claims};

async fn setup() -> (JwksServer, JwksVerifier, SigningKey) {
    let key = support::ed_key("k1", 1);
    let server = JwksServer::start(&[&key]).await;
    let verifier = support::verifier(&server);
    (server, verifier, key)
}

#[tokio::test]
async fn a_valid_eddsa_token_is_accepted_and_becomes_a_ctx() {
    let (server, verifier, key) = setup().await;
    let token = key.sign(&claims()).unwrap();
    let verified = verifier.verify(&token).await.unwrap();
    assert_eq!(verified, claims());
    let ctx = verifier.verify_ctx(&token).await.unwrap();
    assert_eq!(ctx.tenant, support::tenant());
    assert_eq!(ctx.principal.subject, "consumer-1");
    assert_eq!(
        server.hits(),
        1,
        "the second verification is served from the cache"
    );
}

#[tokio::test]
async fn a_valid_es256_token_is_accepted() {
    let key = support::es_key("es-1");
    let server = JwksServer::start(&[&key]).await;
    let verifier = support::verifier(&server);
    let token = key.sign(&claims()).unwrap();
    assert_eq!(verifier.verify(&token).await.unwrap().sub, "consumer-1");
}

#[tokio::test]
async fn a_static_jwks_verifier_needs_no_server() {
    let key = support::ed_key("k1", 1);
    let settings = siyu_auth::VerifierSettings::new(ISSUER, AUDIENCE);
    let verifier =
        JwksVerifier::from_static_jwks(settings, &SigningKey::jwks([&key]), support::clock())
            .unwrap();
    assert!(verifier.verify(&key.sign(&claims()).unwrap()).await.is_ok());
    let other = support::ed_key("k2", 2);
    let err = verifier
        .verify(&other.sign(&claims()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err, AuthError::UnknownKid("k2".into()));
}

#[tokio::test]
async fn a_token_signed_by_another_key_with_the_same_kid_is_refused() {
    let (_server, verifier, _key) = setup().await;
    let impostor = support::ed_key("k1", 99);
    let err = verifier
        .verify(&impostor.sign(&claims()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err, AuthError::BadSignature);
}

#[tokio::test]
async fn a_tampered_payload_is_refused() {
    let (_server, verifier, key) = setup().await;
    let token = key.sign(&claims()).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let mut forged = claims();
    forged.sub = "admin".into();
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
    let err = verifier
        .verify(&format!("{}.{payload}.{}", parts[0], parts[2]))
        .await
        .unwrap_err();
    assert_eq!(err, AuthError::BadSignature);
}

#[tokio::test]
async fn alg_none_is_refused() {
    let (_server, verifier, _key) = setup().await;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k1","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims()).unwrap());
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        let err = verifier.verify(&token).await.unwrap_err();
        assert!(
            matches!(
                err,
                AuthError::UnsupportedAlgorithm(_) | AuthError::Malformed(_)
            ),
            "{token}: {err:?}"
        );
    }
    let err = verifier
        .verify(&format!("{header}.{payload}."))
        .await
        .unwrap_err();
    assert_eq!(err, AuthError::UnsupportedAlgorithm("none".into()));
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_bytes_is_refused() {
    let (_server, verifier, key) = setup().await;
    let public_x = key.public_jwk()["x"].as_str().unwrap().to_owned();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    // Both the raw key bytes and their base64 text, the two forms confused verifiers use.
    for secret in [
        URL_SAFE_NO_PAD.decode(&public_x).unwrap(),
        public_x.clone().into_bytes(),
    ] {
        let token =
            jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(&secret)).unwrap();
        let err = verifier.verify(&token).await.unwrap_err();
        assert_eq!(err, AuthError::UnsupportedAlgorithm("HS256".into()));
    }
}

#[tokio::test]
async fn a_header_alg_that_differs_from_the_keys_is_refused() {
    let (_server, verifier, _key) = setup().await;
    // An ES256 signature presented under the Ed25519 key's kid.
    let der = base64::engine::general_purpose::STANDARD
        .decode(
            support::ES256_PEM
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        )
        .unwrap();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("k1".into());
    let token = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_ec_der(&der)).unwrap();
    assert!(matches!(
        verifier.verify(&token).await.unwrap_err(),
        AuthError::UnsupportedAlgorithm(_)
    ));
}

#[tokio::test]
async fn an_unknown_kid_is_refused_after_one_refetch() {
    let (server, verifier, key) = setup().await;
    // The startup fetch a service does before serving.
    verifier.refresh().await.unwrap();
    verifier
        .verify(&key.sign(&claims()).unwrap())
        .await
        .unwrap();
    assert_eq!(server.hits(), 1);
    let stranger = support::ed_key("ghost", 7);
    let token = stranger.sign(&claims()).unwrap();
    assert_eq!(
        verifier.verify(&token).await.unwrap_err(),
        AuthError::UnknownKid("ghost".into())
    );
    assert_eq!(
        server.hits(),
        2,
        "the unknown kid caused exactly one refetch"
    );
    // Within the minimum interval a repeat does not reach the server again.
    assert_eq!(
        verifier.verify(&token).await.unwrap_err(),
        AuthError::UnknownKid("ghost".into())
    );
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn an_expired_token_is_refused_beyond_the_leeway_only() {
    let (_server, verifier, key) = setup().await;
    // Default leeway is 30 s: ten seconds past `exp` is still tolerated skew.
    let within = Claims {
        exp: NOW - 10,
        iat: NOW - 310,
        ..claims()
    };
    assert!(verifier.verify(&key.sign(&within).unwrap()).await.is_ok());
    let expired = Claims {
        exp: NOW - 31,
        iat: NOW - 331,
        ..claims()
    };
    assert_eq!(
        verifier
            .verify(&key.sign(&expired).unwrap())
            .await
            .unwrap_err(),
        AuthError::Expired
    );
}

#[tokio::test]
async fn a_token_not_yet_valid_is_refused() {
    let (_server, verifier, key) = setup().await;
    let future = Claims {
        nbf: Some(NOW + 120),
        exp: NOW + 600,
        ..claims()
    };
    assert_eq!(
        verifier
            .verify(&key.sign(&future).unwrap())
            .await
            .unwrap_err(),
        AuthError::NotYetValid
    );
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let (_server, verifier, key) = setup().await;
    let other = Claims {
        aud: siyu_auth::Audience::Many(vec!["crm".into(), "erp".into()]),
        ..claims()
    };
    assert_eq!(
        verifier
            .verify(&key.sign(&other).unwrap())
            .await
            .unwrap_err(),
        AuthError::WrongAudience
    );
    let listed = Claims {
        aud: siyu_auth::Audience::Many(vec!["crm".into(), AUDIENCE.into()]),
        ..claims()
    };
    assert!(verifier.verify(&key.sign(&listed).unwrap()).await.is_ok());
}

#[tokio::test]
async fn a_token_from_another_issuer_is_refused() {
    let (_server, verifier, key) = setup().await;
    let other = Claims {
        iss: "https://evil.example/".into(),
        ..claims()
    };
    assert_eq!(
        verifier
            .verify(&key.sign(&other).unwrap())
            .await
            .unwrap_err(),
        AuthError::WrongIssuer
    );
}

#[tokio::test]
async fn garbage_is_malformed() {
    let (_server, verifier, _key) = setup().await;
    for token in ["", "abc", "a.b.c", "a.b.c.d", &"x".repeat(10_000)] {
        assert!(
            matches!(
                verifier.verify(token).await.unwrap_err(),
                AuthError::Malformed(_)
            ),
            "{token:.20}"
        );
    }
}

#[tokio::test]
async fn an_unusable_jwks_reads_as_unavailable() {
    let key = support::ed_key("k1", 1);
    let server = JwksServer::start(&[]).await;
    server.publish_raw("<html>not json</html>");
    let verifier = support::verifier(&server);
    let err = verifier
        .verify(&key.sign(&claims()).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::JwksUnavailable(_)), "{err:?}");
    // Rate-limited retries keep reporting the fetch failure, not a bogus unknown kid.
    assert!(matches!(
        verifier.verify(&key.sign(&claims()).unwrap()).await,
        Err(AuthError::JwksUnavailable(_))
    ));
    assert_eq!(server.hits(), 1);
}
