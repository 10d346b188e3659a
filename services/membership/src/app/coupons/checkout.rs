//! The checkout saga's coupons: ListUsableCoupons (read-only), LockCoupons (with `revive`),
//! UseCoupons, ReleaseCoupons, RestoreCoupons.
//!
//! The order's lock row is the anchor (see `repo::coupons::locks`): it is inserted before any
//! coupon is touched, so concurrent locks of one order meet on it and one of them locks the
//! coupons; use and release lock the row and move it with a conditional update, so an order's
//! coupons are used or released once, whatever retries and compensations race. Two orders
//! locking one coupon meet on the coupon row (`FOR UPDATE`, then `UPDATE … WHERE status =
//! AVAILABLE`): one locks it, the other gets COUPON_UNAVAILABLE.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use crate::app::domain::coupon_rule::{OrderContext, Unusable, evaluate, stacking_conflict};
use crate::app::domain::{Coupon, CouponId, CouponStatus, MemberId};
use crate::app::{App, callers};
use crate::repo::coupons::locks::LockStatus;
use crate::{AppError, repo};

/// A LockCoupons request, parsed.
#[derive(Debug, Clone)]
pub struct LockRequest {
    /// The member.
    pub member_id: MemberId,
    /// The coupons, distinct and sorted.
    pub coupon_ids: Vec<CouponId>,
    /// The order.
    pub order_id: Uuid,
    /// The order, re-checked.
    pub context: OrderContext,
    /// Lock again after a release.
    pub revive: bool,
}

/// A coupon with its usability for one order.
#[derive(Debug, Clone)]
pub struct Usable {
    /// The coupon, its status as of now.
    pub coupon: Coupon,
    /// Why not usable, if so.
    pub unusable: Option<Unusable>,
    /// Discount when used alone (0 when unusable).
    pub discount: i64,
}

/// Where a coupon that stopped being locked goes: AVAILABLE, or EXPIRED once its validity ended.
fn back_to(c: &Coupon, now_ms: i64) -> CouponStatus {
    if now_ms >= c.valid_until_ms {
        CouponStatus::Expired
    } else {
        CouponStatus::Available
    }
}

impl App {
    /// ListUsableCoupons: the member's AVAILABLE and PENDING coupons and those locked by other
    /// orders, usable first by discount, then the others.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn usable_coupons(
        &self,
        ctx: &Ctx,
        member: Option<MemberId>,
        order: &OrderContext,
    ) -> Result<Vec<Usable>, AppError> {
        let now = self.now_ms();
        let m = callers::member(&self.db, ctx, member, false).await?;
        let filter = repo::coupons::MemberCouponFilter {
            statuses: vec![
                CouponStatus::Available,
                CouponStatus::Pending,
                CouponStatus::Locked,
            ],
            now_ms: now,
            by_expiry: true,
        };
        let coupons =
            repo::coupons::of_member(&self.db, ctx.tenant, m.id, &filter, None, 500).await?;
        let mut out: Vec<Usable> = coupons
            .into_iter()
            .map(|mut c| {
                let status = c.status_at(now);
                c.status = status;
                let verdict = match status {
                    CouponStatus::Pending => Err(Unusable::NotYetValid),
                    CouponStatus::Locked => Err(Unusable::Locked),
                    _ => evaluate(&c.rule, order),
                };
                match verdict {
                    Ok(discount) => Usable {
                        coupon: c,
                        unusable: None,
                        discount,
                    },
                    Err(why) => Usable {
                        coupon: c,
                        unusable: Some(why),
                        discount: 0,
                    },
                }
            })
            .collect();
        out.sort_by_key(|u| (u.unusable.is_some(), std::cmp::Reverse(u.discount)));
        Ok(out)
    }

    /// LockCoupons (see the module docs and the contract).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, order_id = %r.order_id))]
    pub async fn lock_coupons(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        r: LockRequest,
    ) -> Result<Vec<Coupon>, AppError> {
        let now = self.now_ms();
        let fresh = repo::coupons::locks::claim(
            conn,
            ctx.tenant,
            r.order_id,
            r.member_id,
            &r.coupon_ids,
            now,
        )
        .await?;
        if !fresh {
            let lock = repo::coupons::locks::get(conn, ctx.tenant, r.order_id)
                .await?
                .ok_or_else(|| AppError::Internal("coupon lock vanished".into()))?;
            if lock.member_id != r.member_id || lock.coupon_ids != r.coupon_ids {
                return Err(AppError::LockMismatch);
            }
            match (lock.status, r.revive) {
                (LockStatus::Locked, _) => {
                    return repo::coupons::by_ids(conn, ctx.tenant, &r.coupon_ids, false).await;
                }
                (LockStatus::Used, _) => return Err(AppError::CouponsAlreadyUsed),
                (LockStatus::Released, false) => return Err(AppError::CouponsAlreadyReleased),
                (LockStatus::Released, true) => {
                    let moved = repo::coupons::locks::set_status(
                        conn,
                        ctx.tenant,
                        r.order_id,
                        (LockStatus::Released, LockStatus::Locked),
                        "REVIVED",
                        now,
                    )
                    .await?;
                    if !moved {
                        return Err(AppError::Internal("coupon lock moved while held".into()));
                    }
                }
            }
        }
        let member = callers::member(conn, ctx, Some(r.member_id), false).await?;
        if let Some(refusal) = member.refuses_writes() {
            return Err(refusal);
        }
        let coupons = repo::coupons::by_ids(conn, ctx.tenant, &r.coupon_ids, true).await?;
        for id in &r.coupon_ids {
            let Some(c) = coupons.iter().find(|c| c.id == *id) else {
                return Err(AppError::CouponUnavailable(*id));
            };
            if c.member_id != r.member_id {
                return Err(AppError::CouponUnavailable(*id));
            }
            match c.status_at(now) {
                CouponStatus::Available => {}
                CouponStatus::Expired => return Err(AppError::CouponExpired(*id)),
                CouponStatus::Pending => {
                    return Err(AppError::CouponNotApplicable {
                        coupon: *id,
                        reason: Unusable::NotYetValid.name(),
                    });
                }
                _ => return Err(AppError::CouponUnavailable(*id)),
            }
            if let Err(why) = evaluate(&c.rule, &r.context) {
                return Err(AppError::CouponNotApplicable {
                    coupon: *id,
                    reason: why.name(),
                });
            }
        }
        let rules: Vec<_> = coupons.iter().map(|c| &c.rule).collect();
        if let Some(i) = stacking_conflict(&rules) {
            return Err(AppError::CouponNotApplicable {
                coupon: coupons[i].id,
                reason: "STACKING_CONFLICT",
            });
        }
        let mut locked = Vec::with_capacity(coupons.len());
        for mut c in coupons {
            let step = (CouponStatus::Available, CouponStatus::Locked);
            if !repo::coupons::transition(conn, ctx.tenant, c.id, step, Some(r.order_id), now)
                .await?
            {
                return Err(AppError::CouponUnavailable(c.id));
            }
            c.status = CouponStatus::Locked;
            c.order_id = Some(r.order_id);
            locked.push(c);
        }
        Ok(locked)
    }

    /// UseCoupons: the order's locked coupons become USED (a repeat answers them again).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, order_id = %order))]
    pub async fn use_coupons(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order: Uuid,
    ) -> Result<Vec<Coupon>, AppError> {
        let now = self.now_ms();
        let Some(lock) = repo::coupons::locks::get(conn, ctx.tenant, order).await? else {
            return Ok(Vec::new());
        };
        match lock.status {
            LockStatus::Used => return repo::coupons::of_order(conn, ctx.tenant, order).await,
            LockStatus::Released => return Err(AppError::CouponsNotLocked),
            LockStatus::Locked => {}
        }
        let step = (LockStatus::Locked, LockStatus::Used);
        repo::coupons::locks::set_status(conn, ctx.tenant, order, step, "", now).await?;
        let mut used = Vec::new();
        for mut c in repo::coupons::by_ids(conn, ctx.tenant, &lock.coupon_ids, true).await? {
            let step = (CouponStatus::Locked, CouponStatus::Used);
            if !repo::coupons::transition(conn, ctx.tenant, c.id, step, Some(order), now).await? {
                return Err(AppError::Internal(format!("coupon {} not locked", c.id)));
            }
            c.status = CouponStatus::Used;
            c.used_at_ms = Some(now);
            used.push(c);
        }
        Ok(used)
    }

    /// ReleaseCoupons: the order's locked coupons go back (AVAILABLE, or EXPIRED once their
    /// validity ended); none is not an error, a repeat answers them again, used ones refuse.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, order_id = %order))]
    pub async fn release_coupons(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order: Uuid,
        reason: &str,
    ) -> Result<Vec<Coupon>, AppError> {
        let now = self.now_ms();
        let Some(lock) = repo::coupons::locks::get(conn, ctx.tenant, order).await? else {
            return Ok(Vec::new());
        };
        match lock.status {
            LockStatus::Used => return Err(AppError::CouponsAlreadyUsed),
            LockStatus::Released => {
                return repo::coupons::by_ids(conn, ctx.tenant, &lock.coupon_ids, false).await;
            }
            LockStatus::Locked => {}
        }
        let step = (LockStatus::Locked, LockStatus::Released);
        repo::coupons::locks::set_status(conn, ctx.tenant, order, step, reason, now).await?;
        let mut released = Vec::new();
        for mut c in repo::coupons::by_ids(conn, ctx.tenant, &lock.coupon_ids, true).await? {
            let to = back_to(&c, now);
            let step = (CouponStatus::Locked, to);
            if !repo::coupons::transition(conn, ctx.tenant, c.id, step, None, now).await? {
                return Err(AppError::Internal(format!("coupon {} not locked", c.id)));
            }
            c.status = to;
            c.order_id = None;
            released.push(c);
        }
        Ok(released)
    }

    /// RestoreCoupons: after a full refund the order's USED coupons come back (AVAILABLE, or
    /// EXPIRED once their validity ended), once per (order, refund).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, order_id = %order))]
    pub async fn restore_coupons(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        order: Uuid,
        refund: Uuid,
    ) -> Result<Vec<Coupon>, AppError> {
        let now = self.now_ms();
        if let Some(ids) =
            repo::coupons::locks::claim_restore(conn, ctx.tenant, (order, refund), now).await?
        {
            return repo::coupons::by_ids(conn, ctx.tenant, &ids, false).await;
        }
        let mut restored = Vec::new();
        for mut c in repo::coupons::of_order(conn, ctx.tenant, order).await? {
            if c.status != CouponStatus::Used || c.redeemed_store_id.is_some() {
                continue;
            }
            let to = back_to(&c, now);
            let step = (CouponStatus::Used, to);
            if repo::coupons::transition(conn, ctx.tenant, c.id, step, None, now).await? {
                c.status = to;
                c.order_id = None;
                c.used_at_ms = None;
                restored.push(c);
            }
        }
        let ids: Vec<CouponId> = restored.iter().map(|c| c.id).collect();
        repo::coupons::locks::record_restore(conn, ctx.tenant, (order, refund), &ids).await?;
        Ok(restored)
    }
}
