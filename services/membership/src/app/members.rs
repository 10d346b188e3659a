//! Members (会员): enrolment (`enrol`), profile updates (`update`), the dynamic member code
//! (`codes`), and the reads — by id, by user, by card number, the staff list.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use super::domain::{Member, MemberId, MemberStatus};
use super::{App, callers, org_scope};
use crate::repo::members::{ListFilter, Scope};
use crate::{AppError, repo};

pub mod codes;
pub mod enrol;
pub mod erasure;
pub mod update;

impl App {
    /// GetMember: consumers their own; org-scoped staff members of their stores.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, member_id = %id))]
    pub async fn member(&self, ctx: &Ctx, id: MemberId) -> Result<Member, AppError> {
        let m = callers::member(&self.db, ctx, Some(id), false).await?;
        org_scope::require_on(ctx, &m)?;
        Ok(m)
    }

    /// GetMemberByUser: consumers their own (`user_id` empty or theirs).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn member_of_user(&self, ctx: &Ctx, user: Option<Uuid>) -> Result<Member, AppError> {
        let user = match ctx.principal.kind {
            PrincipalKind::Consumer => {
                let own = callers::consumer_user(ctx)?;
                if user.is_some_and(|u| u != own) {
                    return Err(AppError::MemberNotFound);
                }
                own
            }
            _ => user.ok_or_else(|| AppError::invalid("user_id", "required"))?,
        };
        repo::members::by_user(&self.db, ctx.tenant, user)
            .await?
            .ok_or(AppError::MemberNotFound)
    }

    /// GetMemberByCardNumber: a static card number, else a dynamic member code (an expired code
    /// is MEMBER_CODE_EXPIRED, so the cashier asks for a fresh one).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn member_by_card(&self, ctx: &Ctx, card: &str) -> Result<Member, AppError> {
        if let Some(m) = repo::members::by_card(&self.db, ctx.tenant, card).await? {
            return Ok(m);
        }
        let Some((member, expires_at_ms)) =
            repo::members::codes::find(&self.db, ctx.tenant, card).await?
        else {
            return Err(AppError::MemberNotFound);
        };
        if expires_at_ms <= self.now_ms() {
            return Err(AppError::MemberCodeExpired);
        }
        repo::members::by_id(&self.db, ctx.tenant, member, false)
            .await?
            .ok_or(AppError::MemberNotFound)
    }

    /// ListMembers within the caller's org scope; answers the page and the capped total.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn members(
        &self,
        ctx: &Ctx,
        filter: &ListFilter,
        after: Option<(i64, Uuid)>,
        limit: u64,
    ) -> Result<(Vec<Member>, i64), AppError> {
        let scope: Scope = org_scope::scope(ctx)?;
        let mut filter = filter.clone();
        if filter.statuses.is_empty() {
            filter.statuses = vec![MemberStatus::Active, MemberStatus::Frozen];
        }
        if !filter.tier_codes.is_empty() {
            let tiers = repo::tiers::all(&self.db, ctx.tenant).await?;
            filter.entry_tier_code = crate::app::domain::entry_tier(&tiers).map(|t| t.code.clone());
        }
        repo::members::list(&self.db, ctx.tenant, &filter, &scope, after, limit).await
    }

    /// A member of the tenant by id, for writes that name one (NOT_FOUND otherwise).
    pub async fn existing_member(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: MemberId,
    ) -> Result<Member, AppError> {
        repo::members::by_id(conn, ctx.tenant, id, false)
            .await?
            .ok_or(AppError::MemberNotFound)
    }
}
