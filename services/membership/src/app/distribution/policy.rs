//! The commission policy, per-SKU overrides and the distributor switch.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use crate::app::domain::{CommissionPolicy, MemberId, SkuRate};
use crate::app::{App, callers};
use crate::{AppError, repo};

impl App {
    /// GetCommissionPolicy.
    pub async fn commission_policy(&self, ctx: &Ctx) -> Result<CommissionPolicy, AppError> {
        repo::distribution::policy::get(&self.db, ctx.tenant).await
    }

    /// UpdateCommissionPolicy: `apply` changes the stored policy (the masked fields); the
    /// result must keep level 2 off when its rate is set without it.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn update_commission_policy(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        apply: impl FnOnce(&mut CommissionPolicy),
    ) -> Result<CommissionPolicy, AppError> {
        let mut p = repo::distribution::policy::get(conn, ctx.tenant).await?;
        apply(&mut p);
        if !p.level2_enabled && p.level2_rate_bps > 0 {
            return Err(AppError::invalid(
                "policy.level2_rate_bps",
                "must be 0 unless level2_enabled",
            ));
        }
        repo::distribution::policy::put(conn, ctx.tenant, &p, self.now_ms()).await?;
        Ok(p)
    }

    /// SetSkuCommissionRate.
    pub async fn set_sku_rate(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        rate: SkuRate,
    ) -> Result<SkuRate, AppError> {
        repo::distribution::policy::put_rate(conn, ctx.tenant, &rate, self.now_ms()).await?;
        Ok(rate)
    }

    /// DeleteSkuCommissionRate.
    pub async fn delete_sku_rate(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        sku: Uuid,
    ) -> Result<(), AppError> {
        if !repo::distribution::policy::delete_rate(conn, ctx.tenant, sku).await? {
            return Err(AppError::SkuRateNotFound);
        }
        Ok(())
    }

    /// ListSkuCommissionRates.
    pub async fn sku_rates(
        &self,
        ctx: &Ctx,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<SkuRate>, AppError> {
        repo::distribution::policy::rates(&self.db, ctx.tenant, after, limit).await
    }

    /// SetDistributorEnabled: the switch is stored; answers whether the member is now an
    /// enabled distributor (false while distribution is off).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, member_id = %member))]
    pub async fn set_distributor(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        member: MemberId,
        enabled: bool,
        reason: &str,
    ) -> Result<bool, AppError> {
        let m = callers::member(conn, ctx, Some(member), true).await?;
        let by = callers::operator(ctx);
        repo::distribution::policy::set_distributor(
            conn,
            ctx.tenant,
            m.id,
            enabled,
            reason,
            &by,
            self.now_ms(),
        )
        .await?;
        Ok(enabled)
    }
}
