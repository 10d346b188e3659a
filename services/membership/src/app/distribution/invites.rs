//! GetInviteCode, ResolveInviteCode, GetReferral, ListInvitees, and the invite code applied at
//! enrolment.

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use crate::app::domain::{MemberId, MemberStatus};
use crate::app::{App, callers};
use crate::repo::distribution::invites::InviteeRow;
use crate::{AppError, repo};

/// The alphabet of invite codes: A-Z and 2-9 (no 0 or 1, which read as O and I).
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ23456789";

fn draw() -> String {
    let mut rng = StdRng::from_os_rng();
    (0..8)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// An invite code as typed: trimmed and upper-cased.
pub fn normalise(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

/// What ResolveInviteCode answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inviter {
    /// The inviter member.
    pub member_id: MemberId,
    /// Its user.
    pub user_id: Uuid,
    /// Whether it is an enabled distributor.
    pub distributor: bool,
}

/// What GetReferral answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    /// Level-1 inviter.
    pub inviter: Option<MemberId>,
    /// Level-2 inviter.
    pub second_inviter: Option<MemberId>,
    /// When the relation was fixed (enrolment), if any.
    pub referred_at_ms: Option<i64>,
    /// Direct invitees.
    pub invitee_count: i64,
    /// Whether the member is an enabled distributor.
    pub distributor: bool,
}

impl App {
    /// GetInviteCode: the member's code, issued on the first call (one per member; concurrent
    /// first calls meet on the unique index and answer the same code).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn invite_code(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: Option<MemberId>,
    ) -> Result<String, AppError> {
        let m = callers::member(conn, ctx, member, false).await?;
        if let Some(code) = repo::distribution::invites::code_of(conn, ctx.tenant, m.id).await? {
            return Ok(code);
        }
        for _ in 0..8 {
            let code = draw();
            if repo::distribution::invites::insert(conn, ctx.tenant, m.id, &code, self.now_ms())
                .await?
            {
                return Ok(code);
            }
            if let Some(code) = repo::distribution::invites::code_of(conn, ctx.tenant, m.id).await?
            {
                return Ok(code);
            }
        }
        Err(AppError::Internal("no free invite code".into()))
    }

    /// ResolveInviteCode.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn resolve_invite_code(&self, ctx: &Ctx, code: &str) -> Result<Inviter, AppError> {
        let member = repo::distribution::invites::resolve(&self.db, ctx.tenant, &normalise(code))
            .await?
            .ok_or(AppError::InviteCodeNotFound)?;
        let m = repo::members::by_id(&self.db, ctx.tenant, member, false)
            .await?
            .ok_or(AppError::InviteCodeNotFound)?;
        let policy = repo::distribution::policy::get(&self.db, ctx.tenant).await?;
        Ok(Inviter {
            member_id: m.id,
            user_id: m.user_id,
            distributor: self.is_distributor(&self.db, ctx, &policy, &m).await?,
        })
    }

    /// The inviter an enrolment's invite code names: an active member other than the user
    /// enrolling; `None` for an unknown code (a stale poster is no reason to refuse a member).
    pub(crate) async fn inviter_by_code(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        code: &str,
        user: Uuid,
    ) -> Result<Option<MemberId>, AppError> {
        if code.trim().is_empty() {
            return Ok(None);
        }
        let Some(member) =
            repo::distribution::invites::resolve(conn, ctx.tenant, &normalise(code)).await?
        else {
            return Ok(None);
        };
        let m = repo::members::by_id(conn, ctx.tenant, member, false).await?;
        Ok(
            m.filter(|m| m.user_id != user && m.status == MemberStatus::Active)
                .map(|m| m.id),
        )
    }

    /// GetReferral: the two inviters above the member (never more), its invitee count.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn referral(
        &self,
        ctx: &Ctx,
        member: Option<MemberId>,
    ) -> Result<Referral, AppError> {
        let m = callers::member(&self.db, ctx, member, false).await?;
        let second = match m.inviter_member_id {
            Some(i) => repo::members::by_id(&self.db, ctx.tenant, i, false)
                .await?
                .and_then(|p| p.inviter_member_id),
            None => None,
        };
        let policy = repo::distribution::policy::get(&self.db, ctx.tenant).await?;
        Ok(Referral {
            inviter: m.inviter_member_id,
            second_inviter: second,
            referred_at_ms: m.inviter_member_id.map(|_| m.enrolled_at_ms),
            invitee_count: repo::distribution::invites::invitee_count(&self.db, ctx.tenant, m.id)
                .await?,
            distributor: self.is_distributor(&self.db, ctx, &policy, &m).await?,
        })
    }

    /// ListInvitees at level 1 or 2.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn invitees(
        &self,
        ctx: &Ctx,
        member: Option<MemberId>,
        level: u8,
        after: Option<(i64, Uuid)>,
        limit: u64,
    ) -> Result<Vec<InviteeRow>, AppError> {
        let m = callers::member(&self.db, ctx, member, false).await?;
        repo::distribution::invites::invitees(&self.db, ctx.tenant, m.id, level, after, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_characters_of_the_alphabet() {
        let code = draw();
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        assert_eq!(normalise(" k7q2m9xa "), "K7Q2M9XA");
    }
}
