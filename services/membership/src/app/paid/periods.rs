//! ActivatePaidMembership, RevokePaidMembership, GetPaidMembership and SetPaidAutoRenew.

use sea_orm::{ConnectionTrait, DatabaseTransaction};
use siyu_core::Ctx;

use crate::app::domain::{
    Activation, MemberId, MemberStatus, PaidMembership, PaidPeriod, PaidPeriodId, Revocation,
};
use crate::app::tiers::add_months;
use crate::app::{App, callers};
use crate::{AppError, repo};

impl App {
    /// The member's paid membership now, read on `conn`.
    async fn paid_membership_of(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: MemberId,
    ) -> Result<PaidMembership, AppError> {
        let auto_renew = repo::paid::periods::auto_renew(conn, ctx.tenant, member)
            .await?
            .unwrap_or(false);
        let periods = repo::paid::periods::of_member(conn, ctx.tenant, member).await?;
        Ok(PaidMembership::at(
            member,
            &periods,
            auto_renew,
            self.now_ms(),
        ))
    }

    /// ActivatePaidMembership: the order's period, laid after the member's last one, with its
    /// benefits (`benefits.rs`): the floor and multiplier applied when it covers now, the month's
    /// pack, and the jobs of its start, end and month anniversaries. A repeat of the order
    /// answers its period; the same order for another member or plan is PAID_ORDER_CONFLICT.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, order_id = %a.order_id))]
    pub async fn activate_paid_membership(
        &self,
        conn: &DatabaseTransaction,
        ctx: &Ctx,
        a: Activation,
    ) -> Result<(PaidPeriod, PaidMembership), AppError> {
        let member = repo::members::by_id(conn, ctx.tenant, a.member_id, false)
            .await?
            .ok_or(AppError::MemberNotFound)?;
        let plan = repo::paid::plans::get(conn, ctx.tenant, a.plan_id)
            .await?
            .ok_or(AppError::PaidPlanNotFound)?;
        let now = self.now_ms();
        repo::paid::periods::lock_member(conn, ctx.tenant, member.id, a.auto_renew, now).await?;
        // Under the lock: a concurrent activation of the same order has committed or not begun.
        if let Some(done) = repo::paid::periods::of_order(conn, ctx.tenant, a.order_id).await? {
            if done.member_id != member.id || done.plan_id != plan.id {
                return Err(AppError::PaidOrderConflict);
            }
            let m = self.paid_membership_of(conn, ctx, member.id).await?;
            return Ok((done, m));
        }
        if member.status == MemberStatus::Closed {
            return Err(AppError::MemberClosed);
        }
        let periods = repo::paid::periods::of_member(conn, ctx.tenant, member.id).await?;
        let live = || periods.iter().filter(|p| p.revoked_at_ms.is_none());
        let first_purchase = live().next().is_none();
        let price = plan.price_for(first_purchase);
        // Orders may have discounted the line; it never charges more than the plan's price.
        if a.amount_paid > price {
            return Err(AppError::PaidPlanPriceMismatch { price });
        }
        let last_end = live().map(|p| p.ends_at_ms).max();
        let renewal = last_end.is_some_and(|end| end >= a.paid_at_ms);
        let starts_at_ms = last_end.map_or(a.paid_at_ms, |end| end.max(a.paid_at_ms));
        let period = PaidPeriod {
            id: PaidPeriodId(siyu_core::id::new()),
            member_id: member.id,
            plan_id: plan.id,
            order_id: a.order_id,
            amount_paid: a.amount_paid,
            starts_at_ms,
            ends_at_ms: add_months(starts_at_ms, plan.period.months()),
            renewal,
            revoked_at_ms: None,
            refund_id: None,
        };
        repo::paid::periods::insert(conn, ctx.tenant, &period, now).await?;
        repo::paid::periods::set_auto_renew(conn, ctx.tenant, member.id, a.auto_renew, now).await?;
        self.apply_paid_benefits(conn, ctx, &member).await?;
        self.grant_month_pack(conn, ctx, &member).await?;
        self.schedule_paid_period(conn, ctx.tenant, &period).await?;
        let m = self.paid_membership_of(conn, ctx, member.id).await?;
        Ok((period, m))
    }

    /// RevokePaidMembership: the order's period is removed and what was left of it is taken
    /// out of the periods after it (they move earlier); the unused coupons of its packs are
    /// revoked and the benefits of the moment applied again (the member falls back to the tier
    /// growth holds unless another period covers now, which then gets the month's pack). A
    /// repeat answers the membership as is.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, order_id = %r.order_id))]
    pub async fn revoke_paid_membership(
        &self,
        conn: &DatabaseTransaction,
        ctx: &Ctx,
        r: Revocation,
    ) -> Result<PaidMembership, AppError> {
        let found = repo::paid::periods::of_order(conn, ctx.tenant, r.order_id)
            .await?
            .ok_or(AppError::PaidPeriodNotFound)?;
        let now = self.now_ms();
        repo::paid::periods::lock_member(conn, ctx.tenant, found.member_id, false, now).await?;
        let periods = repo::paid::periods::of_member(conn, ctx.tenant, found.member_id).await?;
        let Some(period) = periods.iter().find(|p| p.order_id == r.order_id) else {
            return Err(AppError::PaidPeriodNotFound);
        };
        if period.revoked_at_ms.is_none() {
            let unused = period.ends_at_ms - period.starts_at_ms.max(now.min(period.ends_at_ms));
            repo::paid::periods::revoke(conn, ctx.tenant, period.id, r.refund_id, &r.reason, now)
                .await?;
            if unused > 0 {
                for later in periods
                    .iter()
                    .filter(|p| p.revoked_at_ms.is_none() && p.starts_at_ms >= period.ends_at_ms)
                {
                    repo::paid::periods::shift(conn, ctx.tenant, later.id, -unused).await?;
                    let moved = PaidPeriod {
                        starts_at_ms: later.starts_at_ms - unused,
                        ends_at_ms: later.ends_at_ms - unused,
                        ..later.clone()
                    };
                    self.schedule_paid_period(conn, ctx.tenant, &moved).await?;
                }
            }
            let coupons = self.revoke_period_packs(conn, ctx, period).await?;
            tracing::info!(coupons, "paid period revoked");
            if let Some(member) =
                repo::members::by_id(conn, ctx.tenant, found.member_id, false).await?
            {
                self.apply_paid_benefits(conn, ctx, &member).await?;
                // A later period moved up to cover now gets this month's pack in its place.
                self.grant_month_pack(conn, ctx, &member).await?;
            }
        }
        self.paid_membership_of(conn, ctx, found.member_id).await
    }

    /// GetPaidMembership (consumers: their own); never bought reads as inactive.
    pub async fn paid_membership(
        &self,
        ctx: &Ctx,
        requested: Option<MemberId>,
    ) -> Result<PaidMembership, AppError> {
        let member = callers::member(&self.db, ctx, requested, false).await?;
        self.paid_membership_of(&self.db, ctx, member.id).await
    }

    /// SetPaidAutoRenew (consumers: their own): PAID_MEMBERSHIP_NOT_FOUND when never bought.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn set_paid_auto_renew(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        requested: Option<MemberId>,
        auto_renew: bool,
    ) -> Result<PaidMembership, AppError> {
        let member = callers::member(conn, ctx, requested, false).await?;
        let now = self.now_ms();
        if !repo::paid::periods::set_auto_renew(conn, ctx.tenant, member.id, auto_renew, now)
            .await?
        {
            return Err(AppError::PaidMembershipNotFound);
        }
        self.paid_membership_of(conn, ctx, member.id).await
    }
}
