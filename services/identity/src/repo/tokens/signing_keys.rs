//! The signing key set table.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};

use crate::repo::{all, exec, text, ts, ts_opt};

/// A stored signing key (private half still sealed).
#[derive(Debug, Clone)]
pub struct StoredKey {
    /// Key id.
    pub kid: String,
    /// "EdDSA".
    pub alg: String,
    /// PENDING, ACTIVE, RETIRING or RETIRED.
    pub status: String,
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

/// Every key, newest first.
#[tracing::instrument(skip_all)]
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<StoredKey>, DbErr> {
    let rows = all(
        conn,
        "SELECT kid, alg, status, private_key_enc, public_jwk, created_at, activate_at, retire_at, \
         remove_at FROM identity_signing_keys ORDER BY created_at DESC",
        vec![],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(StoredKey {
                kid: row.try_get("", "kid")?,
                alg: row.try_get("", "alg")?,
                status: row.try_get("", "status")?,
                private_key_enc: row.try_get("", "private_key_enc")?,
                public_jwk: row.try_get("", "public_jwk")?,
                created_at: row.try_get("", "created_at")?,
                activate_at: row.try_get("", "activate_at")?,
                retire_at: row.try_get("", "retire_at")?,
                remove_at: row.try_get("", "remove_at")?,
            })
        })
        .collect()
}

/// Inserts a key.
#[tracing::instrument(skip_all, fields(kid = %key.kid))]
pub async fn insert(conn: &impl ConnectionTrait, key: &StoredKey) -> Result<(), DbErr> {
    exec(
        conn,
        "INSERT INTO identity_signing_keys (kid, alg, status, private_key_enc, public_jwk, \
         created_at, activate_at, retire_at, remove_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        vec![
            text(&key.kid),
            text(&key.alg),
            text(&key.status),
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
    from: &str,
    status: &str,
    activate_at: DateTime<Utc>,
    retire_at: Option<DateTime<Utc>>,
    remove_at: Option<DateTime<Utc>>,
) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_signing_keys SET status = $1, activate_at = $2, retire_at = $3, \
         remove_at = $4 WHERE kid = $5 AND status = $6",
        vec![
            text(status),
            ts(activate_at),
            ts_opt(retire_at),
            ts_opt(remove_at),
            text(kid),
            text(from),
        ],
    )
    .await
}
