//! Member rows changed by a merge of their users (UsersMerged).

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::MemberId;
use crate::repo::{execute, uuid};

/// Points `member` at `user` (the kept user of a merge whose merged user alone was a member);
/// `false` when `user` already has a member of the tenant.
pub async fn repoint(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    user: Uuid,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "UPDATE mem_members SET user_id = $3, updated_at_ms = $4 WHERE tenant = $1 AND id = $2 \
         AND NOT EXISTS (SELECT 1 FROM mem_members o WHERE o.tenant = $1 AND o.user_id = $3)",
        [uuid(tenant.0), uuid(member.0), uuid(user), now_ms.into()],
    )
    .await?;
    Ok(n == 1)
}
