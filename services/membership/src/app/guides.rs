//! The exclusive guide relationship (专属导购): binding a member to a guide and store
//! (`bind`), removing and moving bindings in bulk (`reassign`, 离职继承 / 在职转移, also run for
//! identity's StaffDisabled by the tenant's succession rule), and the reads (`reads`).
//!
//! Every change locks the member's row first (Postgres `FOR UPDATE`; SQLite's writer holds the
//! database) and reads the current binding after the lock, so changes of one member run one
//! after another: a binding is closed exactly when its successor opens, at the same instant,
//! and the partial unique index keeps one current binding. A bind shares the guide's row,
//! which disabling the guide updates: no member is bound to a guide after its succession ran.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::App;
use super::domain::{GuideBinding, GuideSource, MemberId, UnbindReason};
use crate::{AppError, events, repo};

pub mod bind;
pub mod policy;
pub mod reads;
pub mod reassign;

/// A binding change, applied to a member whose row the caller locked: closes `current` (if
/// any) with `reason`, opens the new binding at the same instant, and publishes
/// MemberGuideChanged.
#[allow(
    clippy::too_many_arguments,
    reason = "one call site per kind of change"
)]
pub(crate) async fn replace(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    user_id: Uuid,
    member: MemberId,
    current: Option<&GuideBinding>,
    reason: UnbindReason,
    next: (Uuid, Option<Uuid>, GuideSource, String),
    now_ms: i64,
) -> Result<GuideBinding, AppError> {
    if let Some(c) = current
        && !repo::members::guides::close(conn, ctx.tenant, c.id, now_ms, reason, None).await?
    {
        return Err(AppError::Internal(
            "a locked member's binding changed".into(),
        ));
    }
    let (guide_id, store_id, source, note) = next;
    let b = GuideBinding {
        id: siyu_core::id::new(),
        member_id: member,
        guide_id,
        store_id,
        source,
        bound_at_ms: now_ms,
        unbound_at_ms: None,
        unbind_reason: 0,
        changed_by: super::callers::operator(ctx),
        note,
    };
    repo::members::guides::insert(conn, ctx.tenant, &b).await?;
    events::guides::member_guide_changed(
        conn,
        ctx.tenant,
        user_id,
        member,
        current.map(|c| c.guide_id),
        Some(&b),
        now_ms,
    )
    .await?;
    Ok(b)
}

impl App {
    /// A guide's code, checked: identity's StaffDisabled marked the guide inactive.
    pub(crate) async fn require_active_guide(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        guide: Uuid,
    ) -> Result<(), AppError> {
        if repo::members::guides::share_guide(conn, ctx.tenant, guide).await? {
            return Err(AppError::GuideInvalid(guide));
        }
        Ok(())
    }
}
