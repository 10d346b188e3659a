//! BindGuide and UnbindGuide.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use crate::app::domain::{GuideBinding, GuideSource, MemberId, MemberStatus, UnbindReason};
use crate::app::{App, callers};
use crate::{AppError, events, repo};

/// A BindGuide request, parsed.
#[derive(Debug, Clone)]
pub struct Bind {
    /// The member (consumers: none, their own).
    pub member: Option<MemberId>,
    /// The guide (staff id).
    pub guide_id: Uuid,
    /// The store the guide serves the member from.
    pub store_id: Uuid,
    /// How it came about.
    pub source: GuideSource,
    /// Note for the history.
    pub note: String,
}

/// What BindGuide answers.
#[derive(Debug, Clone)]
pub struct Bound {
    /// The binding now current.
    pub binding: GuideBinding,
    /// True when the current guide changed.
    pub changed: bool,
}

/// The sources each kind of caller may bind with (the contract's "Callers:" line).
fn source_allowed(kind: PrincipalKind, source: GuideSource) -> bool {
    match kind {
        PrincipalKind::Consumer => {
            matches!(source, GuideSource::GuideQr | GuideSource::ShareLink)
        }
        PrincipalKind::Staff => source == GuideSource::Staff,
        PrincipalKind::Partner => source == GuideSource::Partner,
        PrincipalKind::Service => false,
    }
}

impl App {
    /// BindGuide: consumer scans keep an active current guide (unless the tenant's latest scan
    /// wins); staff and partners replace it. The same guide and store again changes nothing.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, guide_id = %b.guide_id))]
    pub async fn bind_guide(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        b: Bind,
    ) -> Result<Bound, AppError> {
        if !source_allowed(ctx.principal.kind, b.source) {
            return Err(AppError::invalid(
                "source",
                "consumers bind by GUIDE_QR or SHARE_LINK, staff by STAFF, partners by PARTNER",
            ));
        }
        let member = callers::member(conn, ctx, b.member, true).await?;
        if member.status == MemberStatus::Closed {
            return Err(AppError::MemberClosed);
        }
        self.require_active_guide(conn, ctx, b.guide_id).await?;
        let current = repo::members::guides::current(conn, ctx.tenant, member.id).await?;
        if let Some(c) = &current {
            if c.guide_id == b.guide_id && c.store_id == Some(b.store_id) {
                return Ok(Bound {
                    binding: c.clone(),
                    changed: false,
                });
            }
            let consumer = ctx.principal.kind == PrincipalKind::Consumer;
            if consumer
                && !repo::members::guides::policy(conn, ctx.tenant)
                    .await?
                    .latest_scan_wins
                && !repo::members::guides::share_guide(conn, ctx.tenant, c.guide_id).await?
            {
                return Ok(Bound {
                    binding: c.clone(),
                    changed: false,
                });
            }
        }
        let binding = super::replace(
            conn,
            ctx,
            member.user_id,
            member.id,
            current.as_ref(),
            UnbindReason::Replaced,
            (b.guide_id, Some(b.store_id), b.source, b.note),
            self.now_ms(),
        )
        .await?;
        Ok(Bound {
            binding,
            changed: true,
        })
    }

    /// UnbindGuide: closes the member's current binding (STAFF_REMOVED, the note kept on it).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, member_id = %member))]
    pub async fn unbind_guide(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: MemberId,
        note: String,
    ) -> Result<GuideBinding, AppError> {
        let m = callers::member(conn, ctx, Some(member), true).await?;
        let Some(mut current) = repo::members::guides::current(conn, ctx.tenant, m.id).await?
        else {
            return Err(AppError::NoGuideBound);
        };
        let now_ms = self.now_ms();
        let reason = UnbindReason::StaffRemoved;
        repo::members::guides::close(conn, ctx.tenant, current.id, now_ms, reason, Some(&note))
            .await?;
        events::guides::member_guide_changed(
            conn,
            ctx.tenant,
            m.user_id,
            m.id,
            Some(current.guide_id),
            None,
            now_ms,
        )
        .await?;
        current.unbound_at_ms = Some(now_ms);
        current.unbind_reason = reason.number();
        current.note = note;
        Ok(current)
    }
}
