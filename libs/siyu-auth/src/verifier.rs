//! [`JwksVerifier`]: verifies access tokens against a cached JWKS.

mod source;

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, Weak};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use siyu_core::{Clock, Ctx};
use tokio::task::JoinHandle;

use self::source::{JwksSource, Refetch};
use crate::claims::Claims;
use crate::error::AuthError;
use crate::jwk::{KeySet, VerifyKey, alg_name};
use crate::settings::VerifierSettings;

/// Tokens longer than this are refused before any parsing; real access tokens are well
/// under 2 KiB and a huge header should not cost a base64 decode.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Verifies Siyu access tokens (EdDSA or ES256) against identity's key set.
///
/// The key set is cached. A token naming an unknown `kid` triggers one refetch (single-flight,
/// at most once per `min_refetch_secs`) so key rotation is followed without restarts; a
/// background task started with [`JwksVerifier::spawn_refresh`] refreshes it periodically.
pub struct JwksVerifier {
    settings: VerifierSettings,
    clock: Arc<dyn Clock>,
    keys: RwLock<Arc<KeySet>>,
    source: Option<JwksSource>,
}

/// The periodic JWKS refresh; stops when dropped or when the verifier is gone.
#[derive(Debug)]
pub struct RefreshTask(JoinHandle<()>);

/// The JOSE header fields read before choosing a key.
#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
    crit: Option<serde_json::Value>,
}

impl JwksVerifier {
    /// A verifier that fetches the key set from `settings.jwks_url` (lazily, on first use,
    /// or eagerly through [`JwksVerifier::refresh`]).
    pub fn from_settings(
        settings: VerifierSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AuthError> {
        let url = settings
            .jwks_url
            .as_deref()
            .ok_or_else(|| AuthError::Config("jwks_url is not set".into()))?;
        let source = JwksSource::new(
            url,
            settings.fetch_timeout(),
            settings.min_refetch_interval(),
        )?;
        Ok(Self {
            settings,
            clock,
            keys: RwLock::default(),
            source: Some(source),
        })
    }

    /// A verifier over a fixed JWKS document (embedded mode, tests); it never fetches.
    pub fn from_static_jwks(
        settings: VerifierSettings,
        jwks: &serde_json::Value,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AuthError> {
        let set = KeySet::from_json(jwks.to_string().as_bytes())
            .map_err(|err| AuthError::Config(err.to_string()))?;
        Ok(Self {
            settings,
            clock,
            keys: RwLock::new(Arc::new(set)),
            source: None,
        })
    }

    /// Fetches the key set now; a no-op for a static verifier. On failure the cached keys stay.
    pub async fn refresh(&self) -> Result<(), AuthError> {
        if let Some(source) = &self.source {
            source.fetch_now(|set| self.store(set)).await?;
        }
        Ok(())
    }

    /// Starts refreshing the key set every `refresh_secs`, beginning now.
    ///
    /// The task holds only a weak reference, so it ends by itself when the verifier is dropped.
    pub fn spawn_refresh(self: &Arc<Self>) -> RefreshTask {
        let weak: Weak<Self> = Arc::downgrade(self);
        let period = self.settings.refresh_interval();
        RefreshTask(tokio::spawn(async move {
            let mut ticker = tokio::time::interval(period);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(verifier) = weak.upgrade() else {
                    break;
                };
                if let Err(err) = verifier.refresh().await {
                    tracing::warn!(error = %err, "periodic JWKS refresh failed; keeping cached keys");
                }
            }
        }))
    }

    /// Verifies `token` (signature, algorithm, issuer, audience, `exp`/`nbf` with leeway)
    /// and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed("token too long".into()));
        }
        let header = parse_header(token)?;
        let alg = match header.alg.as_str() {
            "EdDSA" => Algorithm::EdDSA,
            "ES256" => Algorithm::ES256,
            other => return Err(AuthError::UnsupportedAlgorithm(other.to_owned())),
        };
        if header.crit.is_some() {
            return Err(AuthError::Malformed(
                "critical header extensions are not supported".into(),
            ));
        }
        let kid = header
            .kid
            .ok_or_else(|| AuthError::Malformed("missing kid".into()))?;
        let key = self.key_for(&kid).await?;
        // Pin the algorithm to the key's, whatever the header claims.
        if key.alg != alg {
            return Err(AuthError::UnsupportedAlgorithm(format!(
                "{} with a {} key",
                header.alg,
                alg_name(key.alg)
            )));
        }
        let mut validation = Validation::new(key.alg);
        // Time, issuer and audience are checked below against the injected clock, with
        // one error per failure; the library checks only the signature and the shape.
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let data =
            jsonwebtoken::decode::<Claims>(token, &key.key, &validation).map_err(map_jwt_error)?;
        self.check_claims(&data.claims)?;
        Ok(data.claims)
    }

    /// Verifies `token` and builds the request context it grants.
    pub async fn verify_ctx(&self, token: &str) -> Result<Ctx, AuthError> {
        self.verify(token).await?.to_ctx()
    }

    fn check_claims(&self, claims: &Claims) -> Result<(), AuthError> {
        if claims.iss != self.settings.issuer {
            return Err(AuthError::WrongIssuer);
        }
        if !claims.aud.contains(&self.settings.audience) {
            return Err(AuthError::WrongAudience);
        }
        let now = self.clock.now().timestamp();
        let leeway = i64::try_from(self.settings.leeway().as_secs()).unwrap_or(0);
        // RFC 7519: the token must not be accepted on or after `exp`.
        if now.saturating_sub(leeway) >= claims.exp {
            return Err(AuthError::Expired);
        }
        let not_before = claims.nbf.unwrap_or(claims.iat).max(claims.iat);
        if now.saturating_add(leeway) < not_before {
            return Err(AuthError::NotYetValid);
        }
        Ok(())
    }

    fn cached(&self, kid: &str) -> Option<VerifyKey> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(kid)
            .cloned()
    }

    fn store(&self, set: Arc<KeySet>) {
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = set;
    }

    async fn key_for(&self, kid: &str) -> Result<VerifyKey, AuthError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let Some(source) = &self.source else {
            return Err(AuthError::UnknownKid(kid.to_owned()));
        };
        match source
            .refetch_for(|| self.cached(kid).is_none(), |set| self.store(set))
            .await?
        {
            Refetch::Fetched | Refetch::Raced => {}
            Refetch::RateLimited {
                last_error: Some(err),
            } => return Err(AuthError::JwksUnavailable(err)),
            Refetch::RateLimited { last_error: None } => {}
        }
        self.cached(kid)
            .ok_or_else(|| AuthError::UnknownKid(kid.to_owned()))
    }
}

impl fmt::Debug for JwksVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksVerifier")
            .field("issuer", &self.settings.issuer)
            .field("audience", &self.settings.audience)
            .field("jwks_url", &self.settings.jwks_url)
            .finish_non_exhaustive()
    }
}

impl Drop for RefreshTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn parse_header(token: &str) -> Result<Header, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed("not three dot-separated parts".into()));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| AuthError::Malformed("header is not base64url".into()))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| AuthError::Malformed("header is not a JOSE header".into()))
}

fn map_jwt_error(err: jsonwebtoken::errors::Error) -> AuthError {
    match err.kind() {
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        // A published key the backend cannot load verifies nothing; to the caller that is
        // the same as a signature that does not match.
        ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidEddsaKey | ErrorKind::InvalidKeyFormat => {
            tracing::warn!(error = %err, "published key cannot be used for verification");
            AuthError::BadSignature
        }
        ErrorKind::InvalidAlgorithm
        | ErrorKind::UnsupportedAlgorithm
        | ErrorKind::InvalidAlgorithmName => AuthError::UnsupportedAlgorithm(err.to_string()),
        _ => AuthError::Malformed(err.to_string()),
    }
}
