//! `cnt_engagements`.

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;

use super::super::{execute, uuid};
use crate::AppError;
use crate::app::shares::engagements::Engagement;

/// Inserts `e` at `now` on `day`; false when a unique rule (the client event id, one read per
/// viewer, item and day) already holds a row, so nothing was counted.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    e: &Engagement,
    now: i64,
    day: &str,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO cnt_engagements (tenant, id, kind, content_id, share_link_id, guide_id,
            store_id, campaign_id, viewer, client_event_id, target, day, at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT DO NOTHING",
        [
            uuid(tenant.0),
            uuid(siyu_core::id::new()),
            e.kind.number().into(),
            e.content_id
                .map(|c| c.to_string())
                .unwrap_or_default()
                .into(),
            e.share_link_id
                .map(|c| c.to_string())
                .unwrap_or_default()
                .into(),
            e.sources.guide_id.as_str().into(),
            e.sources.store_id.as_str().into(),
            e.sources.campaign_id.as_str().into(),
            e.viewer.key().into(),
            e.client_event_id.as_str().into(),
            e.target.as_str().into(),
            day.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}
