//! Low-stock alerts: StockLow once per downward crossing of the threshold, re-armed when
//! available rises above it again. The flag flip is a conditional update, so of two concurrent
//! transactions crossing the same threshold only one publishes.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use siyu_core::TenantId;

use crate::app::domain::{Location, StockLevel};
use crate::{AppError, repo};

/// Call after any change of a level; costs nothing unless the pair crosses its threshold.
pub async fn after_change(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    location: &Location,
    level: &StockLevel,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let threshold = level.effective_threshold(location.default_low_threshold);
    let low = threshold > 0 && level.available() <= threshold;
    if low && !level.low_alerted {
        if repo::stock::set_low_alerted(conn, tenant, level.sku_id, level.location_id, true).await?
        {
            let skus = repo::skus::get_many(conn, tenant, &[level.sku_id]).await?;
            if let Some(sku) = skus.first() {
                crate::events::publish::stock_low(
                    conn, tenant, sku, location, level, threshold, now,
                )
                .await?;
            }
        }
    } else if !low && level.low_alerted {
        repo::stock::set_low_alerted(conn, tenant, level.sku_id, level.location_id, false).await?;
    }
    Ok(())
}
