//! GrantCouponsToSegment: a template or pack to every member of a segment, as a leased job in
//! batches. The call records the grant under its business key and enqueues the job; it answers
//! at once with the grant RUNNING, which GetCouponGrant then reports as it progresses.
//!
//! - **Snapshot at start.** The job's first step takes the members the segment matches then
//!   (one `INSERT … SELECT` into `mem_coupon_grant_members`) and their count as `target_count`.
//! - **Batches.** Each later step is one transaction: lock the grant row, read its cursor (the
//!   last member served), serve the next [`GRANT_BATCH`] members by ascending id, add the counts
//!   and move the cursor. A step cut short (a crash, a lost lease, a cancelled task) rolls back
//!   whole, and the next runner starts from the committed cursor: no member is served twice or
//!   skipped. Two runners meet on the grant row and the second reads the first one's cursor.
//! - **Quota and limits.** Unlike a grant to listed members, a quota that cannot cover everyone
//!   does not fail the grant: members beyond it are skipped (COUPON_QUOTA_EXHAUSTED), as are
//!   members over their limit (COUPON_LIMIT_REACHED), gone (MEMBER_NOT_FOUND) or no longer
//!   active (MEMBER_FROZEN). A template stopped or ended midway stops the grant (FAILED, with
//!   why); what was granted stays granted.
//! - **Key.** The fingerprint names the segment, not its members, so a retry after the segment
//!   changed still finds the first grant.

use std::sync::Arc;

use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use siyu_core::{Ctx, TenantId};
use siyu_store::{JobQueue, NewJob};
use uuid::Uuid;

use super::{GrantTarget, Provenance, ended, items, over_limit};
use crate::app::App;
use crate::app::coupons::events::coupon_granted;
use crate::app::coupons::jobs::system_ctx;
use crate::app::coupons::{targeting, template};
use crate::app::domain::{
    Attribution, CouponGrant, CouponSource, GrantStatus, MemberStatus, TemplateStatus,
};
use crate::app::segments::SegmentId;
use crate::repo::coupons::grants::BatchDone;
use crate::{AppError, repo};

/// Job kind of a bulk grant (payload: the grant id).
pub const SEGMENT_GRANT_JOB: &str = "membership.coupon_segment_grant";
/// Members served per transaction.
pub const GRANT_BATCH: u64 = 1_000;

/// A GrantCouponsToSegment request, parsed.
#[derive(Debug, Clone)]
pub struct SegmentGrantRequest {
    /// What to grant each member.
    pub target: GrantTarget,
    /// The segment.
    pub segment: SegmentId,
    /// Business key.
    pub key: String,
    /// How the coupons were issued.
    pub provenance: Provenance,
    /// Audit reason.
    pub reason: String,
}

/// What a bulk grant gives and how, kept with the grant for its job.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Spec {
    template_id: Option<Uuid>,
    quantity: i32,
    pack_id: Option<Uuid>,
    source: i16,
    attribution: Attribution,
}

impl Spec {
    fn of(r: &SegmentGrantRequest) -> Self {
        let (template_id, quantity, pack_id) = match r.target {
            GrantTarget::Template(t, q) => (Some(t), q, None),
            GrantTarget::Pack(p) => (None, 0, Some(p)),
        };
        Self {
            template_id,
            quantity,
            pack_id,
            source: r.provenance.source.number(),
            attribution: r.provenance.attribution.clone(),
        }
    }

    fn target(&self) -> Result<GrantTarget, AppError> {
        match (self.template_id, self.pack_id) {
            (Some(t), None) => Ok(GrantTarget::Template(t, self.quantity)),
            (None, Some(p)) => Ok(GrantTarget::Pack(p)),
            _ => Err(AppError::Internal("bulk grant without a target".into())),
        }
    }
}

/// What one step of a bulk grant did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Took the segment's members (how many).
    Snapshot(i32),
    /// Served a batch.
    Batch(BatchDone),
    /// The grant is over (or was already).
    Done,
}

impl App {
    /// GrantCouponsToSegment: records the grant and enqueues its job; a repeat of `key`
    /// answers the grant as it stands.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, grant_key = %r.key))]
    pub async fn grant_coupons_to_segment(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        r: SegmentGrantRequest,
    ) -> Result<CouponGrant, AppError> {
        let now = self.now_ms();
        let fingerprint = format!(
            "{:?}|{}|segment:{}",
            r.target,
            r.provenance.source.number(),
            r.segment.0
        );
        let grant_id = siyu_core::id::new();
        if let Some((grant, fp)) =
            repo::coupons::grants::claim(conn, ctx.tenant, (&r.key, &fingerprint), grant_id, now)
                .await?
        {
            if fp != fingerprint {
                return Err(AppError::GrantKeyConflict { key: r.key });
            }
            return Ok(grant);
        }
        repo::segments::get(conn, ctx.tenant, r.segment, false)
            .await?
            .filter(|s| !s.archived)
            .ok_or(AppError::SegmentNotFound)?;
        for (id, _) in items(conn, ctx, r.target).await? {
            let t = template(conn, ctx, id, false).await?;
            if t.status != TemplateStatus::Published {
                return Err(AppError::TemplateNotPublished);
            }
            if ended(&t, now) {
                return Err(AppError::TemplateExpired);
            }
        }
        let spec = serde_json::to_string(&Spec::of(&r))
            .map_err(|e| AppError::Internal(format!("grant spec: {e}")))?;
        repo::coupons::grants::start_bulk(conn, ctx.tenant, grant_id, r.segment.0, &spec).await?;
        let mut job = NewJob::new(SEGMENT_GRANT_JOB, grant_id.as_bytes().to_vec());
        job.tenant = Some(ctx.tenant);
        JobQueue::new(self.db.clone(), Arc::clone(&self.clock))
            .enqueue(conn, job)
            .await?;
        tracing::info!(%grant_id, reason = %r.reason, "segment grant started");
        repo::coupons::grants::get(conn, ctx.tenant, grant_id)
            .await?
            .ok_or_else(|| AppError::Internal("grant vanished".into()))
    }

    /// Runs bulk grant `id` to its end, `batch` members per transaction.
    pub async fn run_segment_grant(
        &self,
        tenant: TenantId,
        id: Uuid,
        batch: u64,
    ) -> Result<(), AppError> {
        while self.segment_grant_step(tenant, id, batch).await? != Step::Done {}
        Ok(())
    }

    /// One step of bulk grant `id` in a transaction of its own: the snapshot, the next batch,
    /// or the end.
    pub async fn segment_grant_step(
        &self,
        tenant: TenantId,
        id: Uuid,
        batch: u64,
    ) -> Result<Step, AppError> {
        let txn = siyu_store::db::begin_write(&self.db).await?;
        let ctx = system_ctx(tenant);
        let Some(state) = repo::coupons::grants::lock_bulk(&txn, tenant, id).await? else {
            return Ok(Step::Done);
        };
        if !state.running() {
            return Ok(Step::Done);
        }
        let now = self.now_ms();
        let spec: Spec = serde_json::from_str(&state.spec)
            .map_err(|e| AppError::Internal(format!("grant spec: {e}")))?;
        let step = match state.snapshot_at_ms {
            None => {
                self.take_targets(&txn, &ctx, id, state.segment_id, now)
                    .await?
            }
            Some(_) => {
                self.serve_batch(&txn, &ctx, (id, &spec), state.cursor_member_id, batch)
                    .await?
            }
        };
        txn.commit().await?;
        Ok(step)
    }

    /// Marks bulk grant `id` FAILED with `why` (a refusal its job cannot get past).
    pub async fn fail_segment_grant(
        &self,
        tenant: TenantId,
        id: Uuid,
        why: &str,
    ) -> Result<(), AppError> {
        let now = self.now_ms();
        let end = GrantStatus::Failed;
        repo::coupons::grants::end_bulk(&self.db, tenant, id, end, why, now).await
    }

    async fn take_targets(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        segment: Option<Uuid>,
        now: i64,
    ) -> Result<Step, AppError> {
        let segment = match segment {
            Some(s) => repo::segments::get(conn, ctx.tenant, SegmentId(s), false).await?,
            None => None,
        };
        let Some(segment) = segment.filter(|s| !s.archived) else {
            let failed = GrantStatus::Failed;
            let why = "the segment was archived before the grant started";
            repo::coupons::grants::end_bulk(conn, ctx.tenant, id, failed, why, now).await?;
            return Ok(Step::Done);
        };
        let c = targeting::condition(conn, ctx, &segment, now).await?;
        let n = repo::coupons::grants::snapshot(conn, ctx.tenant, id, &c, now).await?;
        Ok(Step::Snapshot(n))
    }

    async fn serve_batch(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        (id, spec): (Uuid, &Spec),
        after: Option<Uuid>,
        batch: u64,
    ) -> Result<Step, AppError> {
        let now = self.now_ms();
        let members =
            repo::coupons::grants::next_members(conn, ctx.tenant, id, after, batch).await?;
        let Some(last) = members.last().copied() else {
            let done = GrantStatus::Completed;
            repo::coupons::grants::end_bulk(conn, ctx.tenant, id, done, "", now).await?;
            return Ok(Step::Done);
        };
        let mut templates = Vec::new();
        for (tid, q) in items(conn, ctx, spec.target()?).await? {
            let t = template(conn, ctx, tid, true).await?;
            let why = if t.status != TemplateStatus::Published {
                Some(format!("template {tid} is no longer published"))
            } else if ended(&t, now) {
                Some(format!("template {tid} ended"))
            } else {
                None
            };
            if let Some(why) = why {
                let failed = GrantStatus::Failed;
                repo::coupons::grants::end_bulk(conn, ctx.tenant, id, failed, &why, now).await?;
                return Ok(Step::Done);
            }
            templates.push((t, q));
        }
        let how = Provenance {
            source: CouponSource::try_from(spec.source).map_err(AppError::Internal)?,
            attribution: spec.attribution.clone(),
            grant_id: Some(id),
        };
        let mut done = BatchDone::default();
        for m in &members {
            done.processed += 1;
            let Some(m) = repo::members::by_id(conn, ctx.tenant, *m, false).await? else {
                done.skipped += 1;
                continue;
            };
            if m.status != MemberStatus::Active {
                done.skipped += 1;
                continue;
            }
            let mut over = false;
            let mut exhausted = false;
            for (t, q) in &templates {
                over |= over_limit(conn, ctx, t, m.id, *q).await?;
                exhausted |= t.total_quota > 0 && t.issued_count + q > t.total_quota;
            }
            if exhausted || over {
                done.skipped += 1;
                continue;
            }
            let mut theirs = Vec::new();
            for (t, q) in &mut templates {
                theirs.extend(self.issue(conn, ctx, (t, *q), m.id, &how, None).await?);
                // What `issue` added to the row, mirrored for the next member's quota check.
                t.issued_count += *q;
            }
            let grant = (how.source, how.grant_id, &how.attribution);
            coupon_granted(conn, ctx.tenant, &m, &theirs, grant, now).await?;
            done.issued += i32::try_from(theirs.len()).unwrap_or(i32::MAX);
        }
        repo::coupons::grants::advance(conn, ctx.tenant, id, last, done).await?;
        Ok(Step::Batch(done))
    }
}
