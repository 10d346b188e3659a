//! `cat_store_prices`: per-store overrides with an optional validity window (ms).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{execute, fetch_all, placeholders, uuid};
use crate::AppError;
use crate::app::domain::StorePrice;

/// A row of `cat_store_prices` as listed.
#[derive(Debug, FromQueryResult)]
struct StorePriceRow {
    sku_id: Uuid,
    store_id: Uuid,
    price: i64,
    valid_from_ms: i64,
    valid_until_ms: Option<i64>,
}

impl From<StorePriceRow> for StorePrice {
    fn from(r: StorePriceRow) -> Self {
        Self {
            sku_id: r.sku_id,
            store_id: r.store_id,
            price: r.price,
            valid_from_ms: r.valid_from_ms,
            valid_until_ms: r.valid_until_ms,
        }
    }
}

/// A price in force for a SKU.
#[derive(Debug, FromQueryResult)]
struct OverrideRow {
    sku_id: Uuid,
    price: i64,
}

/// The overrides valid at `now_ms` for `store` among `skus`, in one query.
#[tracing::instrument(skip_all, fields(%store, n = skus.len()))]
pub async fn valid_now(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    store: Uuid,
    skus: &[Uuid],
    now_ms: i64,
) -> Result<HashMap<Uuid, i64>, AppError> {
    if skus.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT sku_id, price FROM cat_store_prices WHERE tenant = $1 AND store_id = $2 \
         AND valid_from_ms <= $3 AND (valid_until_ms IS NULL OR valid_until_ms > $3) \
         AND sku_id IN ({})",
        placeholders(4, skus.len())
    );
    let mut v = vec![uuid(tenant.0), uuid(store), now_ms.into()];
    v.extend(skus.iter().map(|s| uuid(*s)));
    let rows: Vec<OverrideRow> = fetch_all(conn, &sql, v).await?;
    Ok(rows.into_iter().map(|r| (r.sku_id, r.price)).collect())
}

/// Creates or replaces an override.
pub async fn upsert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &StorePrice,
    now_ms: i64,
) -> Result<(), AppError> {
    let sql = "INSERT INTO cat_store_prices (tenant, sku_id, store_id, price, valid_from_ms, \
        valid_until_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
        ON CONFLICT (tenant, sku_id, store_id) DO UPDATE SET price = excluded.price, \
        valid_from_ms = excluded.valid_from_ms, valid_until_ms = excluded.valid_until_ms, \
        updated_at_ms = excluded.updated_at_ms";
    execute(
        conn,
        sql,
        [
            uuid(tenant.0),
            uuid(p.sku_id),
            uuid(p.store_id),
            p.price.into(),
            p.valid_from_ms.into(),
            Value::BigInt(p.valid_until_ms),
            now_ms.into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Removes an override; returns whether one existed.
pub async fn delete(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    store: Uuid,
) -> Result<bool, AppError> {
    execute(
        conn,
        "DELETE FROM cat_store_prices WHERE tenant = $1 AND sku_id = $2 AND store_id = $3",
        [uuid(tenant.0), uuid(sku), uuid(store)],
    )
    .await
    .map(|n| n > 0)
}

/// Overrides by store and/or SKU, keyset-paged by (sku_id, store_id).
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    store: Option<Uuid>,
    sku: Option<Uuid>,
    after: Option<(Uuid, Uuid)>,
    limit: u64,
) -> Result<Vec<StorePrice>, AppError> {
    let mut sql = String::from(
        "SELECT sku_id, store_id, price, valid_from_ms, valid_until_ms FROM cat_store_prices \
         WHERE tenant = $1",
    );
    let mut v = vec![uuid(tenant.0)];
    if let Some(s) = store {
        v.push(uuid(s));
        sql.push_str(&format!(" AND store_id = ${}", v.len()));
    }
    if let Some(s) = sku {
        v.push(uuid(s));
        sql.push_str(&format!(" AND sku_id = ${}", v.len()));
    }
    if let Some((a, b)) = after {
        let n = v.len();
        sql.push_str(&format!(
            " AND (sku_id > ${} OR (sku_id = ${} AND store_id > ${}))",
            n + 1,
            n + 1,
            n + 2
        ));
        v.extend([uuid(a), uuid(b)]);
    }
    sql.push_str(&format!(" ORDER BY sku_id, store_id LIMIT {limit}"));
    let rows: Vec<StorePriceRow> = fetch_all(conn, &sql, v).await?;
    Ok(rows.into_iter().map(StorePrice::from).collect())
}
