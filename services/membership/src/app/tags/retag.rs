//! Keeping a member's system tags equal to what its purchases say: order events record what
//! each order counts for and retag the member; the nightly pass (`rfm_job.rs`) retags everyone
//! as time passes.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::purchases::{DAY_MS, RfmThresholds, TagOrder, codes};
use super::{TagId, TagKind, rfm_job, system};
use crate::app::App;
use crate::app::domain::MemberId;
use crate::{AppError, repo};

/// What one order event says about its order, as the tags count it.
#[derive(Debug, Clone)]
pub struct OrderFacts {
    /// The order.
    pub order_id: Uuid,
    /// The member who ordered.
    pub member_id: MemberId,
    /// When it was paid (OrderPaid only).
    pub paid_at_ms: Option<i64>,
    /// Paid so far (cash and stored value), fen.
    pub paid_amount: i64,
    /// Refunded so far, fen.
    pub refunded_amount: i64,
    /// Refunded in full.
    pub fully_refunded: bool,
}

impl App {
    /// Records an order event's facts on the order's row (every field only moves forward, so
    /// redelivered and reordered events end the same) and retags the member when they changed
    /// anything. MEMBER_NOT_FOUND for an order of no member of the tenant.
    pub async fn record_order_for_tags(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        f: &OrderFacts,
    ) -> Result<bool, AppError> {
        repo::members::by_id(conn, ctx.tenant, f.member_id, false)
            .await?
            .ok_or(AppError::MemberNotFound)?;
        let now = self.now_ms();
        let old = repo::tags::purchases::lock_order(conn, ctx.tenant, f.order_id, f.member_id, now)
            .await?;
        let new = TagOrder {
            paid: old.paid || f.paid_at_ms.is_some(),
            paid_at_ms: old.paid_at_ms.or(f.paid_at_ms),
            paid_amount: old.paid_amount.max(f.paid_amount),
            refunded_amount: old.refunded_amount.max(f.refunded_amount),
            fully_refunded: old.fully_refunded || f.fully_refunded,
            ..old.clone()
        };
        if new == old {
            return Ok(false);
        }
        repo::tags::purchases::save_order(conn, ctx.tenant, &new, now).await?;
        let thresholds = self.rfm_thresholds(conn, ctx.tenant).await?;
        self.retag_member(conn, ctx.tenant, new.member_id, &thresholds)
            .await?;
        Ok(true)
    }

    /// The tenant's cut points; the first call creates its row with the defaults and schedules
    /// its nightly pass.
    pub(crate) async fn rfm_thresholds(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
    ) -> Result<RfmThresholds, AppError> {
        if let Some((t, _)) = repo::tags::purchases::thresholds(conn, tenant, false).await? {
            return Ok(t);
        }
        let now = self.now_ms();
        let t = RfmThresholds::default();
        let next = rfm_job::next_run_after(now);
        if repo::tags::purchases::insert_thresholds(conn, tenant, &t, next, now).await? {
            rfm_job::schedule(conn, self, tenant, next).await?;
        }
        Ok(t)
    }

    /// Puts on `member` the system tags its statistics say and takes off the others, under the
    /// member's statistics lock; answers the tags it carries now.
    pub(crate) async fn retag_member(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        member: MemberId,
        thresholds: &RfmThresholds,
    ) -> Result<Vec<String>, AppError> {
        let now = self.now_ms();
        system::ensure(conn, tenant, now).await?;
        repo::tags::purchases::lock_member(conn, tenant, member, now).await?;
        let stats = repo::tags::purchases::stats(conn, tenant, member, now - 365 * DAY_MS).await?;
        repo::tags::purchases::save_stats(conn, tenant, member, &stats, now).await?;
        let want_codes = codes(&stats, thresholds, now);
        let tags = repo::tags::purchases::system_tags(conn, tenant).await?;
        let want: Vec<TagId> = tags
            .iter()
            .filter(|(code, _)| want_codes.contains(code))
            .map(|(_, id)| *id)
            .collect();
        let have = repo::tags::tags_of(conn, tenant, member, TagKind::System).await?;
        let off: Vec<TagId> = have.iter().filter(|t| !want.contains(t)).copied().collect();
        let on: Vec<TagId> = want.iter().filter(|t| !have.contains(t)).copied().collect();
        if !off.is_empty() {
            repo::tags::remove_pairs(conn, tenant, &[member], &off).await?;
        }
        if !on.is_empty() {
            repo::tags::add_pairs(conn, tenant, &[member], &on, now).await?;
        }
        Ok(want_codes)
    }
}
