//! `mem_coupon_grants`: a grant's business key (GrantCoupons' `grant_key`, an event pack's
//! `event:<trigger>:<member>:<occasion>`) with what it did. The key is inserted first: a
//! concurrent grant with the same key waits on the unique index, then finds the first one.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{CouponGrant, Skipped};
use crate::repo::{execute, fetch_one, from_json, to_json, uuid};

#[derive(Debug, FromQueryResult)]
struct GrantRow {
    id: Uuid,
    fingerprint: String,
    target_count: i32,
    issued_count: i32,
    skipped: String,
    created_at_ms: i64,
}

impl GrantRow {
    fn into_grant(self) -> Result<(CouponGrant, String), AppError> {
        Ok((
            CouponGrant {
                id: self.id,
                target_count: self.target_count,
                issued_count: self.issued_count,
                skipped: from_json("skipped", &self.skipped)?,
                created_at_ms: self.created_at_ms,
            },
            self.fingerprint,
        ))
    }
}

/// Claims `key` for a new grant `id`: `None` when this call inserted it, else the grant the
/// key recorded with its fingerprint.
pub async fn claim(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    (key, fingerprint): (&str, &str),
    id: Uuid,
    now_ms: i64,
) -> Result<Option<(CouponGrant, String)>, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_coupon_grants (tenant, id, grant_key, fingerprint, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, grant_key) DO NOTHING",
        [
            uuid(tenant.0),
            uuid(id),
            key.into(),
            fingerprint.into(),
            now_ms.into(),
        ],
    )
    .await?;
    if n == 1 {
        return Ok(None);
    }
    let row: Option<GrantRow> = fetch_one(
        conn,
        "SELECT id, fingerprint, target_count, issued_count, skipped, created_at_ms \
         FROM mem_coupon_grants WHERE tenant = $1 AND grant_key = $2",
        [uuid(tenant.0), key.into()],
    )
    .await?;
    row.ok_or_else(|| AppError::Internal("grant key vanished".into()))?
        .into_grant()
        .map(Some)
}

/// Records what grant `id` did.
pub async fn finish(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    (target, issued): (i32, i32),
    skipped: &[Skipped],
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE mem_coupon_grants SET target_count = $3, issued_count = $4, skipped = $5 \
         WHERE tenant = $1 AND id = $2",
        [
            uuid(tenant.0),
            uuid(id),
            target.into(),
            issued.into(),
            to_json(&skipped)?,
        ],
    )
    .await
    .map(|_| ())
}

/// A grant of the tenant by id.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<CouponGrant>, AppError> {
    let row: Option<GrantRow> = fetch_one(
        conn,
        "SELECT id, fingerprint, target_count, issued_count, skipped, created_at_ms \
         FROM mem_coupon_grants WHERE tenant = $1 AND id = $2",
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    row.map(|r| r.into_grant().map(|(g, _)| g)).transpose()
}
