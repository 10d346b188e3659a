//! Phone one-time passwords (hashed, salted).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;

use crate::error::AppError;
use crate::repo::consumers::OtpPurpose;
use crate::repo::{
    count, execute, fetch_one, for_update, stored, stored_tenant, tenant_text, text, ts,
};

/// A phone OTP as stored (hashed).
#[derive(Debug, Clone)]
pub struct PhoneOtp {
    /// Id.
    pub id: String,
    /// Tenant.
    pub tenant_id: TenantId,
    /// E.164.
    pub phone: String,
    /// What it confirms.
    pub purpose: OtpPurpose,
    /// Hex salt.
    pub salt: String,
    /// Hex SHA-256 of salt || code.
    pub code_hash: String,
    /// Wrong attempts so far.
    pub attempts: i32,
    /// Sent.
    pub created_at: DateTime<Utc>,
    /// Void after.
    pub expires_at: DateTime<Utc>,
}

/// An OTP row.
#[derive(Debug, FromQueryResult)]
struct OtpRow {
    id: String,
    tenant_id: String,
    phone: String,
    purpose: String,
    salt: String,
    code_hash: String,
    attempts: i32,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl TryFrom<OtpRow> for PhoneOtp {
    type Error = AppError;

    fn try_from(r: OtpRow) -> Result<Self, AppError> {
        Ok(Self {
            purpose: stored("identity_phone_otps", &r.purpose)?,
            id: r.id,
            tenant_id: stored_tenant("identity_phone_otps", &r.tenant_id)?,
            phone: r.phone,
            salt: r.salt,
            code_hash: r.code_hash,
            attempts: r.attempts,
            created_at: r.created_at,
            expires_at: r.expires_at,
        })
    }
}

/// Voids the live OTPs of (tenant, phone, purpose) and stores a new one.
pub async fn replace(conn: &impl ConnectionTrait, o: &PhoneOtp) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE identity_phone_otps SET consumed_at = $4 WHERE tenant_id = $1 AND phone = $2 \
         AND purpose = $3 AND consumed_at IS NULL",
        vec![
            tenant_text(o.tenant_id),
            text(&o.phone),
            text(o.purpose.as_str()),
            ts(o.created_at),
        ],
    )
    .await?;
    execute(
        conn,
        "INSERT INTO identity_phone_otps (id, tenant_id, phone, purpose, salt, code_hash, \
         attempts, created_at, expires_at, consumed_at) VALUES ($1,$2,$3,$4,$5,$6,0,$7,$8,NULL)",
        vec![
            text(&o.id),
            tenant_text(o.tenant_id),
            text(&o.phone),
            text(o.purpose.as_str()),
            text(&o.salt),
            text(&o.code_hash),
            ts(o.created_at),
            ts(o.expires_at),
        ],
    )
    .await?;
    Ok(())
}

/// OTPs sent to (tenant, phone) since `since` (any purpose).
pub async fn sent_since(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    phone: &str,
    since: DateTime<Utc>,
) -> Result<i64, AppError> {
    count(
        conn,
        "SELECT COUNT(*) AS n FROM identity_phone_otps \
         WHERE tenant_id = $1 AND phone = $2 AND created_at >= $3",
        vec![tenant_text(tenant), text(phone), ts(since)],
    )
    .await
}

/// The live (unconsumed) OTP of (tenant, phone, purpose), locked: concurrent verifications of
/// one OTP are serialised, so it is consumed once.
pub async fn live_for_update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    phone: &str,
    purpose: OtpPurpose,
) -> Result<Option<PhoneOtp>, AppError> {
    let sql = format!(
        "SELECT id, tenant_id, phone, purpose, salt, code_hash, attempts, created_at, expires_at \
         FROM identity_phone_otps WHERE tenant_id = $1 AND phone = $2 AND purpose = $3 \
         AND consumed_at IS NULL ORDER BY created_at DESC LIMIT 1{}",
        for_update(conn)
    );
    fetch_one::<OtpRow>(
        conn,
        &sql,
        vec![tenant_text(tenant), text(phone), text(purpose.as_str())],
    )
    .await?
    .map(PhoneOtp::try_from)
    .transpose()
}

/// Counts a wrong attempt.
pub async fn count_attempt(conn: &impl ConnectionTrait, id: &str) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_phone_otps SET attempts = attempts + 1 WHERE id = $1",
        vec![text(id)],
    )
    .await
}

/// Consumes the OTP; 0 rows when it was consumed already.
pub async fn consume(
    conn: &impl ConnectionTrait,
    id: &str,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    execute(
        conn,
        "UPDATE identity_phone_otps SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL",
        vec![text(id), ts(now)],
    )
    .await
}
