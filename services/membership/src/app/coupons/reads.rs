//! A member's coupons (我的券), one coupon, and revocation of an unused one.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use super::coupon;
use crate::app::domain::{Coupon, CouponId, CouponStatus, MemberId};
use crate::app::{App, callers, org_scope};
use crate::repo::coupons::MemberCouponFilter;
use crate::{AppError, repo};

impl App {
    /// ListMemberCoupons: by status as of now (default AVAILABLE and PENDING), soonest expiry
    /// first when only those are asked for, newest first otherwise.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn member_coupons(
        &self,
        ctx: &Ctx,
        member: Option<MemberId>,
        mut statuses: Vec<CouponStatus>,
        (after, limit): (Option<(i64, Uuid)>, u64),
    ) -> Result<(Vec<Coupon>, bool), AppError> {
        let now = self.now_ms();
        let m = callers::member(&self.db, ctx, member, false).await?;
        if ctx.principal.kind == PrincipalKind::Staff {
            org_scope::require_on(ctx, &m)?;
        }
        if statuses.is_empty() {
            statuses = vec![CouponStatus::Available, CouponStatus::Pending];
        }
        let by_expiry = statuses
            .iter()
            .all(|s| matches!(s, CouponStatus::Available | CouponStatus::Pending));
        let filter = MemberCouponFilter {
            statuses,
            now_ms: now,
            by_expiry,
        };
        let mut rows =
            repo::coupons::of_member(&self.db, ctx.tenant, m.id, &filter, after, limit).await?;
        for c in &mut rows {
            c.status = c.status_at(now);
        }
        Ok((rows, by_expiry))
    }

    /// GetCoupon: consumers their own only; the status as of now.
    pub async fn get_coupon(&self, ctx: &Ctx, id: CouponId) -> Result<Coupon, AppError> {
        let mut c = coupon(&self.db, ctx, id, false).await?;
        c.status = c.status_at(self.now_ms());
        Ok(c)
    }

    /// RevokeCoupon: an unused coupon (AVAILABLE or not yet valid) becomes REVOKED.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, coupon_id = %id))]
    pub async fn revoke_coupon(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: CouponId,
        reason: &str,
    ) -> Result<Coupon, AppError> {
        let now = self.now_ms();
        let mut c = coupon(conn, ctx, id, true).await?;
        if c.status == CouponStatus::Revoked {
            return Ok(c);
        }
        match c.status_at(now) {
            CouponStatus::Available | CouponStatus::Pending => {}
            _ => return Err(AppError::CouponUnavailable(id)),
        }
        let step = (CouponStatus::Available, CouponStatus::Revoked);
        if !repo::coupons::transition(conn, ctx.tenant, id, step, None, now).await? {
            return Err(AppError::CouponUnavailable(id));
        }
        tracing::info!(operator = %callers::operator(ctx), reason, "coupon revoked");
        c.status = CouponStatus::Revoked;
        Ok(c)
    }
}
