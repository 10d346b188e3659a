//! The jobs pass's reconciliation step: after 10:30 Asia/Shanghai, yesterday's bill of every
//! tenant with a WeChat Pay merchant is imported and then matched once; downloads and runs
//! left behind by a dead process are taken over, and bills not ready yet (or that WeChat failed
//! to give) are asked for again.
//! Every step is claimed in the database, so two passes at once do each thing once.

use chrono::{Duration, NaiveTime};

use super::{STALE_MS, WECHAT_PAY, day_of, import_status};
use crate::AppError;
use crate::app::App;
use crate::repo::reconciliation::{self as repo, runs};

/// Items per step and pass.
const BATCH: i64 = 100;
/// How long a bill that WeChat failed to give waits before the daily step asks again.
const HOUR_MS: i64 = 3_600_000;

impl App {
    /// One reconciliation step; answers how many downloads and runs it finished.
    pub async fn reconcile_due(&self) -> Result<usize, AppError> {
        let now = self.clock.now();
        let now_ms = self.now_ms();
        let mut n = 0;
        let local = now.with_timezone(&super::shanghai());
        let due_at = NaiveTime::from_hms_opt(10, 30, 0).unwrap_or_default();
        if local.time() >= due_at {
            let yesterday = day_of(now) - Duration::days(1);
            for tenant in repo::merchant_tenants(&self.db).await? {
                let import = match repo::of_day(&self.db, tenant, WECHAT_PAY, yesterday).await? {
                    Some(i) => i,
                    None => {
                        match self
                            .import_bill(&self.db, tenant, WECHAT_PAY, yesterday, false)
                            .await
                        {
                            Ok(i) => i,
                            Err(e) => {
                                tracing::warn!(error = %e, tenant = %tenant.0, "daily bill import");
                                continue;
                            }
                        }
                    }
                };
                // WeChat unreachable at the last try: yesterday's bill is asked for again hourly.
                let retry = import.status == import_status::FAILED
                    && repo::retry_unavailable(
                        &self.db,
                        tenant,
                        import.id,
                        now_ms - HOUR_MS,
                        now_ms,
                    )
                    .await?;
                if (import.status == import_status::DOWNLOADING || retry)
                    && self.download_bill(tenant, import.id).await?
                {
                    n += 1;
                }
                let Some(import) = repo::get(&self.db, tenant, import.id).await? else {
                    continue;
                };
                if import.status == import_status::IMPORTED
                    && repo::mark_daily_run(&self.db, tenant, import.id, now_ms).await?
                {
                    let run = runs::start(
                        &self.db, tenant, WECHAT_PAY, yesterday, import.id, "", now_ms,
                    )
                    .await?;
                    n += usize::from(self.run_reconciliation(tenant, run.id).await?);
                }
            }
        }
        for (tenant, id) in repo::waiting(&self.db, now_ms, now_ms - STALE_MS, BATCH).await? {
            n += usize::from(self.download_bill(tenant, id).await?);
        }
        for (tenant, id) in runs::stale(&self.db, now_ms - STALE_MS, BATCH).await? {
            n += usize::from(self.run_reconciliation(tenant, id).await?);
        }
        Ok(n)
    }
}
