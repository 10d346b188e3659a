//! Segments (人群): saved boolean expressions over tags and member attributes, previewed live,
//! evaluated into frozen snapshots for campaigns and grants, exported page by page, and checked
//! for one member.
//!
//! - **One query.** An expression is checked once ([`expression::Expr::check`]) and compiled
//!   into one SQL condition (`repo::segments::compile`); counting, sampling, membership and the
//!   snapshot all run it, so they never disagree.
//! - **Snapshots.** EvaluateSegment locks the segment row (evaluations of one segment, and an
//!   update racing one, take turns) and writes the snapshot with one `INSERT … SELECT`, so a
//!   snapshot is exactly the matches of one statement and its count is that statement's.
//!   Snapshots live [`SNAPSHOT_TTL_MS`]; an evaluation drops the segment's expired ones.
//! - **Scope.** A store manager's segments are limited to their store (`scope_store_id`); staff
//!   previewing are limited to what their org scope sees.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use siyu_core::Ctx;
use uuid::Uuid;

use crate::app::domain::{MemberId, entry_tier};
use crate::app::{App, org_scope};
use crate::repo::members::Scope;
use crate::repo::segments::{Compiled, Target};
use crate::{AppError, repo};

pub mod expression;

use expression::Expr;

/// How long a snapshot can be exported: seven days.
pub const SNAPSHOT_TTL_MS: i64 = 7 * 86_400_000;
/// Members a preview returns as a sample.
pub const SAMPLE: u64 = 20;
/// The longest a preview may run.
pub const PREVIEW_TIMEOUT: Duration = Duration::from_secs(10);

/// A segment of a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SegmentId(pub Uuid);

/// A snapshot of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SnapshotId(pub Uuid);

/// A saved segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Id.
    pub id: SegmentId,
    /// Display name, 1..50 characters.
    pub name: String,
    /// Description, 0..200 characters.
    pub description: String,
    /// The expression (checked).
    pub expression: Expr,
    /// The store the segment is limited to.
    pub scope_store_id: Option<Uuid>,
    /// Members matched at the last evaluation.
    pub last_count: i64,
    /// When last evaluated.
    pub last_evaluated_at_ms: Option<i64>,
    /// No longer listed, evaluated or exported.
    pub archived: bool,
    /// Last change.
    pub updated_at_ms: i64,
}

/// An UpdateSegment request, parsed: the masked fields' new values.
#[derive(Debug, Clone)]
pub struct SegmentUpdate {
    /// The segment.
    pub id: SegmentId,
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New expression (checked).
    pub expression: Option<Expr>,
}

/// A frozen evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Id.
    pub id: SnapshotId,
    /// The segment.
    pub segment_id: SegmentId,
    /// Members in it.
    pub member_count: i64,
    /// When evaluated.
    pub created_at_ms: i64,
    /// When it stops being exportable.
    pub expires_at_ms: i64,
}

/// One exported member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    /// The member.
    pub member_id: MemberId,
    /// Their identity user.
    pub user_id: Uuid,
    /// Their current guide.
    pub guide_id: Option<Uuid>,
}

/// The store a segment of `ctx` is limited to: HQ may name any store (or none); store staff
/// are limited to one of theirs.
fn segment_store(ctx: &Ctx, requested: Option<Uuid>) -> Result<Option<Uuid>, AppError> {
    match org_scope::scope(ctx)? {
        Scope::All => Ok(requested),
        Scope::Stores(stores) => match (requested, stores.as_slice()) {
            (Some(s), _) if stores.contains(&s) => Ok(Some(s)),
            (None, [only]) => Ok(Some(*only)),
            _ => Err(AppError::OutOfScope(
                "store staff target members of their own store".into(),
            )),
        },
        Scope::Guide(_) => Err(AppError::OutOfScope("guides do not define segments".into())),
    }
}

/// Refuses an expression (at proto path `field`) naming tags the tenant does not have.
async fn require_tags(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    e: &Expr,
    field: &str,
) -> Result<(), AppError> {
    let mut named = Vec::new();
    e.tags(field, &mut named);
    let mut ids: Vec<_> = named
        .iter()
        .map(|(t, _)| crate::app::tags::TagId(*t))
        .collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let found = repo::tags::lock_shared(conn, ctx.tenant, &ids).await?;
    match named
        .iter()
        .find(|(t, _)| !found.iter().any(|f| f.id.0 == *t))
    {
        Some((_, field)) => Err(AppError::InvalidSegmentExpression {
            field: field.clone(),
            why: "no such tag".into(),
        }),
        None => Ok(()),
    }
}

impl App {
    /// Compiles `expr` limited to `store` and `scope` for `conn`'s backend.
    async fn compiled(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        expr: &Expr,
        (store, scope): (Option<Uuid>, &Scope),
    ) -> Result<Compiled, AppError> {
        let tiers = repo::tiers::all(conn, ctx.tenant).await?;
        let target = Target {
            expr,
            store,
            scope,
            entry_tier: entry_tier(&tiers).map(|t| t.code.clone()),
            now_ms: self.now_ms(),
        };
        repo::segments::compile(conn.get_database_backend(), ctx.tenant, &target)
    }

    /// A segment of the tenant (archived too); a store-limited caller only sees theirs for
    /// changes.
    async fn segment(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: SegmentId,
        lock: bool,
    ) -> Result<Segment, AppError> {
        repo::segments::get(conn, ctx.tenant, id, lock)
            .await?
            .ok_or(AppError::SegmentNotFound)
    }

    /// CreateSegment.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_segment(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut s: Segment,
    ) -> Result<Segment, AppError> {
        s.scope_store_id = segment_store(ctx, s.scope_store_id)?;
        require_tags(conn, ctx, &s.expression, "segment.expression").await?;
        s.id = SegmentId(siyu_core::id::new());
        s.last_count = 0;
        s.last_evaluated_at_ms = None;
        s.archived = false;
        s.updated_at_ms = self.now_ms();
        repo::segments::put(conn, ctx.tenant, &s).await?;
        Ok(s)
    }

    /// UpdateSegment: name, description, expression of a live segment.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, segment_id = %u.id.0))]
    pub async fn update_segment(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        u: SegmentUpdate,
    ) -> Result<Segment, AppError> {
        let mut s = self.segment(conn, ctx, u.id, true).await?;
        if s.archived || segment_store(ctx, s.scope_store_id)? != s.scope_store_id {
            return Err(AppError::SegmentNotFound);
        }
        if let Some(n) = u.name {
            s.name = n;
        }
        if let Some(d) = u.description {
            s.description = d;
        }
        if let Some(e) = u.expression {
            require_tags(conn, ctx, &e, "segment.expression").await?;
            s.expression = e;
        }
        s.updated_at_ms = self.now_ms();
        repo::segments::put(conn, ctx.tenant, &s).await?;
        Ok(s)
    }

    /// GetSegment.
    pub async fn get_segment(&self, ctx: &Ctx, id: SegmentId) -> Result<Segment, AppError> {
        self.segment(&self.db, ctx, id, false).await
    }

    /// ListSegments: most recently updated first.
    pub async fn list_segments(
        &self,
        ctx: &Ctx,
        filter: (bool, Option<&str>),
        after: Option<(i64, Uuid)>,
        limit: u64,
    ) -> Result<Vec<Segment>, AppError> {
        repo::segments::list(&self.db, ctx.tenant, filter, after, limit).await
    }

    /// ArchiveSegment: refused while a published template restricts claims to it.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, segment_id = %id.0))]
    pub async fn archive_segment(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: SegmentId,
    ) -> Result<Segment, AppError> {
        let mut s = self.segment(conn, ctx, id, true).await?;
        if s.archived {
            return Ok(s);
        }
        if repo::segments::restricting_templates(conn, ctx.tenant, id).await? > 0 {
            return Err(AppError::SegmentInUse);
        }
        s.archived = true;
        s.updated_at_ms = self.now_ms();
        repo::segments::put(conn, ctx.tenant, &s).await?;
        Ok(s)
    }

    /// PreviewSegment: the count and a sample of what `expr` matches now, within the caller's
    /// scope; nothing is saved.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn preview_segment(
        &self,
        ctx: &Ctx,
        expr: &Expr,
        store: Option<Uuid>,
    ) -> Result<(i64, Vec<MemberId>), AppError> {
        let db: &DatabaseConnection = &self.db;
        require_tags(db, ctx, expr, "expression").await?;
        let scope = org_scope::scope(ctx)?;
        let work = async {
            let c = self.compiled(db, ctx, expr, (store, &scope)).await?;
            let n = repo::segments::count(db, &c).await?;
            let sample = repo::segments::members(db, &c, SAMPLE, false).await?;
            Ok::<_, AppError>((n, sample))
        };
        tokio::time::timeout(PREVIEW_TIMEOUT, work)
            .await
            .map_err(|_| AppError::SegmentEvaluationTimeout)?
    }

    /// EvaluateSegment: a new snapshot of the segment's members now.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, segment_id = %id.0))]
    pub async fn evaluate_segment(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: SegmentId,
    ) -> Result<Snapshot, AppError> {
        let mut s = self.segment(conn, ctx, id, true).await?;
        if s.archived {
            return Err(AppError::SegmentNotFound);
        }
        let now = self.now_ms();
        repo::segments::drop_expired(conn, ctx.tenant, id, now).await?;
        let c = self
            .compiled(conn, ctx, &s.expression, (s.scope_store_id, &Scope::All))
            .await?;
        let mut snap = Snapshot {
            id: SnapshotId(siyu_core::id::new()),
            segment_id: id,
            member_count: 0,
            created_at_ms: now,
            expires_at_ms: now + SNAPSHOT_TTL_MS,
        };
        snap.member_count = repo::segments::snapshot(conn, ctx.tenant, &snap, &c).await?;
        s.last_count = snap.member_count;
        s.last_evaluated_at_ms = Some(now);
        repo::segments::put(conn, ctx.tenant, &s).await?;
        Ok(snap)
    }

    /// The members a segment matches now, up to `limit` by ascending id (bulk grants).
    pub async fn segment_members(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: SegmentId,
        limit: u64,
    ) -> Result<Vec<MemberId>, AppError> {
        let s = self.segment(conn, ctx, id, false).await?;
        if s.archived {
            return Err(AppError::SegmentNotFound);
        }
        let c = self
            .compiled(conn, ctx, &s.expression, (s.scope_store_id, &Scope::All))
            .await?;
        repo::segments::members(conn, &c, limit, true).await
    }

    /// ExportSegmentMembers: a page of a live snapshot, with its total.
    pub async fn export_segment(
        &self,
        ctx: &Ctx,
        id: SnapshotId,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<ExportRow>, i64), AppError> {
        let db: &DatabaseConnection = &self.db;
        let snap = repo::segments::get_snapshot(db, ctx.tenant, id)
            .await?
            .ok_or(AppError::SnapshotNotFound)?;
        let segment = repo::segments::get(db, ctx.tenant, snap.segment_id, false).await?;
        if segment.is_none_or(|s| s.archived) {
            return Err(AppError::SnapshotNotFound);
        }
        if snap.expires_at_ms <= self.now_ms() {
            return Err(AppError::SnapshotExpired);
        }
        let rows = repo::segments::export(db, ctx.tenant, id, after, limit).await?;
        Ok((rows, snap.member_count))
    }

    /// CheckSegmentMembership: whether the member matches the segment now.
    pub async fn check_segment_membership(
        &self,
        ctx: &Ctx,
        id: SegmentId,
        member: MemberId,
    ) -> Result<bool, AppError> {
        let db: &DatabaseConnection = &self.db;
        let s = self.segment(db, ctx, id, false).await?;
        repo::members::by_id(db, ctx.tenant, member, false)
            .await?
            .ok_or(AppError::MemberNotFound)?;
        let c = self
            .compiled(db, ctx, &s.expression, (s.scope_store_id, &Scope::All))
            .await?;
        repo::segments::matches(db, &c, member).await
    }
}
