//! `mem_member_codes`: dynamic member codes (动态会员码), one row per issued code, valid a minute.
//! A code is looked up by value; an expired one is reported as such, not as unknown.

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;

use crate::AppError;
use crate::app::domain::MemberId;
use crate::repo::{execute, fetch_one, uuid};

#[derive(Debug, FromQueryResult)]
struct CodeRow {
    member_id: uuid::Uuid,
    expires_at_ms: i64,
}

/// Stores `code` for `member` until `expires_at_ms`; `false` when the code exists already (the
/// caller draws another).
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    code: &str,
    member: MemberId,
    expires_at_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_member_codes (tenant, code, member_id, expires_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, code) DO NOTHING",
        [
            uuid(tenant.0),
            code.into(),
            uuid(member.0),
            expires_at_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// The member and expiry of `code`, if it was issued.
pub async fn find(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    code: &str,
) -> Result<Option<(MemberId, i64)>, AppError> {
    let row: Option<CodeRow> = fetch_one(
        conn,
        "SELECT member_id, expires_at_ms FROM mem_member_codes WHERE tenant = $1 AND code = $2",
        [uuid(tenant.0), code.into()],
    )
    .await?;
    Ok(row.map(|r| (MemberId(r.member_id), r.expires_at_ms)))
}

/// Deletes codes that expired before `before_ms` (kept a while so a late scan is told
/// MEMBER_CODE_EXPIRED rather than MEMBER_NOT_FOUND).
pub async fn purge(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    before_ms: i64,
) -> Result<u64, AppError> {
    execute(
        conn,
        "DELETE FROM mem_member_codes WHERE tenant = $1 AND expires_at_ms < $2",
        [uuid(tenant.0), before_ms.into()],
    )
    .await
}
