//! The signing key set table.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};

use crate::error::AppError;
use crate::repo::tokens::KeyStatus;
use crate::repo::{execute, fetch_all, stored, text, ts, ts_opt};

/// A stored signing key (private half still sealed).
#[derive(Debug, Clone)]
pub struct StoredKey {
    /// Key id.
    pub kid: String,
    /// "EdDSA".
    pub alg: String,
    /// Where it is in its lifecycle.
    pub status: KeyStatus,
    /// AES-GCM sealed Ed25519 seed.
    pub private_key_enc: Vec<u8>,
    /// Public JWK as JSON.
    pub public_jwk: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Becomes or became active.
    pub activate_at: DateTime<Utc>,
    /// Stopped signing.
    pub retire_at: Option<DateTime<Utc>>,
    /// Leaves the JWKS.
    pub remove_at: Option<DateTime<Utc>>,
}

/// A signing key row.
#[derive(Debug, FromQueryResult)]
struct KeyRow {
    kid: String,
    alg: String,
    status: String,
    private_key_enc: Vec<u8>,
    public_jwk: String,
    created_at: DateTime<Utc>,
    activate_at: DateTime<Utc>,
    retire_at: Option<DateTime<Utc>>,
    remove_at: Option<DateTime<Utc>>,
}

impl TryFrom<KeyRow> for StoredKey {
    type Error = AppError;

    fn try_from(r: KeyRow) -> Result<Self, AppError> {
        Ok(Self {
            status: stored("identity_signing_keys", &r.status)?,
            kid: r.kid,
            alg: r.alg,
            private_key_enc: r.private_key_enc,
            public_jwk: r.public_jwk,
            created_at: r.created_at,
            activate_at: r.activate_at,
            retire_at: r.retire_at,
            remove_at: r.remove_at,
        })
    }
}

/// Every key, newest first.
#[tracing::instrument(skip_all)]
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<StoredKey>, AppError> {
    fetch_all::<KeyRow>(
        conn,
        "SELECT kid, alg, status, private_key_enc, public_jwk, created_at, activate_at, retire_at, \
         remove_at FROM identity_signing_keys ORDER BY created_at DESC",
        vec![],
    )
    .await?
    .into_iter()
    .map(StoredKey::try_from)
    .collect()
}

/// Inserts a key.
#[tracing::instrument(skip_all, fields(kid = %key.kid))]
pub async fn insert(conn: &impl ConnectionTrait, key: &StoredKey) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO identity_signing_keys (kid, alg, status, private_key_enc, public_jwk, \
         created_at, activate_at, retire_at, remove_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        vec![
            text(&key.kid),
            text(&key.alg),
            text(key.status.as_str()),
            Value::Bytes(Some(key.private_key_enc.clone())),
            text(&key.public_jwk),
            ts(key.created_at),
            ts(key.activate_at),
            ts_opt(key.retire_at),
            ts_opt(key.remove_at),
        ],
    )
    .await?;
    Ok(())
}

/// Moves a key to `status` with new times, only from `from` (so racing replicas apply each
/// transition once).
#[tracing::instrument(skip_all, fields(kid))]
pub async fn transition(
    conn: &impl ConnectionTrait,
    kid: &str,
    from: KeyStatus,
    status: KeyStatus,
    activate_at: DateTime<Utc>,
    retire_at: Option<DateTime<Utc>>,
    remove_at: Option<DateTime<Utc>>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_signing_keys SET status = $1, activate_at = $2, retire_at = $3, \
         remove_at = $4 WHERE kid = $5 AND status = $6",
        vec![
            text(status.as_str()),
            ts(activate_at),
            ts_opt(retire_at),
            ts_opt(remove_at),
            text(kid),
            text(from.as_str()),
        ],
    )
    .await
}
