//! Members with points expiring in a window (ListMembersWithExpiringPoints): their open lots
//! grouped per member, most expiring points first, keyset-paged on (points, member id), within
//! the caller's org scope.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::repo::{fetch_all, placeholders, total, uuid};

/// One member's points expiring in the window.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct ExpiringRow {
    /// The member.
    pub member_id: Uuid,
    /// Points expiring in the window.
    pub expiring_points: i64,
    /// The earliest expiry in the window.
    pub earliest_expiry_at_ms: i64,
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ExpiringFilter {
    /// Window start (exclusive), ms.
    pub from_ms: i64,
    /// Window end (inclusive), ms.
    pub to_ms: i64,
    /// At least this many expiring points.
    pub min_points: i64,
    /// Only members bound to this guide.
    pub guide_id: Option<Uuid>,
    /// Only members whose home store is one of these (`None` = any).
    pub stores: Option<Vec<Uuid>>,
}

/// FROM, WHERE and GROUP BY of the query, with its values.
fn body(tenant: TenantId, f: &ExpiringFilter) -> (String, Vec<Value>) {
    let mut values: Vec<Value> = vec![
        uuid(tenant.0),
        f.from_ms.into(),
        f.to_ms.into(),
        f.min_points.max(1).into(),
    ];
    let mut sql = String::from(
        "FROM mem_lots l JOIN mem_members m ON m.tenant = l.tenant AND m.id = l.member_id \
         LEFT JOIN mem_guide_bindings g ON g.tenant = m.tenant AND g.member_id = m.id \
         AND g.unbound_at_ms IS NULL WHERE l.tenant = $1 AND l.remaining_points > 0 \
         AND l.expires_at_ms > $2 AND l.expires_at_ms <= $3",
    );
    if let Some(guide) = f.guide_id {
        values.push(uuid(guide));
        sql.push_str(&format!(" AND g.guide_id = ${}", values.len()));
    }
    if let Some(stores) = &f.stores {
        if stores.is_empty() {
            sql.push_str(" AND 1 = 0");
        } else {
            let list = placeholders(values.len() + 1, stores.len());
            values.extend(stores.iter().map(|s| uuid(*s)));
            sql.push_str(&format!(" AND m.home_store_id IN ({list})"));
        }
    }
    sql.push_str(" GROUP BY l.member_id HAVING SUM(l.remaining_points) >= $4");
    (sql, values)
}

/// A page of members, most expiring points first, after the cursor (points, member id).
pub async fn page(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &ExpiringFilter,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<ExpiringRow>, AppError> {
    let (mut sql, mut values) = body(tenant, f);
    if let Some((points, member)) = after {
        values.push(points.into());
        values.push(uuid(member));
        let (p, m) = (values.len() - 1, values.len());
        sql.push_str(&format!(
            " AND (SUM(l.remaining_points) < ${p} OR (SUM(l.remaining_points) = ${p} \
             AND l.member_id < ${m}))"
        ));
    }
    values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    let n = values.len();
    fetch_all(
        conn,
        &format!(
            "SELECT l.member_id, CAST(SUM(l.remaining_points) AS BIGINT) AS expiring_points, \
             CAST(MIN(l.expires_at_ms) AS BIGINT) AS earliest_expiry_at_ms {sql} \
             ORDER BY expiring_points DESC, l.member_id DESC LIMIT ${n}"
        ),
        values,
    )
    .await
}

/// How many members match (all pages).
pub async fn count(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &ExpiringFilter,
) -> Result<i64, AppError> {
    let (sql, values) = body(tenant, f);
    total(
        conn,
        &format!("SELECT COUNT(*) AS n FROM (SELECT l.member_id {sql}) x"),
        values,
    )
    .await
}
