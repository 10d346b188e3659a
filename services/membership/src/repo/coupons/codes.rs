//! `mem_coupon_codes`: dynamic redemption codes (one per issue, valid a minute), looked up by
//! value; an expired one is reported as such, not as unknown.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::CouponId;
use crate::repo::{execute, fetch_one, uuid};

#[derive(Debug, FromQueryResult)]
struct CodeRow {
    coupon_id: Uuid,
    expires_at_ms: i64,
}

/// Stores `code` for `coupon` until `expires_at_ms`; `false` when the code exists already.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    code: &str,
    coupon: CouponId,
    expires_at_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_coupon_codes (tenant, code, coupon_id, expires_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, code) DO NOTHING",
        [
            uuid(tenant.0),
            code.into(),
            uuid(coupon),
            expires_at_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// The coupon and expiry of `code`, if it was issued.
pub async fn find(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    code: &str,
) -> Result<Option<(CouponId, i64)>, AppError> {
    let row: Option<CodeRow> = fetch_one(
        conn,
        "SELECT coupon_id, expires_at_ms FROM mem_coupon_codes WHERE tenant = $1 AND code = $2",
        [uuid(tenant.0), code.into()],
    )
    .await?;
    Ok(row.map(|r| (r.coupon_id, r.expires_at_ms)))
}

/// Deletes codes that expired before `before_ms`.
pub async fn purge(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    before_ms: i64,
) -> Result<u64, AppError> {
    execute(
        conn,
        "DELETE FROM mem_coupon_codes WHERE tenant = $1 AND expires_at_ms < $2",
        [uuid(tenant.0), before_ms.into()],
    )
    .await
}
