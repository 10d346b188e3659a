//! Assortment: `cat_skus.online` / `cat_skus.store_mode` plus the store list in
//! `cat_assortment_stores` (read as SELECTED or EXCLUDED stores).

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, FromQueryResult};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{Id, execute, fetch_all, placeholders, uuid};
use crate::AppError;
use crate::app::domain::StoreMode;

/// A SKU whose store list names the store asked about.
#[derive(Debug, FromQueryResult)]
struct ListedRow {
    sku_id: Uuid,
}

/// One store of a SKU's list.
#[derive(Debug, FromQueryResult)]
struct StoreListRow {
    sku_id: Uuid,
    store_id: Uuid,
}

/// The SKUs among `skus` whose store list names `store`, in one query.
#[tracing::instrument(skip_all, fields(%store, n = skus.len()))]
pub async fn listed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    store: Uuid,
    skus: &[Uuid],
) -> Result<HashSet<Uuid>, AppError> {
    if skus.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "SELECT sku_id FROM cat_assortment_stores WHERE tenant = $1 AND store_id = $2 \
         AND sku_id IN ({})",
        placeholders(3, skus.len())
    );
    let mut v = vec![uuid(tenant.0), uuid(store)];
    v.extend(skus.iter().map(|s| uuid(*s)));
    let rows: Vec<ListedRow> = fetch_all(conn, &sql, v).await?;
    Ok(rows.into_iter().map(|r| r.sku_id).collect())
}

/// The store lists of `skus`.
pub async fn store_lists(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    skus: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, AppError> {
    if skus.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT sku_id, store_id FROM cat_assortment_stores WHERE tenant = $1 AND sku_id IN ({}) \
         ORDER BY sku_id, store_id",
        placeholders(2, skus.len())
    );
    let mut v = vec![uuid(tenant.0)];
    v.extend(skus.iter().map(|s| uuid(*s)));
    let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for r in fetch_all::<StoreListRow>(conn, &sql, v).await? {
        out.entry(r.sku_id).or_default().push(r.store_id);
    }
    Ok(out)
}

/// Replaces a SKU's assortment.
pub async fn set(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    online: bool,
    mode: StoreMode,
    stores: &[Uuid],
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE cat_skus SET online = $3, store_mode = $4 WHERE tenant = $1 AND id = $2",
        [
            uuid(tenant.0),
            uuid(sku),
            online.into(),
            sea_orm::Value::SmallInt(Some(mode as i16)),
        ],
    )
    .await?;
    execute(
        conn,
        "DELETE FROM cat_assortment_stores WHERE tenant = $1 AND sku_id = $2",
        [uuid(tenant.0), uuid(sku)],
    )
    .await?;
    for s in stores {
        add(conn, tenant, sku, *s).await?;
    }
    Ok(())
}

/// Adds a store to a SKU's list (no-op when present).
pub async fn add(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    store: Uuid,
) -> Result<(), AppError> {
    execute(
        conn,
        "INSERT INTO cat_assortment_stores (tenant, sku_id, store_id) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
        [uuid(tenant.0), uuid(sku), uuid(store)],
    )
    .await
    .map(|_| ())
}

/// Removes a store from a SKU's list.
pub async fn remove(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    store: Uuid,
) -> Result<(), AppError> {
    execute(
        conn,
        "DELETE FROM cat_assortment_stores WHERE tenant = $1 AND sku_id = $2 AND store_id = $3",
        [uuid(tenant.0), uuid(sku), uuid(store)],
    )
    .await
    .map(|_| ())
}

/// SQL condition "store `$n` carries SKU `s`".
pub fn carries_sql(n: usize) -> String {
    format!(
        "(s.store_mode = 1 OR (s.store_mode = 2 AND EXISTS (SELECT 1 FROM cat_assortment_stores a \
         WHERE a.tenant = s.tenant AND a.sku_id = s.id AND a.store_id = ${n})) OR (s.store_mode = 3 \
         AND NOT EXISTS (SELECT 1 FROM cat_assortment_stores a WHERE a.tenant = s.tenant AND \
         a.sku_id = s.id AND a.store_id = ${n})))"
    )
}

/// The SKUs a store carries, by id, keyset-paged.
pub async fn of_store(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    store: Uuid,
    on_sale_only: bool,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Uuid>, AppError> {
    let mut sql = format!(
        "SELECT s.id FROM cat_skus s JOIN cat_products p ON p.tenant = s.tenant AND p.id = s.product_id \
         WHERE s.tenant = $1 AND {}",
        carries_sql(2)
    );
    let mut v = vec![uuid(tenant.0), uuid(store)];
    if on_sale_only {
        sql.push_str(" AND p.status = 2 AND s.enabled = TRUE");
    }
    if let Some(a) = after {
        v.push(uuid(a));
        sql.push_str(" AND s.id > $3");
    }
    sql.push_str(&format!(" ORDER BY s.id LIMIT {limit}"));
    let rows: Vec<Id> = fetch_all(conn, &sql, v).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
