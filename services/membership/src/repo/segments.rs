//! `mem_segments` (expressions as JSON), `mem_segment_snapshots` and `mem_segment_members`: a
//! snapshot's members are written by one `INSERT … SELECT` of the compiled expression, so they
//! are the matches of one statement's view of the data, and counted by that same statement.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use crate::AppError;
use crate::app::domain::{MemberId, TemplateStatus};
use crate::app::segments::{ExportRow, Segment, SegmentId, Snapshot, SnapshotId};
use crate::app::tags::TagId;
use crate::repo::{
    execute, fetch_all, fetch_one, for_update, from_json, opt_uuid, to_json, total, uuid,
};

pub mod compile;

pub use compile::{Compiled, Target, compile};

const COLUMNS: &str = "id, name, description, expression, scope_store_id, last_count, \
    last_evaluated_at_ms, archived, updated_at_ms";

#[derive(Debug, FromQueryResult)]
struct SegmentRow {
    id: Uuid,
    name: String,
    description: String,
    expression: String,
    scope_store_id: Option<Uuid>,
    last_count: i32,
    last_evaluated_at_ms: Option<i64>,
    archived: bool,
    updated_at_ms: i64,
}

impl TryFrom<SegmentRow> for Segment {
    type Error = AppError;

    fn try_from(r: SegmentRow) -> Result<Self, AppError> {
        Ok(Self {
            id: SegmentId(r.id),
            name: r.name,
            description: r.description,
            expression: from_json("expression", &r.expression)?,
            scope_store_id: r.scope_store_id,
            last_count: i64::from(r.last_count),
            last_evaluated_at_ms: r.last_evaluated_at_ms,
            archived: r.archived,
            updated_at_ms: r.updated_at_ms,
        })
    }
}

/// A segment of the tenant, locked for update when `lock`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: SegmentId,
    lock: bool,
) -> Result<Option<Segment>, AppError> {
    let lock = if lock { for_update(conn) } else { "" };
    let row: Option<SegmentRow> = fetch_one(
        conn,
        &format!("SELECT {COLUMNS} FROM mem_segments WHERE tenant = $1 AND id = $2{lock}"),
        [uuid(tenant.0), uuid(id.0)],
    )
    .await?;
    row.map(Segment::try_from).transpose()
}

/// Inserts or rewrites a segment.
pub async fn put(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    s: &Segment,
) -> Result<(), AppError> {
    let count = i32::try_from(s.last_count).unwrap_or(i32::MAX);
    execute(
        conn,
        "INSERT INTO mem_segments (tenant, id, name, description, expression, scope_store_id, \
         last_count, last_evaluated_at_ms, archived, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (tenant, id) DO UPDATE \
         SET name = excluded.name, description = excluded.description, \
         expression = excluded.expression, last_count = excluded.last_count, \
         last_evaluated_at_ms = excluded.last_evaluated_at_ms, archived = excluded.archived, \
         updated_at_ms = excluded.updated_at_ms",
        [
            uuid(tenant.0),
            uuid(s.id.0),
            s.name.clone().into(),
            s.description.clone().into(),
            to_json(&s.expression)?,
            opt_uuid(s.scope_store_id),
            count.into(),
            Value::BigInt(s.last_evaluated_at_ms),
            s.archived.into(),
            s.updated_at_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// A page of segments, most recently updated first, after `after` (updated, id).
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    (include_archived, query): (bool, Option<&str>),
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<Vec<Segment>, AppError> {
    let mut sql = format!("SELECT {COLUMNS} FROM mem_segments WHERE tenant = $1");
    let mut values = vec![uuid(tenant.0)];
    if !include_archived {
        sql.push_str(" AND archived = FALSE");
    }
    if let Some(q) = query {
        values.push(format!("%{}%", q.replace(['%', '_', '\\'], "")).into());
        sql.push_str(&format!(" AND name LIKE ${}", values.len()));
    }
    if let Some((at, id)) = after {
        let n = values.len();
        sql.push_str(&format!(
            " AND (updated_at_ms < ${a} OR (updated_at_ms = ${a} AND id < ${b}))",
            a = n + 1,
            b = n + 2
        ));
        values.extend([at.into(), uuid(id)]);
    }
    sql.push_str(&format!(
        " ORDER BY updated_at_ms DESC, id DESC LIMIT {limit}"
    ));
    let rows: Vec<SegmentRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter().map(Segment::try_from).collect()
}

#[derive(Debug, FromQueryResult)]
struct IdRow {
    id: Uuid,
}

/// A live (not archived) segment whose expression names `tag`, if any.
pub async fn naming_tag(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    tag: TagId,
) -> Result<Option<Uuid>, AppError> {
    let row: Option<IdRow> = fetch_one(
        conn,
        "SELECT id FROM mem_segments WHERE tenant = $1 AND archived = FALSE \
         AND expression LIKE $2 ORDER BY id LIMIT 1",
        [uuid(tenant.0), format!("%\"{}\"%", tag.0).into()],
    )
    .await?;
    Ok(row.map(|r| r.id))
}

/// What keeps the segment in use (ArchiveSegment's SEGMENT_IN_USE): published coupon
/// templates restricting claims to it, and bulk coupon grants to it still running.
pub async fn restricting_templates(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: SegmentId,
) -> Result<i64, AppError> {
    let templates = total(
        conn,
        "SELECT COUNT(*) AS n FROM mem_coupon_templates WHERE tenant = $1 \
         AND claim_segment_id = $2 AND status = $3",
        [
            uuid(tenant.0),
            id.0.to_string().into(),
            TemplateStatus::Published.number().into(),
        ],
    )
    .await?;
    let grants = total(
        conn,
        "SELECT COUNT(*) AS n FROM mem_coupon_grants WHERE tenant = $1 AND segment_id = $2 \
         AND status = 1",
        [uuid(tenant.0), uuid(id.0)],
    )
    .await?;
    Ok(templates + grants)
}

/// How many members `c` matches.
pub async fn count(conn: &impl ConnectionTrait, c: &Compiled) -> Result<i64, AppError> {
    total(
        conn,
        &format!("SELECT COUNT(*) AS n {}", c.from_where),
        c.values.clone(),
    )
    .await
}

#[derive(Debug, FromQueryResult)]
struct MemberIdRow {
    id: Uuid,
}

/// Up to `limit` matches of `c`, by ascending id when `ordered` (else the first found, which
/// lets the query stop early: a preview's sample).
pub async fn members(
    conn: &impl ConnectionTrait,
    c: &Compiled,
    limit: u64,
    ordered: bool,
) -> Result<Vec<MemberId>, AppError> {
    let order = if ordered { " ORDER BY m.id" } else { "" };
    let rows: Vec<MemberIdRow> = fetch_all(
        conn,
        &format!("SELECT m.id {}{order} LIMIT {limit}", c.from_where),
        c.values.clone(),
    )
    .await?;
    Ok(rows.into_iter().map(|r| MemberId(r.id)).collect())
}

/// Whether `c` matches `member`.
pub async fn matches(
    conn: &impl ConnectionTrait,
    c: &Compiled,
    member: MemberId,
) -> Result<bool, AppError> {
    let mut values = c.values.clone();
    values.push(uuid(member.0));
    let n = total(
        conn,
        &format!(
            "SELECT COUNT(*) AS n {} AND m.id = ${}",
            c.from_where,
            c.next()
        ),
        values,
    )
    .await?;
    Ok(n > 0)
}

/// Writes snapshot `snap` of `c` (header first, then its members in one statement, then the
/// count); answers the member count.
pub async fn snapshot(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    snap: &Snapshot,
    c: &Compiled,
) -> Result<i64, AppError> {
    execute(
        conn,
        "INSERT INTO mem_segment_snapshots (tenant, id, segment_id, member_count, created_at_ms, \
         expires_at_ms) VALUES ($1, $2, $3, 0, $4, $5)",
        [
            uuid(tenant.0),
            uuid(snap.id.0),
            uuid(snap.segment_id.0),
            snap.created_at_ms.into(),
            snap.expires_at_ms.into(),
        ],
    )
    .await?;
    let mut values = c.values.clone();
    values.push(uuid(snap.id.0));
    let n = execute(
        conn,
        &format!(
            // In key order: the index grows at its right edge instead of at random places
            // (a third faster on a million members).
            "INSERT INTO mem_segment_members (tenant, snapshot_id, member_id) \
             SELECT m.tenant, ${}, m.id {} ORDER BY m.id",
            c.next(),
            c.from_where
        ),
        values,
    )
    .await?;
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    execute(
        conn,
        "UPDATE mem_segment_snapshots SET member_count = $3 WHERE tenant = $1 AND id = $2",
        [uuid(tenant.0), uuid(snap.id.0), n.into()],
    )
    .await?;
    Ok(n)
}

/// Deletes the segment's snapshots that expired by `now_ms`, members first.
pub async fn drop_expired(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    segment: SegmentId,
    now_ms: i64,
) -> Result<(), AppError> {
    let values = [uuid(tenant.0), uuid(segment.0), now_ms.into()];
    execute(
        conn,
        "DELETE FROM mem_segment_members WHERE tenant = $1 AND snapshot_id IN (SELECT id FROM \
         mem_segment_snapshots WHERE tenant = $1 AND segment_id = $2 AND expires_at_ms <= $3)",
        values.clone(),
    )
    .await?;
    execute(
        conn,
        "DELETE FROM mem_segment_snapshots WHERE tenant = $1 AND segment_id = $2 \
         AND expires_at_ms <= $3",
        values,
    )
    .await
    .map(|_| ())
}

#[derive(Debug, FromQueryResult)]
struct SnapshotRow {
    id: Uuid,
    segment_id: Uuid,
    member_count: i32,
    created_at_ms: i64,
    expires_at_ms: i64,
}

/// A snapshot of the tenant.
pub async fn get_snapshot(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: SnapshotId,
) -> Result<Option<Snapshot>, AppError> {
    let row: Option<SnapshotRow> = fetch_one(
        conn,
        "SELECT id, segment_id, member_count, created_at_ms, expires_at_ms \
         FROM mem_segment_snapshots WHERE tenant = $1 AND id = $2",
        [uuid(tenant.0), uuid(id.0)],
    )
    .await?;
    Ok(row.map(|r| Snapshot {
        id: SnapshotId(r.id),
        segment_id: SegmentId(r.segment_id),
        member_count: i64::from(r.member_count),
        created_at_ms: r.created_at_ms,
        expires_at_ms: r.expires_at_ms,
    }))
}

#[derive(Debug, FromQueryResult)]
struct ExportDbRow {
    member_id: Uuid,
    user_id: Uuid,
    guide_id: Option<Uuid>,
}

/// A page of a snapshot's members by ascending id after `after`, with user and current guide.
pub async fn export(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: SnapshotId,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<ExportRow>, AppError> {
    let mut values = vec![uuid(tenant.0), uuid(id.0)];
    let from = match after {
        Some(a) => {
            values.push(uuid(a));
            " AND s.member_id > $3"
        }
        None => "",
    };
    let rows: Vec<ExportDbRow> = fetch_all(
        conn,
        &format!(
            "SELECT s.member_id, m.user_id, g.guide_id FROM mem_segment_members s \
             JOIN mem_members m ON m.tenant = s.tenant AND m.id = s.member_id \
             LEFT JOIN mem_guide_bindings g ON g.tenant = s.tenant AND g.member_id = s.member_id \
             AND g.unbound_at_ms IS NULL WHERE s.tenant = $1 AND s.snapshot_id = $2{from} \
             ORDER BY s.member_id LIMIT {limit}"
        ),
        values,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ExportRow {
            member_id: MemberId(r.member_id),
            user_id: r.user_id,
            guide_id: r.guide_id,
        })
        .collect())
}
