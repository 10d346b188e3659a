//! The dynamic member code (动态会员码) of the mini-program's member card: 18 random digits,
//! valid 60 s, resolved by GetMemberByCardNumber, so a screenshot of the card cannot be
//! reused at the till.

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use siyu_core::Ctx;

use crate::app::domain::{MemberId, MemberStatus};
use crate::app::{App, callers};
use crate::{AppError, repo};

/// How long a code is accepted.
pub const CODE_TTL_MS: i64 = 60_000;
/// How long an expired code is kept, so a late scan says "expired" rather than "unknown".
const KEEP_EXPIRED_MS: i64 = 3_600_000;

/// 18 digits; the first is 9 so it never reads as a short number with leading zeros.
fn draw() -> String {
    let mut rng = StdRng::from_os_rng();
    let mut code = String::with_capacity(18);
    code.push('9');
    for _ in 0..17 {
        code.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    code
}

impl App {
    /// IssueMemberCode: a fresh code for the caller's member; answers it and its expiry (ms).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn issue_code(
        &self,
        ctx: &Ctx,
        member: Option<MemberId>,
    ) -> Result<(String, i64), AppError> {
        let m = callers::member(&self.db, ctx, member, false).await?;
        match m.status {
            MemberStatus::Active => {}
            MemberStatus::Frozen => return Err(AppError::MemberFrozen),
            MemberStatus::Closed => return Err(AppError::MemberClosed),
        }
        let now = self.now_ms();
        let expires = now + CODE_TTL_MS;
        repo::members::codes::purge(&self.db, ctx.tenant, now - KEEP_EXPIRED_MS).await?;
        // 10^17 codes: a collision is rare; draw again rather than fail.
        for _ in 0..5 {
            let code = draw();
            if repo::members::codes::insert(&self.db, ctx.tenant, &code, m.id, expires).await? {
                return Ok((code, expires));
            }
        }
        Err(AppError::Internal("no free member code".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eighteen_digits() {
        let code = draw();
        assert_eq!(code.len(), 18);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
    }
}
