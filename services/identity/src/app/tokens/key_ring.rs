//! The signing key set: Ed25519 keys generated from the OS RNG, stored in the database with the
//! private seed sealed (AES-256-GCM), and an in-memory ring that signs with the ACTIVE key and
//! verifies against every published key (PENDING, ACTIVE, RETIRING).
//!
//! Identity verifies incoming tokens against this ring directly (a `JwksVerifier` rebuilt from
//! the database after each change), never by fetching its own JWKS over HTTP.

use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;
use siyu_auth::{Claims, JwksVerifier, SigningKey, VerifierSettings};
use siyu_core::Clock;

use crate::crypto::{Sealer, random_bytes};
use crate::error::AppError;
use crate::repo::tokens::KeyStatus;
use crate::repo::tokens::signing_keys::{self as repo, StoredKey};

/// Time a PENDING key waits before signing (≥ twice the JWKS cache age).
pub const MIN_ACTIVATE_AFTER_SECS: i64 = 600;

/// What the ring holds in memory.
struct Loaded {
    active: Option<Arc<SigningKey>>,
    verifier: Arc<JwksVerifier>,
    keys: Vec<StoredKey>,
}

/// The key ring shared by the token issuer and the request authenticator.
pub struct KeyRing {
    db: DatabaseConnection,
    sealer: Sealer,
    clock: Arc<dyn Clock>,
    verifier_settings: VerifierSettings,
    access_ttl: Duration,
    loaded: RwLock<Arc<Loaded>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").finish_non_exhaustive()
    }
}

impl KeyRing {
    /// Loads the ring, creating the first ACTIVE key when the database has none.
    pub async fn open(
        db: DatabaseConnection,
        sealer: Sealer,
        clock: Arc<dyn Clock>,
        verifier_settings: VerifierSettings,
        access_ttl: Duration,
    ) -> Result<Self, AppError> {
        let empty = Loaded {
            active: None,
            verifier: Arc::new(build_verifier(&verifier_settings, &[], &clock)?),
            keys: Vec::new(),
        };
        let ring = Self {
            db,
            sealer,
            clock,
            verifier_settings,
            access_ttl,
            loaded: RwLock::new(Arc::new(empty)),
        };
        if repo::list(&ring.db).await?.is_empty() {
            let now = ring.clock.now();
            ring.create_key(KeyStatus::Active, now).await?;
        }
        ring.reload().await?;
        Ok(ring)
    }

    /// Applies due lifecycle transitions and re-reads the key set.
    pub async fn reload(&self) -> Result<(), AppError> {
        let now = self.clock.now();
        let keys = repo::list(&self.db).await?;
        let due_pending = keys
            .iter()
            .filter(|k| k.status == KeyStatus::Pending && k.activate_at <= now)
            .max_by_key(|k| k.activate_at);
        if let Some(next) = due_pending {
            self.promote(&keys, &next.kid, next.activate_at).await?;
        }
        for key in &keys {
            if key.status == KeyStatus::Retiring && key.remove_at.is_some_and(|at| at <= now) {
                repo::transition(
                    &self.db,
                    &key.kid,
                    KeyStatus::Retiring,
                    KeyStatus::Retired,
                    key.activate_at,
                    key.retire_at,
                    key.remove_at,
                )
                .await?;
            }
        }
        let keys = repo::list(&self.db).await?;
        let mut signing = Vec::new();
        let mut active = None;
        for key in keys.iter().filter(|k| k.status != KeyStatus::Retired) {
            let seed = self.sealer.open(&key.private_key_enc)?;
            let seed: [u8; 32] = seed
                .try_into()
                .map_err(|_| AppError::Internal("stored signing key is not 32 bytes".into()))?;
            let signing_key = SigningKey::ed25519_from_seed(key.kid.clone(), &seed)?;
            if key.status == KeyStatus::Active && active.is_none() {
                active = Some(key.kid.clone());
            }
            signing.push(signing_key);
        }
        let verifier = build_verifier(&self.verifier_settings, &signing, &self.clock)?;
        let active =
            active.and_then(|kid| signing.into_iter().find(|k| k.kid() == kid).map(Arc::new));
        *self.loaded.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(Loaded {
            active,
            verifier: Arc::new(verifier),
            keys,
        });
        Ok(())
    }

    /// Creates a new key: PENDING (activating after `activate_after`), or, for an emergency,
    /// ACTIVE at once with the old key RETIRED at once. Returns (new, previous) kids.
    pub async fn rotate(
        &self,
        activate_after_secs: i64,
        emergency: bool,
    ) -> Result<(String, Option<String>), AppError> {
        let now = self.clock.now();
        let keys = repo::list(&self.db).await?;
        let previous = keys
            .iter()
            .find(|k| k.status == KeyStatus::Active)
            .map(|k| k.kid.clone());
        if emergency {
            let kid = self.create_key(KeyStatus::Active, now).await?;
            if let Some(prev) = keys.iter().find(|k| k.status == KeyStatus::Active) {
                repo::transition(
                    &self.db,
                    &prev.kid,
                    KeyStatus::Active,
                    KeyStatus::Retired,
                    prev.activate_at,
                    Some(now),
                    Some(now),
                )
                .await?;
            }
            self.reload().await?;
            return Ok((kid, previous));
        }
        if keys.iter().any(|k| k.status == KeyStatus::Pending) {
            return Err(AppError::SigningKeyRotationInProgress);
        }
        let after = activate_after_secs.max(MIN_ACTIVATE_AFTER_SECS);
        let kid = self
            .create_key(KeyStatus::Pending, now + Duration::seconds(after))
            .await?;
        self.reload().await?;
        Ok((kid, previous))
    }

    /// Every stored key, newest first (metadata for ListSigningKeys).
    pub fn keys(&self) -> Vec<StoredKey> {
        self.current().keys.clone()
    }

    /// The public JWKs of every published key.
    pub fn public_jwks(&self) -> Vec<serde_json::Value> {
        self.current()
            .keys
            .iter()
            .filter(|k| k.status != KeyStatus::Retired)
            .filter_map(|k| serde_json::from_str(&k.public_jwk).ok())
            .collect()
    }

    /// Signs `claims` with the ACTIVE key.
    pub fn sign(&self, claims: &Claims) -> Result<String, AppError> {
        let loaded = self.current();
        let key = loaded
            .active
            .as_ref()
            .ok_or_else(|| AppError::Internal("no active signing key".into()))?;
        Ok(key.sign(claims)?)
    }

    /// Verifies a token against the published keys.
    pub async fn verify(&self, token: &str) -> Result<Claims, siyu_auth::AuthError> {
        let verifier = Arc::clone(&self.current().verifier);
        verifier.verify(token).await
    }

    fn current(&self) -> Arc<Loaded> {
        Arc::clone(&self.loaded.read().unwrap_or_else(PoisonError::into_inner))
    }

    async fn promote(
        &self,
        keys: &[StoredKey],
        kid: &str,
        activate_at: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let moved = repo::transition(
            &self.db,
            kid,
            KeyStatus::Pending,
            KeyStatus::Active,
            activate_at,
            None,
            None,
        )
        .await?;
        if moved == 0 {
            return Ok(()); // another replica promoted it
        }
        let remove_at = activate_at + self.access_ttl + Duration::seconds(300);
        for old in keys.iter().filter(|k| k.status == KeyStatus::Active) {
            repo::transition(
                &self.db,
                &old.kid,
                KeyStatus::Active,
                KeyStatus::Retiring,
                old.activate_at,
                Some(activate_at),
                Some(remove_at),
            )
            .await?;
        }
        Ok(())
    }

    async fn create_key(
        &self,
        key_status: KeyStatus,
        activate_at: DateTime<Utc>,
    ) -> Result<String, AppError> {
        let seed = random_bytes::<32>()?;
        let kid = format!("k{}", siyu_core::id::new().simple());
        let key = SigningKey::ed25519_from_seed(kid.clone(), &seed)?;
        let stored = StoredKey {
            kid: kid.clone(),
            alg: "EdDSA".to_owned(),
            status: key_status,
            private_key_enc: self.sealer.seal(&seed)?,
            public_jwk: key.public_jwk().to_string(),
            created_at: self.clock.now(),
            activate_at,
            retire_at: None,
            remove_at: None,
        };
        repo::insert(&self.db, &stored).await?;
        Ok(kid)
    }
}

fn build_verifier(
    settings: &VerifierSettings,
    keys: &[SigningKey],
    clock: &Arc<dyn Clock>,
) -> Result<JwksVerifier, AppError> {
    Ok(JwksVerifier::from_static_jwks(
        settings.clone(),
        &SigningKey::jwks(keys.iter()),
        Arc::clone(clock),
    )?)
}
