//! `cnt_share_links`.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{execute, fetch_all, fetch_one, limit, opt_i64, stored, uuid};
use crate::AppError;
use crate::app::shares::{LinkFilter, ShareLink, Sources};

pub mod engagements;
pub mod funnel;

#[derive(Debug, FromQueryResult)]
struct LinkRow {
    id: Uuid,
    scene_code: String,
    source_kind: i16,
    content_id: String,
    guide_id: String,
    store_id: String,
    campaign_id: String,
    product_id: String,
    sharer_user_id: String,
    channel: i32,
    page_path: String,
    page_query: String,
    label: String,
    expire_ms: Option<i64>,
    disabled: bool,
    created_by: String,
    created_at_ms: i64,
}

impl LinkRow {
    fn into_link(self) -> Result<ShareLink, AppError> {
        Ok(ShareLink {
            id: self.id,
            scene_code: self.scene_code,
            kind: stored(self.source_kind)?,
            sources: Sources {
                content_id: self.content_id,
                guide_id: self.guide_id,
                store_id: self.store_id,
                campaign_id: self.campaign_id,
                product_id: self.product_id,
            },
            sharer_user_id: self.sharer_user_id,
            channel: self.channel,
            page_path: self.page_path,
            page_query: self.page_query,
            label: self.label,
            expire_ms: self.expire_ms,
            disabled: self.disabled,
            created_by: self.created_by,
            created_at_ms: self.created_at_ms,
        })
    }
}

const SELECT: &str = "SELECT id, scene_code, source_kind, content_id, guide_id, store_id,
    campaign_id, product_id, sharer_user_id, channel, page_path, page_query, label, expire_ms,
    disabled, created_by, created_at_ms FROM cnt_share_links WHERE tenant = $1";

/// Inserts `link` unless the tenant has its dedupe key (or its scene code): false then.
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    link: &ShareLink,
    dedupe_key: &str,
) -> Result<bool, AppError> {
    let s = &link.sources;
    let n = execute(
        conn,
        "INSERT INTO cnt_share_links (tenant, id, scene_code, source_kind, content_id, guide_id,
            store_id, campaign_id, product_id, sharer_user_id, channel, page_path, page_query,
            label, expire_ms, disabled, created_by, dedupe_key, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
            $18, $19)
         ON CONFLICT DO NOTHING",
        [
            uuid(tenant.0),
            uuid(link.id),
            link.scene_code.as_str().into(),
            link.kind.number().into(),
            s.content_id.as_str().into(),
            s.guide_id.as_str().into(),
            s.store_id.as_str().into(),
            s.campaign_id.as_str().into(),
            s.product_id.as_str().into(),
            link.sharer_user_id.as_str().into(),
            link.channel.into(),
            link.page_path.as_str().into(),
            link.page_query.as_str().into(),
            link.label.as_str().into(),
            opt_i64(link.expire_ms),
            link.disabled.into(),
            link.created_by.as_str().into(),
            dedupe_key.into(),
            link.created_at_ms.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// One link.
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<ShareLink>, AppError> {
    let row: Option<LinkRow> = fetch_one(
        conn,
        &format!("{SELECT} AND id = $2"),
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    row.map(LinkRow::into_link).transpose()
}

/// The link of a scene code.
pub async fn by_scene_code(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    code: &str,
) -> Result<Option<ShareLink>, AppError> {
    let row: Option<LinkRow> = fetch_one(
        conn,
        &format!("{SELECT} AND scene_code = $2"),
        [uuid(tenant.0), code.into()],
    )
    .await?;
    row.map(LinkRow::into_link).transpose()
}

/// The link of a creator's sources and page.
pub async fn by_dedupe_key(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    key: &str,
) -> Result<Option<ShareLink>, AppError> {
    let row: Option<LinkRow> = fetch_one(
        conn,
        &format!("{SELECT} AND dedupe_key = $2"),
        [uuid(tenant.0), key.into()],
    )
    .await?;
    row.map(LinkRow::into_link).transpose()
}

/// Marks a link disabled.
pub async fn disable(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE cnt_share_links SET disabled = TRUE WHERE tenant = $1 AND id = $2",
        [uuid(tenant.0), uuid(id)],
    )
    .await?;
    Ok(())
}

/// A page of links matching `f`, newest first, after the cursor `(created_at_ms, id)`.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &LinkFilter,
    after: Option<(i64, Uuid)>,
    n: u64,
) -> Result<Vec<ShareLink>, AppError> {
    let mut values: Vec<Value> = vec![uuid(tenant.0)];
    let mut sql = SELECT.to_owned();
    let bind = |values: &mut Vec<Value>, v: Value| {
        values.push(v);
        format!("${}", values.len())
    };
    if let Some(kind) = f.kind {
        let p = bind(&mut values, kind.number().into());
        sql.push_str(&format!(" AND source_kind = {p}"));
    }
    let s = &f.sources;
    for (column, value) in [
        ("content_id", &s.content_id),
        ("guide_id", &s.guide_id),
        ("store_id", &s.store_id),
        ("campaign_id", &s.campaign_id),
    ] {
        if !value.is_empty() {
            let p = bind(&mut values, value.as_str().into());
            sql.push_str(&format!(" AND {column} = {p}"));
        }
    }
    if let Some(stores) = &f.stores_in {
        let ps: Vec<String> = stores
            .iter()
            .map(|st| bind(&mut values, st.as_str().into()))
            .collect();
        if ps.is_empty() {
            return Ok(Vec::new());
        }
        sql.push_str(&format!(" AND store_id IN ({})", ps.join(", ")));
    }
    if let Some((at, id)) = after {
        let a = bind(&mut values, at.into());
        let b = bind(&mut values, uuid(id));
        sql.push_str(&format!(
            " AND (created_at_ms < {a} OR (created_at_ms = {a} AND id < {b}))"
        ));
    }
    let l = bind(&mut values, limit(n));
    sql.push_str(&format!(" ORDER BY created_at_ms DESC, id DESC LIMIT {l}"));
    let rows: Vec<LinkRow> = fetch_all(conn, &sql, values).await?;
    rows.into_iter().map(LinkRow::into_link).collect()
}
