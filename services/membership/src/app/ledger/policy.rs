//! The tenant's ledger policy: read by everyone of the tenant (checkout's quote), changed by
//! the tenant admin with a field mask.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;

use crate::app::App;
use crate::app::domain::LedgerPolicy;
use crate::{AppError, repo};

/// An UpdateLedgerPolicy request, parsed: the new values and which of them to apply.
#[derive(Debug, Clone)]
pub struct PolicyUpdate {
    /// New values (only the masked fields are read).
    pub policy: LedgerPolicy,
    /// Field names of `LedgerPolicy` to change, validated at the edge.
    pub paths: Vec<String>,
}

impl App {
    /// The tenant's policy.
    pub async fn policy(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
    ) -> Result<LedgerPolicy, AppError> {
        repo::ledger::policy::get(conn, ctx.tenant).await
    }

    /// UpdateLedgerPolicy: applies the masked fields; new expiry settings affect lots created
    /// from now on (existing lots keep their dates).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn update_policy(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        u: PolicyUpdate,
    ) -> Result<LedgerPolicy, AppError> {
        let mut p = repo::ledger::policy::get(conn, ctx.tenant).await?;
        let n = &u.policy;
        for path in &u.paths {
            match path.as_str() {
                "points_per_yuan" => p.points_per_yuan = n.points_per_yuan,
                "max_points_deduction_bps" => {
                    p.max_points_deduction_bps = n.max_points_deduction_bps
                }
                "min_points_per_order" => p.min_points_per_order = n.min_points_per_order,
                "stored_value_enabled" => p.stored_value_enabled = n.stored_value_enabled,
                "points_transfer_enabled" => p.points_transfer_enabled = n.points_transfer_enabled,
                "expiry_mode" => p.expiry_mode = n.expiry_mode,
                "expiry_days" => p.expiry_days = n.expiry_days,
                "expiry_reminder_days" => p.expiry_reminder_days = n.expiry_reminder_days,
                "restored_points_grace_days" => {
                    p.restored_points_grace_days = n.restored_points_grace_days;
                }
                "stored_value_earns" => p.stored_value_earns = n.stored_value_earns,
                other => return Err(AppError::UnknownFieldPath(other.to_owned())),
            }
        }
        repo::ledger::policy::put(conn, ctx.tenant, &p, self.now_ms()).await?;
        Ok(p)
    }
}
