//! `cnt_contents` and `cnt_versions`: an item's row joined with its latest version's snapshot;
//! the live version's snapshot and its flattened tags, products and audience on the item row.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{
    execute, fetch_all, fetch_one, for_update, limit, opt_i64, opt_uuid, piped, placeholders,
    stored, uuid,
};
use crate::AppError;
use crate::app::contents::model::{Content, Snapshot, Version};

mod lists;

pub use lists::{list, published};

pub(super) const SELECT: &str = "SELECT c.id, c.kind, c.status, c.version, c.published_version,
        c.scheduled_version, c.scheduled_at_ms, c.first_published_at_ms, c.published_at_ms,
        c.expire_at_ms, c.owner_org_unit_id, c.created_by, c.updated_by, c.created_at_ms,
        c.updated_at_ms, c.row_version, v.snapshot, c.live_snapshot
    FROM cnt_contents c
    JOIN cnt_versions v ON v.tenant = c.tenant AND v.content_id = c.id AND v.version = c.version";

#[derive(Debug, FromQueryResult)]
pub(super) struct ContentRow {
    id: Uuid,
    kind: i16,
    status: i16,
    version: i32,
    published_version: i32,
    scheduled_version: Option<i32>,
    scheduled_at_ms: Option<i64>,
    first_published_at_ms: Option<i64>,
    published_at_ms: Option<i64>,
    expire_at_ms: Option<i64>,
    owner_org_unit_id: Option<Uuid>,
    created_by: String,
    updated_by: String,
    created_at_ms: i64,
    updated_at_ms: i64,
    row_version: i64,
    snapshot: String,
    live_snapshot: String,
}

fn decode(json: &str) -> Result<Snapshot, AppError> {
    serde_json::from_str(json).map_err(|e| AppError::Internal(format!("stored snapshot: {e}")))
}

fn encode(snapshot: &Snapshot) -> Result<String, AppError> {
    serde_json::to_string(snapshot).map_err(|e| AppError::Internal(format!("snapshot: {e}")))
}

impl ContentRow {
    fn into_content(self) -> Result<Content, AppError> {
        Ok(Content {
            id: self.id,
            kind: stored(self.kind)?,
            status: stored(self.status)?,
            version: self.version,
            published_version: self.published_version,
            scheduled_version: self.scheduled_version,
            scheduled_at_ms: self.scheduled_at_ms,
            first_published_at_ms: self.first_published_at_ms,
            published_at_ms: self.published_at_ms,
            expire_at_ms: self.expire_at_ms,
            owner_org_unit_id: self.owner_org_unit_id,
            created_by: self.created_by,
            updated_by: self.updated_by,
            created_at_ms: self.created_at_ms,
            updated_at_ms: self.updated_at_ms,
            row_version: self.row_version,
            latest: decode(&self.snapshot)?,
            live: if self.live_snapshot.is_empty() {
                None
            } else {
                Some(decode(&self.live_snapshot)?)
            },
        })
    }
}

pub(super) fn contents(rows: Vec<ContentRow>) -> Result<Vec<Content>, AppError> {
    rows.into_iter().map(ContentRow::into_content).collect()
}

/// The columns [`save`] and [`insert`] write, in order, from `c`.
fn columns(c: &Content) -> Result<Vec<Value>, AppError> {
    let live = c.live.as_ref();
    Ok(vec![
        c.status.number().into(),
        c.version.into(),
        c.published_version.into(),
        Value::Int(c.scheduled_version),
        opt_i64(c.scheduled_at_ms),
        opt_i64(c.first_published_at_ms),
        opt_i64(c.published_at_ms),
        opt_i64(c.expire_at_ms),
        opt_uuid(c.owner_org_unit_id),
        c.latest.body.title().to_lowercase().into(),
        piped(&c.latest.tags).into(),
        piped(&c.latest.product_ids).into(),
        live.map(encode).transpose()?.unwrap_or_default().into(),
        live.map(|l| piped(&l.tags)).unwrap_or_default().into(),
        live.map(|l| piped(&l.product_ids))
            .unwrap_or_default()
            .into(),
        live.map(|l| piped(&l.audience.org_unit_ids))
            .unwrap_or_default()
            .into(),
        live.map(|l| piped(&l.audience.segment_ids))
            .unwrap_or_default()
            .into(),
        c.updated_by.as_str().into(),
        c.updated_at_ms.into(),
        c.row_version.into(),
    ])
}

/// Inserts a new item (its version is written by [`insert_version`]).
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    c: &Content,
) -> Result<(), AppError> {
    let mut values = vec![
        uuid(tenant.0),
        uuid(c.id),
        c.kind.number().into(),
        c.created_by.as_str().into(),
        c.created_at_ms.into(),
    ];
    values.extend(columns(c)?);
    execute(
        conn,
        "INSERT INTO cnt_contents (tenant, id, kind, created_by, created_at_ms,
            status, version, published_version, scheduled_version, scheduled_at_ms,
            first_published_at_ms, published_at_ms, expire_at_ms, owner_org_unit_id, title, tags,
            product_ids, live_snapshot, live_tags, live_products, live_org_units, live_segments,
            updated_by, updated_at_ms, row_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
            $19, $20, $21, $22, $23, $24, $25)",
        values,
    )
    .await?;
    Ok(())
}

/// Writes `c` if its stored row version is still `read`; false when another change came first.
pub async fn save(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    c: &Content,
    read: i64,
) -> Result<bool, AppError> {
    let mut values = columns(c)?;
    values.extend([uuid(tenant.0), uuid(c.id), read.into()]);
    let n = execute(
        conn,
        "UPDATE cnt_contents SET status = $1, version = $2, published_version = $3,
            scheduled_version = $4, scheduled_at_ms = $5, first_published_at_ms = $6,
            published_at_ms = $7, expire_at_ms = $8, owner_org_unit_id = $9, title = $10,
            tags = $11, product_ids = $12, live_snapshot = $13, live_tags = $14,
            live_products = $15, live_org_units = $16, live_segments = $17, updated_by = $18,
            updated_at_ms = $19, row_version = $20
         WHERE tenant = $21 AND id = $22 AND row_version = $23",
        values,
    )
    .await?;
    Ok(n == 1)
}

/// Writes a version.
pub async fn insert_version(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    v: &Version,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO cnt_versions (tenant, content_id, version, snapshot, note, created_by,
            created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            uuid(tenant.0),
            uuid(v.content_id),
            v.version.into(),
            encode(&v.snapshot)?.into(),
            v.note.as_str().into(),
            v.created_by.as_str().into(),
            v.created_at_ms.into(),
        ],
    )
    .await?;
    Ok(())
}

/// One item, its row locked for update when `lock`.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    lock: bool,
) -> Result<Option<Content>, AppError> {
    if lock {
        // The item row alone is locked, then read with its version: a lock taken through the
        // join would, after waiting for another writer, re-check the join against the old
        // version row and lose the item (Postgres re-evaluates only the locked row).
        let locked: Option<IdRow> = fetch_one(
            conn,
            &format!(
                "SELECT id FROM cnt_contents WHERE tenant = $1 AND id = $2{}",
                for_update(conn)
            ),
            [uuid(tenant.0), uuid(id)],
        )
        .await?;
        if locked.is_none() {
            return Ok(None);
        }
    }
    let row: Option<ContentRow> = fetch_one(
        conn,
        &format!("{SELECT} WHERE c.tenant = $1 AND c.id = $2"),
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    row.map(ContentRow::into_content).transpose()
}

#[derive(Debug, FromQueryResult)]
struct IdRow {
    #[allow(dead_code, reason = "the row's presence is what counts")]
    id: Uuid,
}

/// The items of `ids` that exist in the tenant.
pub async fn get_many(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<Vec<Content>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut values = vec![uuid(tenant.0)];
    values.extend(ids.iter().map(|id| uuid(*id)));
    let rows = fetch_all(
        conn,
        &format!(
            "{SELECT} WHERE c.tenant = $1 AND c.id IN ({})",
            placeholders(2, ids.len())
        ),
        values,
    )
    .await?;
    contents(rows)
}

#[derive(Debug, FromQueryResult)]
struct VersionRow {
    content_id: Uuid,
    version: i32,
    snapshot: String,
    note: String,
    created_by: String,
    created_at_ms: i64,
}

impl VersionRow {
    fn into_version(self) -> Result<Version, AppError> {
        Ok(Version {
            content_id: self.content_id,
            version: self.version,
            snapshot: decode(&self.snapshot)?,
            note: self.note,
            created_by: self.created_by,
            created_at_ms: self.created_at_ms,
        })
    }
}

const VERSION: &str = "SELECT content_id, version, snapshot, note, created_by, created_at_ms
    FROM cnt_versions WHERE tenant = $1 AND content_id = $2";

/// One version of an item.
pub async fn version(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    version: i32,
) -> Result<Option<Version>, AppError> {
    let row: Option<VersionRow> = fetch_one(
        conn,
        &format!("{VERSION} AND version = $3"),
        [uuid(tenant.0), uuid(id), version.into()],
    )
    .await?;
    row.map(VersionRow::into_version).transpose()
}

/// A page of an item's versions, newest first, below `after`.
pub async fn versions(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    after: Option<i32>,
    n: u64,
) -> Result<Vec<Version>, AppError> {
    let rows: Vec<VersionRow> = fetch_all(
        conn,
        &format!("{VERSION} AND version < $3 ORDER BY version DESC LIMIT $4"),
        [
            uuid(tenant.0),
            uuid(id),
            after.unwrap_or(i32::MAX).into(),
            limit(n),
        ],
    )
    .await?;
    rows.into_iter().map(VersionRow::into_version).collect()
}

#[derive(Debug, FromQueryResult)]
struct DueRow {
    tenant: Uuid,
    id: Uuid,
}

async fn due(
    conn: &impl ConnectionTrait,
    sql: &str,
    now: i64,
    n: u64,
) -> Result<Vec<(TenantId, Uuid)>, AppError> {
    let rows: Vec<DueRow> = fetch_all(conn, sql, [now.into(), limit(n)]).await?;
    Ok(rows
        .into_iter()
        .map(|r| (TenantId(r.tenant), r.id))
        .collect())
}

/// Scheduled items of every tenant whose time has come.
pub async fn due_scheduled(
    conn: &impl ConnectionTrait,
    now: i64,
    n: u64,
) -> Result<Vec<(TenantId, Uuid)>, AppError> {
    due(
        conn,
        "SELECT tenant, id FROM cnt_contents WHERE status = 2 AND scheduled_at_ms <= $1
         ORDER BY scheduled_at_ms LIMIT $2",
        now,
        n,
    )
    .await
}

/// Live items of every tenant past their expiry.
pub async fn due_expired(
    conn: &impl ConnectionTrait,
    now: i64,
    n: u64,
) -> Result<Vec<(TenantId, Uuid)>, AppError> {
    due(
        conn,
        "SELECT tenant, id FROM cnt_contents WHERE status IN (2, 3) AND expire_at_ms <= $1
         ORDER BY expire_at_ms LIMIT $2",
        now,
        n,
    )
    .await
}
