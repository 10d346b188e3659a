//! `cat_store_prices`: per-store overrides with an optional validity window (ms).

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{col, execute, placeholders, query_all, uuid};
use crate::app::AppError;

/// A store override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorePrice {
    /// SKU.
    pub sku_id: Uuid,
    /// Store.
    pub store_id: Uuid,
    /// Fen.
    pub price: i64,
    /// From, ms.
    pub valid_from_ms: i64,
    /// Until (exclusive), ms.
    pub valid_until_ms: Option<i64>,
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
    query_all(conn, &sql, v)
        .await?
        .iter()
        .map(|r| Ok((col(r, "sku_id")?, col(r, "price")?)))
        .collect()
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
    query_all(conn, &sql, v)
        .await?
        .iter()
        .map(|r| {
            Ok(StorePrice {
                sku_id: col(r, "sku_id")?,
                store_id: col(r, "store_id")?,
                price: col(r, "price")?,
                valid_from_ms: col(r, "valid_from_ms")?,
                valid_until_ms: col(r, "valid_until_ms")?,
            })
        })
        .collect()
}
