//! GetPaidRenewalReport: per plan, the periods that ended in a window and how many of them
//! the member followed with a new period within the renewal window.

use siyu_core::Ctx;

use crate::app::App;
use crate::app::domain::{PaidPlanId, RenewalQuery, RenewalRow};
use crate::{AppError, repo};

/// The report: one row per plan (by plan id) and the totals.
#[derive(Debug, Clone)]
pub struct RenewalReport {
    /// Per-plan rows, by plan id.
    pub rows: Vec<RenewalRow>,
    /// Totals over all plans.
    pub total: RenewalRow,
}

impl App {
    /// GetPaidRenewalReport.
    pub async fn paid_renewal_report(
        &self,
        ctx: &Ctx,
        q: &RenewalQuery,
    ) -> Result<RenewalReport, AppError> {
        let mut rows = repo::paid::periods::renewals(&self.db, ctx.tenant, q).await?;
        let (active, active_total) =
            repo::paid::periods::active_members(&self.db, ctx.tenant, q.end_ms, q.plan_id).await?;
        for (plan, n) in active {
            match rows.iter_mut().find(|r| r.plan_id == Some(plan)) {
                Some(row) => row.active_members = n,
                None => rows.push(RenewalRow {
                    plan_id: Some(plan),
                    active_members: n,
                    ..RenewalRow::default()
                }),
            }
        }
        rows.sort_by_key(|r| r.plan_id.map(|PaidPlanId(id)| id));
        let total = RenewalRow {
            plan_id: None,
            expired: rows.iter().map(|r| r.expired).sum(),
            renewed: rows.iter().map(|r| r.renewed).sum(),
            active_members: active_total,
        };
        Ok(RenewalReport { rows, total })
    }
}
