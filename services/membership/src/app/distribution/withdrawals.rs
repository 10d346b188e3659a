//! Commission balances and withdrawals (提现). A request locks the member's balance row first,
//! then checks the open request, the minimum and the available balance against committed
//! values and moves the amount from available to withdrawing with a conditional update — so
//! concurrent requests run one after another and never take more than was settled.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind};
use uuid::Uuid;

use crate::app::domain::{
    CommissionBalance, CommissionStatus, MemberId, Withdrawal, WithdrawalStatus,
};
use crate::app::{App, callers};
use crate::{AppError, repo};

impl App {
    /// GetCommissionBalance.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn commission_balance(
        &self,
        ctx: &Ctx,
        member: Option<MemberId>,
    ) -> Result<CommissionBalance, AppError> {
        let m = callers::member(&self.db, ctx, member, false).await?;
        let w =
            repo::distribution::withdrawals::wallet(&self.db, ctx.tenant, m.id, false, 0).await?;
        let net = |s| repo::distribution::entries::net_of(&self.db, ctx.tenant, m.id, s);
        Ok(CommissionBalance {
            pending: net(CommissionStatus::Pending).await?,
            available: w.available,
            withdrawing: w.withdrawing,
            paid_out: w.paid_out,
            lifetime_settled: net(CommissionStatus::Settled).await?,
        })
    }

    /// ListCommissionEntries.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn commission_entries(
        &self,
        ctx: &Ctx,
        member: Option<MemberId>,
        statuses: &[CommissionStatus],
        order: Option<Uuid>,
        after: Option<(i64, Uuid)>,
        limit: u64,
    ) -> Result<Vec<crate::app::domain::CommissionEntry>, AppError> {
        let m = callers::member(&self.db, ctx, member, false).await?;
        repo::distribution::entries::of_member(
            &self.db, ctx.tenant, m.id, statuses, order, after, limit,
        )
        .await
    }

    /// RequestWithdrawal: REQUESTED, or APPROVED at once up to the policy's auto-approve limit.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, amount))]
    pub async fn request_withdrawal(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: Option<MemberId>,
        amount: i64,
    ) -> Result<Withdrawal, AppError> {
        let m = callers::member(conn, ctx, member, false).await?;
        let policy = repo::distribution::policy::get(conn, ctx.tenant).await?;
        if !self.is_distributor(conn, ctx, &policy, &m).await? {
            return Err(AppError::DistributorDisabled);
        }
        if amount < policy.min_withdrawal {
            return Err(AppError::WithdrawalBelowMinimum {
                minimum: policy.min_withdrawal,
            });
        }
        let now_ms = self.now_ms();
        let wallet =
            repo::distribution::withdrawals::wallet(conn, ctx.tenant, m.id, true, now_ms).await?;
        if repo::distribution::withdrawals::has_open(conn, ctx.tenant, m.id).await? {
            return Err(AppError::WithdrawalPending);
        }
        let short = AppError::CommissionInsufficient {
            available: wallet.available,
            requested: amount,
        };
        if wallet.available < amount {
            return Err(short);
        }
        if !repo::distribution::withdrawals::shift(
            conn, ctx.tenant, m.id, -amount, amount, 0, now_ms,
        )
        .await?
        {
            return Err(short);
        }
        let auto = policy.auto_approve_max > 0 && amount <= policy.auto_approve_max;
        let w = Withdrawal {
            id: siyu_core::id::new(),
            member_id: m.id,
            amount,
            status: if auto {
                WithdrawalStatus::Approved
            } else {
                WithdrawalStatus::Requested
            },
            reason: String::new(),
            reviewed_by: if auto { "auto".into() } else { String::new() },
            payout_reference: String::new(),
            requested_at_ms: now_ms,
            updated_at_ms: now_ms,
        };
        if !repo::distribution::withdrawals::insert(conn, ctx.tenant, &w).await? {
            return Err(AppError::WithdrawalPending);
        }
        Ok(w)
    }

    /// ListWithdrawals: a consumer's own; staff and services any member's or all.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn withdrawals(
        &self,
        ctx: &Ctx,
        member: Option<MemberId>,
        statuses: &[WithdrawalStatus],
        after: Option<(i64, Uuid)>,
        limit: u64,
    ) -> Result<Vec<Withdrawal>, AppError> {
        let member = match (ctx.principal.kind, member) {
            (PrincipalKind::Consumer, _) => {
                Some(callers::member(&self.db, ctx, member, false).await?.id)
            }
            (_, Some(m)) => Some(self.existing_member(&self.db, ctx, m).await?.id),
            (_, None) => None,
        };
        repo::distribution::withdrawals::list(&self.db, ctx.tenant, member, statuses, after, limit)
            .await
    }

    /// The withdrawal `id`, locked, with its member's balance row locked after it (the order
    /// every withdrawal change takes).
    async fn locked_withdrawal(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<Withdrawal, AppError> {
        let w = repo::distribution::withdrawals::get(conn, ctx.tenant, id, true)
            .await?
            .ok_or(AppError::WithdrawalNotFound)?;
        repo::distribution::withdrawals::wallet(conn, ctx.tenant, w.member_id, true, self.now_ms())
            .await?;
        Ok(w)
    }

    /// ApproveWithdrawal: REQUESTED → APPROVED (its amount is already withdrawing).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn approve_withdrawal(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<Withdrawal, AppError> {
        let mut w = self.locked_withdrawal(conn, ctx, id).await?;
        if w.status != WithdrawalStatus::Requested {
            return Err(AppError::WithdrawalNotPending);
        }
        w.status = WithdrawalStatus::Approved;
        w.reviewed_by = callers::operator(ctx);
        w.updated_at_ms = self.now_ms();
        repo::distribution::withdrawals::update(conn, ctx.tenant, &w).await?;
        Ok(w)
    }

    /// RejectWithdrawal: REQUESTED → REJECTED, the amount back to available.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn reject_withdrawal(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        reason: String,
    ) -> Result<Withdrawal, AppError> {
        let mut w = self.locked_withdrawal(conn, ctx, id).await?;
        if w.status != WithdrawalStatus::Requested {
            return Err(AppError::WithdrawalNotPending);
        }
        let now_ms = self.now_ms();
        self.give_back(conn, ctx, &w, now_ms).await?;
        w.status = WithdrawalStatus::Rejected;
        w.reason = reason;
        w.reviewed_by = callers::operator(ctx);
        w.updated_at_ms = now_ms;
        repo::distribution::withdrawals::update(conn, ctx.tenant, &w).await?;
        Ok(w)
    }

    /// CompleteWithdrawal: APPROVED → PAID (withdrawing → paid out) or FAILED (back to
    /// available). A repeat with the same outcome answers the withdrawal as it is.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn complete_withdrawal(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        succeeded: bool,
        reference: String,
    ) -> Result<Withdrawal, AppError> {
        let mut w = self.locked_withdrawal(conn, ctx, id).await?;
        match (w.status, succeeded) {
            (WithdrawalStatus::Paid, true) | (WithdrawalStatus::Failed, false) => return Ok(w),
            (WithdrawalStatus::Approved, _) => {}
            _ => return Err(AppError::WithdrawalNotApproved),
        }
        let now_ms = self.now_ms();
        if succeeded {
            if !repo::distribution::withdrawals::shift(
                conn,
                ctx.tenant,
                w.member_id,
                0,
                -w.amount,
                w.amount,
                now_ms,
            )
            .await?
            {
                return Err(AppError::Internal("withdrawing below the payout".into()));
            }
            w.status = WithdrawalStatus::Paid;
            w.payout_reference = reference;
        } else {
            self.give_back(conn, ctx, &w, now_ms).await?;
            w.status = WithdrawalStatus::Failed;
            w.reason = reference;
        }
        w.updated_at_ms = now_ms;
        repo::distribution::withdrawals::update(conn, ctx.tenant, &w).await?;
        Ok(w)
    }

    /// Moves a withdrawal's amount from withdrawing back to available.
    async fn give_back(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        w: &Withdrawal,
        now_ms: i64,
    ) -> Result<(), AppError> {
        if !repo::distribution::withdrawals::shift(
            conn,
            ctx.tenant,
            w.member_id,
            w.amount,
            -w.amount,
            0,
            now_ms,
        )
        .await?
        {
            return Err(AppError::Internal(
                "withdrawing below the withdrawal".into(),
            ));
        }
        Ok(())
    }
}
