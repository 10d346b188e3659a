//! What the birthday job scans: active members whose birthday (`YYYY-MM-DD`, month and day)
//! is one of the given days, across tenants, by (tenant, id) for keyset paging; and which of
//! them already have this year's birthday grant key.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::MemberStatus;
use crate::repo::{fetch_all, placeholders, uuid};

/// A member whose birthday is today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromQueryResult)]
pub struct BirthdayMember {
    /// The tenant.
    pub tenant: Uuid,
    /// The member.
    pub id: Uuid,
}

/// Up to `limit` active members with a birthday on one of `days` ("MM-DD"), after `after`
/// (tenant, id) in that order.
pub async fn due(
    conn: &impl ConnectionTrait,
    days: &[String],
    after: Option<(Uuid, Uuid)>,
    limit: u64,
) -> Result<Vec<BirthdayMember>, AppError> {
    let mut values: Vec<Value> = vec![Value::SmallInt(Some(MemberStatus::Active.number()))];
    values.extend(days.iter().map(|d| Value::from(d.clone())));
    let mut sql = format!(
        "SELECT tenant, id FROM mem_members WHERE status = $1 AND birthday <> '' \
         AND SUBSTR(birthday, 6, 5) IN ({})",
        placeholders(2, days.len())
    );
    if let Some((tenant, id)) = after {
        let n = values.len();
        sql.push_str(&format!(
            " AND (tenant > ${} OR (tenant = ${} AND id > ${}))",
            n + 1,
            n + 1,
            n + 2
        ));
        values.push(uuid(tenant));
        values.push(uuid(id));
    }
    sql.push_str(&format!(" ORDER BY tenant, id LIMIT {limit}"));
    fetch_all(conn, &sql, values).await
}

#[derive(Debug, FromQueryResult)]
struct KeyRow {
    grant_key: String,
}

/// Which of `keys` the tenant's grants already used.
pub async fn used_keys(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    keys: &[String],
) -> Result<Vec<String>, AppError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut values: Vec<Value> = vec![uuid(tenant.0)];
    values.extend(keys.iter().map(|k| Value::from(k.clone())));
    let rows: Vec<KeyRow> = fetch_all(
        conn,
        &format!(
            "SELECT grant_key FROM mem_coupon_grants WHERE tenant = $1 AND grant_key IN ({})",
            placeholders(2, keys.len())
        ),
        values,
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.grant_key).collect())
}
