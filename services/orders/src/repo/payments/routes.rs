//! `pay_notify_routes`: the opaque key of a tenant merchant's notify URL.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{execute, fetch_one, uuid};
use crate::AppError;

#[derive(Debug, FromQueryResult)]
struct RouteRow {
    route_key: String,
    tenant: Uuid,
    mch_id: String,
}

/// The route key of `(tenant, mch_id)`, creating it with `candidate` when there is none yet
/// (a concurrent creator wins: its key is returned).
pub async fn ensure(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    mch_id: &str,
    candidate: &str,
    now_ms: i64,
) -> Result<String, AppError> {
    execute(
        conn,
        "INSERT INTO pay_notify_routes (route_key, tenant, mch_id, created_at_ms)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        vec![
            candidate.into(),
            uuid(tenant.0),
            mch_id.into(),
            now_ms.into(),
        ],
    )
    .await?;
    let row: Option<RouteRow> = fetch_one(
        conn,
        "SELECT route_key, tenant, mch_id FROM pay_notify_routes WHERE tenant = $1 AND mch_id = $2",
        vec![uuid(tenant.0), mch_id.into()],
    )
    .await?;
    row.map(|r| r.route_key)
        .ok_or_else(|| AppError::Internal("notify route vanished".into()))
}

/// The tenant and merchant id a route key names.
pub async fn find(
    conn: &impl ConnectionTrait,
    route_key: &str,
) -> Result<Option<(TenantId, String)>, AppError> {
    let row: Option<RouteRow> = fetch_one(
        conn,
        "SELECT route_key, tenant, mch_id FROM pay_notify_routes WHERE route_key = $1",
        vec![route_key.into()],
    )
    .await?;
    Ok(row.map(|r| {
        debug_assert_eq!(r.route_key, route_key);
        (TenantId(r.tenant), r.mch_id)
    }))
}
