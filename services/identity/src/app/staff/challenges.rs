//! Login challenge tokens: opaque random tokens kept (SHA-256 keyed) in the cache with their
//! kind, staff and expiry. The expiry is checked against `app.clock` as well as the cache TTL,
//! so the clock seam governs it.

use chrono::{DateTime, Duration, Utc};

use siyu_core::TenantId;

use crate::app::App;
use crate::crypto::{random_token, sha256_hex};
use crate::error::AppError;

/// Lifetime of a login challenge token.
pub const CHALLENGE_SECS: i64 = 300;

/// What a challenge asks for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    /// VerifyStaffTotp.
    Totp,
    /// ChangeStaffPassword with the token.
    PasswordChange,
    /// EnrollTotp then ConfirmTotp with the token.
    TotpEnrollment,
}

impl ChallengeKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::PasswordChange => "password",
            Self::TotpEnrollment => "enroll",
        }
    }
}

/// A live challenge.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// Tenant id.
    pub tenant: TenantId,
    /// Staff id.
    pub staff_id: String,
    /// How the login proved itself so far ("password", "password+totp").
    pub method: String,
}

impl App {
    /// Issues a challenge of `kind` for a staff member; returns (token, expiry).
    pub async fn issue_challenge(
        &self,
        kind: ChallengeKind,
        tenant: TenantId,
        staff_id: &str,
        method: &str,
    ) -> Result<(String, DateTime<Utc>), AppError> {
        let token = random_token()?;
        let expires_at = self.clock.now() + Duration::seconds(CHALLENGE_SECS);
        let value = format!(
            "{}|{tenant}|{staff_id}|{method}|{}",
            kind.as_str(),
            expires_at.timestamp()
        );
        self.cache
            .set(
                &challenge_key(&token),
                value.as_bytes(),
                Some(std::time::Duration::from_secs(
                    CHALLENGE_SECS.unsigned_abs(),
                )),
            )
            .await?;
        Ok((token, expires_at))
    }

    /// The live challenge of `kind` behind `token` (not consumed); CHALLENGE_INVALID when
    /// unknown, used, expired or of another kind.
    pub async fn peek_challenge(
        &self,
        token: &str,
        kind: ChallengeKind,
    ) -> Result<Challenge, AppError> {
        let invalid = || AppError::ChallengeInvalid;
        if token.is_empty() || token.len() > 128 {
            return Err(invalid());
        }
        let value = self
            .cache
            .get(&challenge_key(token))
            .await?
            .ok_or_else(invalid)?;
        let value = String::from_utf8(value).map_err(|_| invalid())?;
        let parts: Vec<&str> = value.split('|').collect();
        let [k, tenant, staff_id, method, expires] = parts.as_slice() else {
            return Err(invalid());
        };
        let expires: i64 = expires.parse().map_err(|_| invalid())?;
        if *k != kind.as_str() || self.clock.now().timestamp() >= expires {
            return Err(invalid());
        }
        Ok(Challenge {
            tenant: TenantId::parse(tenant).map_err(|_| invalid())?,
            staff_id: (*staff_id).to_owned(),
            method: (*method).to_owned(),
        })
    }

    /// Consumes `token`: of concurrent consumers exactly one gets Ok (the cache delete decides).
    pub async fn consume_challenge(&self, token: &str) -> Result<(), AppError> {
        if self.cache.delete(&challenge_key(token)).await? {
            Ok(())
        } else {
            Err(AppError::ChallengeInvalid)
        }
    }
}

fn challenge_key(token: &str) -> String {
    format!("staff-challenge:{}", sha256_hex(token))
}
