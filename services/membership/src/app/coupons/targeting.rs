//! Who a segment targets now: its live condition (the same one query preview, evaluation and
//! CheckSegmentMembership run), for claims of templates restricted to a segment (定向券), bulk
//! grants' snapshot, and ListMembers' `segment_id` filter, which the contract evaluates at
//! request time.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use crate::app::App;
use crate::app::domain::{MemberId, entry_tier};
use crate::app::segments::{Segment, SegmentId};
use crate::repo::members::Scope;
use crate::repo::segments::{Compiled, Target};
use crate::{AppError, repo};

/// The members `segment` matches at `now_ms`, as one SQL condition (limited to the segment's
/// store, not to any caller's scope).
pub(crate) async fn condition(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    segment: &Segment,
    now_ms: i64,
) -> Result<Compiled, AppError> {
    let tiers = repo::tiers::all(conn, ctx.tenant).await?;
    let target = Target {
        expr: &segment.expression,
        store: segment.scope_store_id,
        scope: &Scope::All,
        entry_tier: entry_tier(&tiers).map(|t| t.code.clone()),
        now_ms,
    };
    repo::segments::compile(conn.get_database_backend(), ctx.tenant, &target)
}

/// Whether `member` is in the segment a template names (`claim_segment_id`); a segment that
/// is unknown, archived or unreadable admits nobody.
pub(crate) async fn admits(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    segment: &str,
    member: MemberId,
    now_ms: i64,
) -> Result<bool, AppError> {
    let Ok(id) = Uuid::parse_str(segment) else {
        return Ok(false);
    };
    let Some(s) = repo::segments::get(conn, ctx.tenant, SegmentId(id), false).await? else {
        return Ok(false);
    };
    if s.archived {
        return Ok(false);
    }
    let c = condition(conn, ctx, &s, now_ms).await?;
    repo::segments::matches(conn, &c, member).await
}

impl App {
    /// ListMembers' `segment_id`: the segment's live condition; SEGMENT_NOT_FOUND only when the
    /// tenant has no such segment.
    pub async fn segment_filter(&self, ctx: &Ctx, id: SegmentId) -> Result<Compiled, AppError> {
        let s = repo::segments::get(&self.db, ctx.tenant, id, false)
            .await?
            .ok_or(AppError::SegmentNotFound)?;
        condition(&self.db, ctx, &s, self.now_ms()).await
    }
}
