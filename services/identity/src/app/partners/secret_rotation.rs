//! Partner client secrets: a new secret at creation and on RotatePartnerClientSecret, where the
//! previous secret keeps working for a grace period.
//!
//! Secrets are 48 bytes from the OS RNG (384 bits, base64url) and stored as a SHA-256 hash,
//! not argon2id: a key-stretching hash exists to slow down guessing of low-entropy passwords,
//! and nobody can enumerate a 2^384 space however fast the hash is. A fast hash also keeps the
//! public client-credentials grant cheap, so it cannot be used to burn identity's CPU.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use sea_orm::ConnectionTrait;

use siyu_core::TenantId;

use crate::app::App;
use crate::crypto::{random_bytes, sha256_hex};
use crate::error::AppError;
use crate::repo::partners::PartnerStatus;
use crate::repo::partners::clients::{self as repo, PartnerClient};

/// A new client secret and its stored form.
pub(super) fn new_secret() -> Result<(String, String, String), AppError> {
    let secret = URL_SAFE_NO_PAD.encode(random_bytes::<48>()?);
    let last4 = secret.chars().rev().take(4).collect::<Vec<_>>();
    let last4: String = last4.into_iter().rev().collect();
    Ok((sha256_hex(&secret), last4, secret))
}

impl App {
    /// RotatePartnerClientSecret: a new secret (shown once); the previous one keeps working for
    /// `grace_secs`.
    #[tracing::instrument(skip_all, fields(tenant, client = id))]
    pub async fn rotate_partner_secret(
        &self,
        txn: &impl ConnectionTrait,
        tenant: TenantId,
        actor: (&str, &str),
        id: &str,
        grace_secs: i64,
    ) -> Result<(PartnerClient, String), AppError> {
        let now = self.clock.now();
        let current = self.partner(txn, tenant, id).await?;
        if current.status != PartnerStatus::Active {
            return Err(AppError::ClientRevoked);
        }
        let (hash, last4, secret) = new_secret()?;
        let mut row = current.clone();
        (row.previous_secret_hash, row.previous_secret_expires_at) = if grace_secs > 0 {
            (
                Some(current.secret_hash.clone()),
                Some(now + Duration::seconds(grace_secs)),
            )
        } else {
            (None, None)
        };
        row.secret_hash = hash;
        row.secret_last4 = last4;
        row.secret_created_at = Some(now);
        row.version += 1;
        row.updated_at = now;
        if repo::update(txn, &row, current.version).await? == 0 {
            return Err(AppError::ConcurrentModification);
        }
        let details = BTreeMap::from([("grace_seconds".to_owned(), grace_secs.to_string())]);
        self.audit_partner(txn, &row, "PARTNER_SECRET_ROTATED", actor, details, now)
            .await?;
        Ok((row, secret))
    }
}
