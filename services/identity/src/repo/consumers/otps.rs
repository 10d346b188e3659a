//! Phone one-time passwords (hashed, salted).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::repo::{exec, for_update, one, text, ts};

/// A stored OTP.
#[derive(Debug, Clone)]
pub struct OtpRow {
    /// Id.
    pub id: String,
    /// Tenant.
    pub tenant_id: String,
    /// E.164.
    pub phone: String,
    /// LOGIN, BIND, CONFIRM.
    pub purpose: String,
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

/// Voids the live OTPs of (tenant, phone, purpose) and stores a new one.
pub async fn replace(conn: &impl ConnectionTrait, o: &OtpRow) -> Result<(), DbErr> {
    exec(
        conn,
        "UPDATE identity_phone_otps SET consumed_at = $4 WHERE tenant_id = $1 AND phone = $2 \
         AND purpose = $3 AND consumed_at IS NULL",
        vec![
            text(&o.tenant_id),
            text(&o.phone),
            text(&o.purpose),
            ts(o.created_at),
        ],
    )
    .await?;
    exec(
        conn,
        "INSERT INTO identity_phone_otps (id, tenant_id, phone, purpose, salt, code_hash, \
         attempts, created_at, expires_at, consumed_at) VALUES ($1,$2,$3,$4,$5,$6,0,$7,$8,NULL)",
        vec![
            text(&o.id),
            text(&o.tenant_id),
            text(&o.phone),
            text(&o.purpose),
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
    tenant: &str,
    phone: &str,
    since: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let row = one(
        conn,
        "SELECT COUNT(*) AS n FROM identity_phone_otps \
         WHERE tenant_id = $1 AND phone = $2 AND created_at >= $3",
        vec![text(tenant), text(phone), ts(since)],
    )
    .await?;
    Ok(match row {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    })
}

/// The live (unconsumed) OTP of (tenant, phone, purpose), locked: concurrent verifications of
/// one OTP are serialised, so it is consumed once.
pub async fn live_for_update(
    conn: &impl ConnectionTrait,
    tenant: &str,
    phone: &str,
    purpose: &str,
) -> Result<Option<OtpRow>, DbErr> {
    let sql = format!(
        "SELECT id, tenant_id, phone, purpose, salt, code_hash, attempts, created_at, expires_at \
         FROM identity_phone_otps WHERE tenant_id = $1 AND phone = $2 AND purpose = $3 \
         AND consumed_at IS NULL ORDER BY created_at DESC LIMIT 1{}",
        for_update(conn)
    );
    one(conn, &sql, vec![text(tenant), text(phone), text(purpose)])
        .await?
        .map(|row| {
            Ok(OtpRow {
                id: row.try_get("", "id")?,
                tenant_id: row.try_get("", "tenant_id")?,
                phone: row.try_get("", "phone")?,
                purpose: row.try_get("", "purpose")?,
                salt: row.try_get("", "salt")?,
                code_hash: row.try_get("", "code_hash")?,
                attempts: row.try_get("", "attempts")?,
                created_at: row.try_get("", "created_at")?,
                expires_at: row.try_get("", "expires_at")?,
            })
        })
        .transpose()
}

/// Counts a wrong attempt.
pub async fn count_attempt(conn: &impl ConnectionTrait, id: &str) -> Result<u64, DbErr> {
    exec(
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
) -> Result<u64, DbErr> {
    exec(
        conn,
        "UPDATE identity_phone_otps SET consumed_at = $2 WHERE id = $1 AND consumed_at IS NULL",
        vec![text(id), ts(now)],
    )
    .await
}
