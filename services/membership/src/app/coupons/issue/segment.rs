//! GrantCouponsToSegment: a template or pack to every member a segment matches when the grant
//! starts (one query of the segment, in the grant's transaction), under a business key.
//!
//! Unlike a grant to listed members, a quota that cannot cover everyone does not fail the
//! grant: members are served in id order and those beyond the quota are skipped
//! (COUPON_QUOTA_EXHAUSTED), as are members over their limit. The key's fingerprint names the
//! segment, not its members, so a retry after the segment changed still finds the first grant.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;

use super::{GrantTarget, Granted, Provenance, ended, items, over_limit};
use crate::app::App;
use crate::app::coupons::events::coupon_granted;
use crate::app::coupons::template;
use crate::app::domain::{CouponGrant, Skipped, TemplateStatus};
use crate::app::segments::SegmentId;
use crate::{AppError, repo};

/// Most members one grant serves in its call.
pub const MAX_SEGMENT_GRANT: u64 = 100_000;

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

impl App {
    /// GrantCouponsToSegment: completes in its call; a repeat of `key` answers the first grant.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, grant_key = %r.key))]
    pub async fn grant_coupons_to_segment(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        r: SegmentGrantRequest,
    ) -> Result<Granted, AppError> {
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
            let coupons = repo::coupons::by_grant(conn, ctx.tenant, grant.id).await?;
            return Ok(Granted { grant, coupons });
        }
        let members = self
            .segment_members(conn, ctx, r.segment, MAX_SEGMENT_GRANT + 1)
            .await?;
        if u64::try_from(members.len()).unwrap_or(u64::MAX) > MAX_SEGMENT_GRANT {
            return Err(AppError::SegmentTooLarge {
                limit: MAX_SEGMENT_GRANT,
            });
        }
        let mut templates = Vec::new();
        for (id, q) in items(conn, ctx, r.target).await? {
            let t = template(conn, ctx, id, true).await?;
            if t.status != TemplateStatus::Published {
                return Err(AppError::TemplateNotPublished);
            }
            if ended(&t, now) {
                return Err(AppError::TemplateExpired);
            }
            templates.push((t, q));
        }
        let how = Provenance {
            grant_id: Some(grant_id),
            ..r.provenance
        };
        let mut skipped = Vec::new();
        let mut coupons = Vec::new();
        for id in &members {
            let skip = |reason: &str| Skipped {
                member_id: id.0,
                reason: reason.to_owned(),
            };
            let Some(m) = repo::members::by_id(conn, ctx.tenant, *id, false).await? else {
                skipped.push(skip("MEMBER_NOT_FOUND"));
                continue;
            };
            let mut over = false;
            let mut exhausted = false;
            for (t, q) in &templates {
                over |= over_limit(conn, ctx, t, m.id, *q).await?;
                exhausted |= t.total_quota > 0 && t.issued_count + q > t.total_quota;
            }
            if exhausted {
                skipped.push(skip("COUPON_QUOTA_EXHAUSTED"));
                continue;
            }
            if over {
                skipped.push(skip("COUPON_LIMIT_REACHED"));
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
            coupons.extend(theirs);
        }
        let issued = i32::try_from(coupons.len()).unwrap_or(i32::MAX);
        let target = i32::try_from(members.len()).unwrap_or(i32::MAX);
        repo::coupons::grants::finish(conn, ctx.tenant, grant_id, (target, issued), &skipped)
            .await?;
        tracing::info!(issued, skipped = skipped.len(), reason = %r.reason, "segment granted");
        Ok(Granted {
            grant: CouponGrant {
                id: grant_id,
                target_count: target,
                issued_count: issued,
                skipped,
                created_at_ms: now,
            },
            coupons,
        })
    }
}
