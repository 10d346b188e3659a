//! Phone OTPs (SendPhoneOtp and the verification every OTP use shares): limits on sending,
//! attempts, expiry and single use. Logins and binds with an OTP are in `otp_login.rs`.
//!
//! Limits: the 60 s resend interval is an atomic cache claim per (tenant, phone) (`set_if_absent`
//! with a 60 s TTL), so concurrent sends cannot both pass; the daily count (Asia/Shanghai day) is
//! read from the stored OTPs, which the interval keeps at most one per minute; per-IP limits are
//! GCRA buckets (`Cache::rate_limit`). Verification locks the live OTP row, so a code is consumed
//! once: a replay finds no live OTP (OTP_EXPIRED).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{FixedOffset, TimeZone as _};
use siyu_store::RateLimit;

use siyu_core::TenantId;

use crate::app::{App, ClientInfo};
use crate::crypto::{random_bytes, sha256_hex};
use crate::error::AppError;
use crate::repo::consumers::OtpPurpose;
use crate::repo::consumers::otps::{self as repo, PhoneOtp};

/// Seconds an OTP stays valid.
pub const OTP_TTL_SECS: i64 = 300;
/// Seconds between two sends to one phone.
pub const RESEND_SECS: u64 = 60;
/// Sends per phone per day.
pub const DAILY_SENDS: i64 = 10;
/// Wrong attempts that void an OTP.
pub const MAX_ATTEMPTS: i32 = 5;

/// What a send answers.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    /// Sends left today for the phone.
    pub sends_left_today: i64,
}

impl App {
    /// Sends a 6-digit OTP for `purpose` to `phone` (E.164) in `tenant`.
    #[tracing::instrument(skip_all, fields(tenant, purpose))]
    pub async fn send_otp(
        &self,
        tenant: TenantId,
        phone: &str,
        purpose: OtpPurpose,
        client: &ClientInfo,
    ) -> Result<Sent, AppError> {
        let ip = if client.ip.is_empty() {
            "unknown"
        } else {
            &client.ip
        };
        for (window, rate) in [("h", (20, 3600)), ("d", (100, 86_400))] {
            let limit = RateLimit {
                rate: rate.0,
                per: Duration::from_secs(rate.1),
                burst: rate.0,
            };
            let decision = self
                .cache
                .rate_limit(&format!("otp-ip-{window}:{}", sha256_hex(ip)), limit)
                .await?;
            if !decision.allowed {
                return Err(exhausted("OTP_IP_LIMIT", decision.retry_after.as_secs()));
            }
        }
        let now = self.clock.now();
        let shanghai = FixedOffset::east_opt(8 * 3600)
            .ok_or_else(|| AppError::Internal("bad offset".into()))?;
        let local = now.with_timezone(&shanghai).date_naive();
        let day_start = local
            .and_hms_opt(0, 0, 0)
            .and_then(|t| shanghai.from_local_datetime(&t).single())
            .ok_or_else(|| AppError::Internal("bad day start".into()))?
            .to_utc();
        let sent_today = repo::sent_since(&self.db, tenant, phone, day_start).await?;
        if sent_today >= DAILY_SENDS {
            return Err(exhausted("OTP_DAILY_LIMIT", 0));
        }
        let claim = format!("otp-resend:{tenant}:{}", sha256_hex(phone));
        let claimed = self
            .cache
            .set_if_absent(&claim, b"1", Some(Duration::from_secs(RESEND_SECS)))
            .await?;
        if !claimed {
            let left = self
                .cache
                .ttl(&claim)
                .await?
                .map_or(RESEND_SECS, |d| d.as_secs());
            return Err(exhausted("OTP_TOO_FREQUENT", left.max(1)));
        }
        let code = six_digits()?;
        let salt = hex::encode(random_bytes::<16>()?);
        let row = PhoneOtp {
            id: siyu_core::id::new_string(),
            tenant_id: tenant,
            phone: phone.to_owned(),
            purpose,
            code_hash: sha256_hex(&format!("{salt}{code}")),
            salt,
            attempts: 0,
            created_at: now,
            expires_at: now + chrono::Duration::seconds(OTP_TTL_SECS),
        };
        let txn = siyu_store::db::begin_write(&self.db).await?;
        repo::replace(&txn, &row).await?;
        txn.commit().await?;
        if let Err(err) = self.otp_sender.send(phone, &code).await {
            tracing::warn!(error = %err, "otp delivery failed");
            return Err(AppError::SmsUnavailable);
        }
        Ok(Sent {
            sends_left_today: DAILY_SENDS - sent_today - 1,
        })
    }

    /// Verifies and consumes the live OTP of (phone, purpose) inside `txn`. A wrong code is
    /// counted in its own transaction (the caller's rolls back on error).
    pub async fn verify_otp(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        tenant: TenantId,
        phone: &str,
        purpose: OtpPurpose,
        code: &str,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let otp = repo::live_for_update(txn, tenant, phone, purpose)
            .await?
            .ok_or(AppError::OtpExpired)?;
        if otp.expires_at <= now {
            return Err(AppError::OtpExpired);
        }
        if otp.attempts >= MAX_ATTEMPTS {
            return Err(exhausted("OTP_EXHAUSTED", 0));
        }
        let given = sha256_hex(&format!("{}{code}", otp.salt));
        if !constant_time_eq(given.as_bytes(), otp.code_hash.as_bytes()) {
            repo::count_attempt(txn, &otp.id).await?;
            let left = MAX_ATTEMPTS - otp.attempts - 1;
            return Err(if left <= 0 {
                exhausted("OTP_EXHAUSTED", 0)
            } else {
                AppError::OtpInvalid {
                    attempts_left: left,
                }
            });
        }
        if repo::consume(txn, &otp.id, now).await? != 1 {
            return Err(AppError::OtpExpired);
        }
        Ok(())
    }
}

fn exhausted(reason: &'static str, retry_after: u64) -> AppError {
    let mut meta = BTreeMap::new();
    if retry_after > 0 {
        meta.insert("retry_after_seconds".to_owned(), retry_after.to_string());
    }
    AppError::ResourceExhausted { reason, meta }
}

/// A uniformly drawn 6-digit code (rejection sampling over the OS RNG, no modulo bias).
fn six_digits() -> Result<String, AppError> {
    loop {
        let n = u32::from_le_bytes(random_bytes::<4>()?);
        // 4_294_000_000 is the largest multiple of 1_000_000 below 2^32.
        if n < 4_294_000_000 {
            return Ok(format!("{:06}", n % 1_000_000));
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
