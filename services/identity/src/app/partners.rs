//! Partner clients of the open platform (开放平台): creation with a secret shown once, scope and
//! limit updates, secret rotation with a grace period, revocation.
//!
//! Secrets are 48 bytes from the OS RNG (384 bits, base64url) and stored as a SHA-256 hash,
//! not argon2id: a key-stretching hash exists to slow down guessing of low-entropy passwords,
//! and nobody can enumerate a 2^384 space however fast the hash is. A fast hash also keeps the
//! public client-credentials grant cheap, so it cannot be used to burn identity's CPU.

use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;

use crate::app::App;
use crate::crypto::{random_bytes, sha256_hex};
use crate::error::AppError;
use crate::repo::audit::chain::{self as audit_repo, NewEntry};
use crate::repo::partners::{self as repo, PartnerRow};

/// Scopes a partner client may be granted (partner.proto).
pub const KNOWN_SCOPES: &[&str] = &[
    "catalog.read",
    "catalog.write",
    "inventory.read",
    "inventory.write",
    "orders.read",
    "orders.write",
    "members.read",
    "members.write",
    "points.write",
    "coupons.write",
    "content.read",
];

/// The settable fields of a client (already range-checked by the wire layer).
#[derive(Debug, Clone, Default)]
pub struct PartnerSpec {
    /// Display name.
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Allowed scopes.
    pub scopes: Option<Vec<String>>,
    /// Requests per minute.
    pub rate_limit_per_minute: Option<i32>,
    /// Burst.
    pub rate_limit_burst: Option<i32>,
    /// IPs / CIDR blocks.
    pub ip_allow_list: Option<Vec<String>>,
    /// Token lifetime.
    pub token_ttl_secs: Option<i32>,
}

/// Checks scopes against [`KNOWN_SCOPES`] (UNKNOWN_SCOPE naming the first bad one).
pub fn check_scopes(scopes: &[String], field: &str) -> Result<(), AppError> {
    match scopes.iter().find(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
        None => Ok(()),
        Some(bad) => Err(AppError::InvalidWithMeta {
            reason: "UNKNOWN_SCOPE",
            field: field.to_owned(),
            description: "is not a known scope".into(),
            meta: BTreeMap::from([("scope".to_owned(), bad.clone())]),
        }),
    }
}

/// An allow-list entry: an address or a CIDR block.
#[derive(Debug, Clone, Copy)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `1.2.3.4`, `10.0.0.0/8`, `2001:db8::/32`.
    pub fn parse(value: &str) -> Option<Self> {
        let (addr, prefix) = match value.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (value.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self { addr, prefix })
    }

    /// True when `ip` lies in the block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (a, b, bits) = match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                (u128::from(a.to_bits()), u128::from(b.to_bits()), 32)
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => (a.to_bits(), b.to_bits(), 128),
            (IpAddr::V6(a), IpAddr::V4(b)) => (a.to_bits(), b.to_ipv6_mapped().to_bits(), 128),
            (IpAddr::V4(a), IpAddr::V6(b)) => match b.to_ipv4_mapped() {
                Some(b) => (u128::from(a.to_bits()), u128::from(b.to_bits()), 32),
                None => return false,
            },
        };
        let host_bits = bits - u32::from(self.prefix);
        if host_bits >= 128 {
            return true;
        }
        (a >> host_bits) == (b >> host_bits)
    }
}

/// Checks every allow-list entry parses (INVALID_CIDR otherwise).
pub fn check_cidrs(entries: &[String], field: &str) -> Result<(), AppError> {
    match entries.iter().find(|e| Cidr::parse(e).is_none()) {
        None => Ok(()),
        Some(bad) => Err(AppError::InvalidWithMeta {
            reason: "INVALID_CIDR",
            field: field.to_owned(),
            description: "is not an IP address or CIDR block".into(),
            meta: BTreeMap::from([("cidr".to_owned(), bad.clone())]),
        }),
    }
}

/// A new client secret and its stored form.
fn new_secret() -> Result<(String, String, String), AppError> {
    let secret = URL_SAFE_NO_PAD.encode(random_bytes::<48>()?);
    let last4 = secret.chars().rev().take(4).collect::<Vec<_>>();
    let last4: String = last4.into_iter().rev().collect();
    Ok((sha256_hex(&secret), last4, secret))
}

/// Constant-time equality of two hex digests (no early exit on the first differing byte).
pub fn digest_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl App {
    /// A client of the tenant, or NOT_FOUND PARTNER_CLIENT_NOT_FOUND.
    pub async fn partner(
        &self,
        conn: &impl ConnectionTrait,
        tenant: &str,
        id: &str,
    ) -> Result<PartnerRow, AppError> {
        repo::get(conn, tenant, id)
            .await?
            .ok_or(AppError::NotFound("PARTNER_CLIENT_NOT_FOUND"))
    }

    /// Clients of the tenant, newest first.
    pub async fn partners(
        &self,
        tenant: &str,
        status: Option<&str>,
    ) -> Result<Vec<PartnerRow>, AppError> {
        Ok(repo::list(&self.db, tenant, status).await?)
    }

    /// CreatePartnerClient: returns the client and its secret (shown once).
    #[tracing::instrument(skip_all, fields(tenant))]
    pub async fn create_partner(
        &self,
        txn: &impl ConnectionTrait,
        tenant: &str,
        actor: (&str, &str),
        spec: PartnerSpec,
    ) -> Result<(PartnerRow, String), AppError> {
        let now = self.clock.now();
        let (hash, last4, secret) = new_secret()?;
        let per_minute = spec.rate_limit_per_minute.unwrap_or(600);
        let row = PartnerRow {
            client_id: siyu_core::id::new_string(),
            tenant_id: tenant.to_owned(),
            name: spec.name.unwrap_or_default(),
            description: spec.description.unwrap_or_default(),
            secret_hash: hash,
            scopes: spec.scopes.unwrap_or_default(),
            status: "ACTIVE".into(),
            token_ttl_secs: spec.token_ttl_secs.unwrap_or(3600),
            rate_limit_per_minute: per_minute,
            rate_limit_burst: spec.rate_limit_burst.unwrap_or((per_minute / 10).max(1)),
            ip_allow_list: spec.ip_allow_list.unwrap_or_default(),
            secret_last4: last4,
            secret_created_at: Some(now),
            previous_secret_hash: None,
            previous_secret_expires_at: None,
            created_by: actor.1.to_owned(),
            last_token_at: None,
            version: 1,
            token_generation: 0,
            created_at: now,
            updated_at: now,
        };
        repo::insert(txn, &row).await?;
        let details = BTreeMap::from([("scopes".to_owned(), row.scopes.join(" "))]);
        self.audit_partner(txn, &row, "PARTNER_CLIENT_CREATED", actor, details, now)
            .await?;
        Ok((row, secret))
    }

    /// UpdatePartnerClient.
    #[tracing::instrument(skip_all, fields(tenant, client = id))]
    #[allow(clippy::too_many_arguments, reason = "one flat request")]
    pub async fn update_partner(
        &self,
        txn: &impl ConnectionTrait,
        tenant: &str,
        actor: (&str, &str),
        id: &str,
        etag: &str,
        spec: PartnerSpec,
        revoke_tokens: bool,
    ) -> Result<PartnerRow, AppError> {
        let now = self.clock.now();
        let current = self.partner(txn, tenant, id).await?;
        if current.status != "ACTIVE" {
            return Err(AppError::FailedPrecondition("CLIENT_REVOKED"));
        }
        if current.version.to_string() != etag {
            return Err(AppError::Aborted("CONCURRENT_MODIFICATION"));
        }
        let mut row = current.clone();
        let scopes_changed = spec.scopes.as_ref().is_some_and(|s| *s != current.scopes);
        if let Some(v) = spec.name {
            row.name = v;
        }
        if let Some(v) = spec.description {
            row.description = v;
        }
        if let Some(v) = spec.scopes {
            row.scopes = v;
        }
        if let Some(v) = spec.rate_limit_per_minute {
            row.rate_limit_per_minute = v;
        }
        if let Some(v) = spec.rate_limit_burst {
            row.rate_limit_burst = v;
        }
        if let Some(v) = spec.ip_allow_list {
            row.ip_allow_list = v;
        }
        if let Some(v) = spec.token_ttl_secs {
            row.token_ttl_secs = v;
        }
        if revoke_tokens {
            row.token_generation += 1;
            repo::revoke_subject_tokens(txn, tenant, id, now).await?;
        }
        row.version += 1;
        row.updated_at = now;
        if repo::update(txn, &row, current.version).await? == 0 {
            return Err(AppError::Aborted("CONCURRENT_MODIFICATION"));
        }
        let kind = if scopes_changed {
            "PARTNER_SCOPES_CHANGED"
        } else {
            "PARTNER_CLIENT_UPDATED"
        };
        let details = BTreeMap::from([
            ("scopes".to_owned(), row.scopes.join(" ")),
            ("revoke_tokens".to_owned(), revoke_tokens.to_string()),
        ]);
        self.audit_partner(txn, &row, kind, actor, details, now)
            .await?;
        Ok(row)
    }

    /// RotatePartnerClientSecret: a new secret (shown once); the previous one keeps working for
    /// `grace_secs`.
    #[tracing::instrument(skip_all, fields(tenant, client = id))]
    pub async fn rotate_partner_secret(
        &self,
        txn: &impl ConnectionTrait,
        tenant: &str,
        actor: (&str, &str),
        id: &str,
        grace_secs: i64,
    ) -> Result<(PartnerRow, String), AppError> {
        let now = self.clock.now();
        let current = self.partner(txn, tenant, id).await?;
        if current.status != "ACTIVE" {
            return Err(AppError::FailedPrecondition("CLIENT_REVOKED"));
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
            return Err(AppError::Aborted("CONCURRENT_MODIFICATION"));
        }
        let details = BTreeMap::from([("grace_seconds".to_owned(), grace_secs.to_string())]);
        self.audit_partner(txn, &row, "PARTNER_SECRET_ROTATED", actor, details, now)
            .await?;
        Ok((row, secret))
    }

    /// RevokePartnerClient: irreversible; every issued token stops (revoking twice succeeds).
    #[tracing::instrument(skip_all, fields(tenant, client = id))]
    pub async fn revoke_partner(
        &self,
        txn: &impl ConnectionTrait,
        tenant: &str,
        actor: (&str, &str),
        id: &str,
        reason: &str,
    ) -> Result<PartnerRow, AppError> {
        let now = self.clock.now();
        let current = self.partner(txn, tenant, id).await?;
        if current.status == "REVOKED" {
            return Ok(current);
        }
        let mut row = current.clone();
        row.status = "REVOKED".into();
        row.previous_secret_hash = None;
        row.previous_secret_expires_at = None;
        row.version += 1;
        row.updated_at = now;
        if repo::update(txn, &row, current.version).await? == 0 {
            return Err(AppError::Aborted("CONCURRENT_MODIFICATION"));
        }
        repo::revoke_subject_tokens(txn, tenant, id, now).await?;
        let details = BTreeMap::from([("reason".to_owned(), reason.to_owned())]);
        self.audit_partner(txn, &row, "PARTNER_CLIENT_REVOKED", actor, details, now)
            .await?;
        Ok(row)
    }

    pub(crate) async fn audit_partner(
        &self,
        txn: &impl ConnectionTrait,
        row: &PartnerRow,
        kind: &'static str,
        actor: (&str, &str),
        details: BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        audit_repo::append(
            txn,
            &row.tenant_id,
            NewEntry {
                kind,
                outcome: if kind == "PARTNER_AUTH_FAILED" {
                    "FAILURE"
                } else {
                    "SUCCESS"
                },
                actor_kind: actor.0.to_owned(),
                actor_id: actor.1.to_owned(),
                target_kind: "partner".into(),
                target_id: row.client_id.clone(),
                details,
            },
            now,
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn cidr_blocks_match_their_addresses_only() {
        let block = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(block.contains("10.1.200.3".parse().unwrap()));
        assert!(!block.contains("10.2.0.1".parse().unwrap()));
        let one = Cidr::parse("203.0.113.7").unwrap();
        assert!(one.contains("203.0.113.7".parse().unwrap()));
        assert!(!one.contains("203.0.113.8".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            Cidr::parse("2001:db8::/32")
                .unwrap()
                .contains("2001:db8::1".parse().unwrap())
        );
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("not-an-ip").is_none());
    }
}
