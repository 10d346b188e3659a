//! ListGuideMembers and ListGuideBindingHistory: a guide sees their own book and history only;
//! store-scoped staff see the members of their stores.

use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use crate::app::domain::{GuideBinding, Member, MemberId};
use crate::app::{App, callers, org_scope};
use crate::repo::members::Scope;
use crate::repo::members::guides::{BookFilter, HistoryOf};
use crate::{AppError, repo};

/// The calling staff member's id.
fn staff_id(ctx: &Ctx) -> Result<Uuid, AppError> {
    Uuid::parse_str(&ctx.principal.subject)
        .map_err(|_| AppError::OutOfScope("the token names no staff id".into()))
}

/// True when the caller's only admitted role is guide.
fn guide_only(ctx: &Ctx) -> bool {
    ctx.principal.kind == PrincipalKind::Staff
        && !ctx.principal.grants.is_empty()
        && ctx.principal.grants.iter().all(|g| g.role == "guide")
}

impl App {
    /// ListGuideMembers: `guide` empty = the calling guide; a guide may list only their own.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn guide_members(
        &self,
        ctx: &Ctx,
        guide: Option<Uuid>,
        tag_ids: Vec<Uuid>,
        after: Option<(i64, Uuid)>,
        limit: u64,
    ) -> Result<(Vec<Member>, i64), AppError> {
        let mut filter = BookFilter {
            stores: None,
            tag_ids,
        };
        let guide = match org_scope::scope(ctx)? {
            Scope::Guide(me) => {
                if guide.is_some_and(|g| g != me) {
                    return Err(AppError::OutOfScope("guides list their own members".into()));
                }
                me
            }
            Scope::All => guide.map_or_else(|| staff_id(ctx), Ok)?,
            Scope::Stores(stores) => {
                filter.stores = Some(stores);
                guide.map_or_else(|| staff_id(ctx), Ok)?
            }
        };
        repo::members::guides::book(&self.db, ctx.tenant, guide, &filter, after, limit).await
    }

    /// ListGuideBindingHistory of one member or one guide, newest first.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn guide_history(
        &self,
        ctx: &Ctx,
        member: Option<MemberId>,
        guide: Option<Uuid>,
        after: Option<(i64, Uuid)>,
        limit: u64,
    ) -> Result<Vec<GuideBinding>, AppError> {
        let of = match (member, guide) {
            (Some(m), None) => {
                if guide_only(ctx) {
                    return Err(AppError::OutOfScope(
                        "guides read the history of their own guide_id".into(),
                    ));
                }
                // Another tenant's (or an unknown) member is NOT_FOUND.
                let m = callers::member(&self.db, ctx, Some(m), false).await?;
                HistoryOf::Member(m.id)
            }
            (None, Some(g)) => {
                if ctx.principal.kind != PrincipalKind::Staff {
                    return Err(AppError::OutOfScope(
                        "services read a member's history".into(),
                    ));
                }
                if guide_only(ctx) && g != staff_id(ctx)? {
                    return Err(AppError::OutOfScope(
                        "guides read the history of their own guide_id".into(),
                    ));
                }
                HistoryOf::Guide(g)
            }
            _ => {
                return Err(AppError::invalid(
                    "member_id",
                    "exactly one of member_id and guide_id",
                ));
            }
        };
        repo::members::guides::history(&self.db, ctx.tenant, of, after, limit).await
    }
}
