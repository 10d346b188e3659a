//! `mem_invite_codes` (one code per member, unique per tenant) and the referral reads over
//! `mem_members.inviter_member_id` (fixed at enrolment).

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::MemberId;
use crate::repo::{execute, fetch_all, fetch_one, total, uuid};

#[derive(Debug, FromQueryResult)]
struct CodeRow {
    code: String,
}

/// The member's invite code, if one was issued.
pub async fn code_of(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
) -> Result<Option<String>, AppError> {
    let row: Option<CodeRow> = fetch_one(
        conn,
        "SELECT code FROM mem_invite_codes WHERE tenant = $1 AND member_id = $2",
        [uuid(tenant.0), uuid(member.0)],
    )
    .await?;
    Ok(row.map(|r| r.code))
}

/// Issues `code` to the member; false when the member has one already or the code is taken
/// (the caller reads the member's code, or tries another).
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    code: &str,
    now_ms: i64,
) -> Result<bool, AppError> {
    let n = execute(
        conn,
        "INSERT INTO mem_invite_codes (tenant, code, member_id, created_at_ms) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        [uuid(tenant.0), code.into(), uuid(member.0), now_ms.into()],
    )
    .await?;
    Ok(n == 1)
}

/// The member holding `code`.
pub async fn resolve(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    code: &str,
) -> Result<Option<MemberId>, AppError> {
    #[derive(Debug, FromQueryResult)]
    struct Row {
        member_id: Uuid,
    }
    let row: Option<Row> = fetch_one(
        conn,
        "SELECT member_id FROM mem_invite_codes WHERE tenant = $1 AND code = $2",
        [uuid(tenant.0), code.into()],
    )
    .await?;
    Ok(row.map(|r| MemberId(r.member_id)))
}

/// How many members `member` invited directly.
pub async fn invitee_count(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
) -> Result<i64, AppError> {
    total(
        conn,
        "SELECT COUNT(*) AS n FROM mem_members WHERE tenant = $1 AND inviter_member_id = $2",
        [uuid(tenant.0), uuid(member.0)],
    )
    .await
}

/// One invitee as listed.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct InviteeRow {
    /// The invitee.
    pub id: Uuid,
    /// When they enrolled.
    pub enrolled_at_ms: i64,
    /// Whether they have a paid order (seen by the commission ledger).
    pub has_ordered: bool,
}

/// The members `member` invited at `level` (1 direct, 2 their invitees), newest first, after
/// the cursor (enrolled_at_ms, id).
pub async fn invitees(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    member: MemberId,
    level: u8,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<InviteeRow>, AppError> {
    let inviter = if level == 2 {
        "m.inviter_member_id IN (SELECT p.id FROM mem_members p WHERE p.tenant = $1 \
         AND p.inviter_member_id = $2)"
    } else {
        "m.inviter_member_id = $2"
    };
    let mut values = vec![uuid(tenant.0), uuid(member.0)];
    let mut sql = format!(
        "SELECT m.id, m.enrolled_at_ms, EXISTS (SELECT 1 FROM mem_commission_orders o \
         WHERE o.tenant = m.tenant AND o.buyer_member_id = m.id AND o.paid) AS has_ordered \
         FROM mem_members m WHERE m.tenant = $1 AND {inviter}"
    );
    if let Some((at, id)) = after {
        sql.push_str(" AND (m.enrolled_at_ms < $3 OR (m.enrolled_at_ms = $3 AND m.id < $4))");
        values.extend([at.into(), uuid(id)]);
    }
    sql.push_str(&format!(
        " ORDER BY m.enrolled_at_ms DESC, m.id DESC LIMIT {limit}"
    ));
    fetch_all(conn, &sql, values).await
}
