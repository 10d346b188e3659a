//! `cat_storefront` / `cat_storefront_skus`: the storefront read model (see the migration
//! `m20250705_000001_storefront` and `app::storefront::read_model`). Rows are computed in the
//! app (the pricing function) and written here; the one exception is `in_stock`, which a stock
//! change recomputes in SQL from the stored sellable SKUs ([`stock_changed`]).

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::super::{Id, execute, fetch_all, for_update, placeholders, uuid};
use crate::AppError;
use crate::app::domain::StorePrice;

/// `LocationKind::Store` as stored.
const STORE: i16 = 1;

/// Rows per multi-row INSERT (14 values each: well under both backends' parameter limits).
const CHUNK: usize = 400;

/// One row of `cat_storefront`.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct ModelRow {
    /// Product.
    pub product_id: Uuid,
    /// Nil = online without a store; else the store.
    pub scope: Uuid,
    /// 1 online, 2 store POS.
    pub channel: i16,
    /// Title.
    pub title: String,
    /// Main image URL.
    pub main_image: String,
    /// Category path, `/`-joined ids.
    pub category_path: String,
    /// Normalised search text.
    pub search_text: String,
    /// First on sale, ms (0 = never).
    pub newest: i64,
    /// Sales in 30 days.
    pub sales: i64,
    /// Lowest unit price among sellable SKUs (no member tier).
    pub unit_min: i64,
    /// Highest unit price among sellable SKUs (no member tier).
    pub unit_max: i64,
    /// A sellable SKU is available at the scope's store.
    pub in_stock: bool,
    /// When a store override of one of its SKUs starts or ends.
    pub reprice_at_ms: Option<i64>,
}

/// One sellable SKU of a store-scope row.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct ModelSku {
    /// Store.
    pub scope: Uuid,
    /// 1 online, 2 store POS.
    pub channel: i16,
    /// Product.
    pub product_id: Uuid,
    /// SKU.
    pub sku_id: Uuid,
}

#[derive(Debug, FromQueryResult)]
struct PairRow {
    sku_id: Uuid,
    location_id: Uuid,
}

#[derive(Debug, FromQueryResult)]
struct PriceRow {
    sku_id: Uuid,
    store_id: Uuid,
    price: i64,
    valid_from_ms: i64,
    valid_until_ms: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct TenantProductRow {
    tenant: Uuid,
    id: Uuid,
}

fn list(from: usize, ids: &[Uuid], v: &mut Vec<Value>) -> String {
    v.extend(ids.iter().map(|i| uuid(*i)));
    placeholders(from, ids.len())
}

/// Locks the product rows of `products` (sorted ids: one lock order) for the rest of the
/// transaction on Postgres, so two writers refreshing the same product run one after the
/// other and the second computes from what the first committed (without it, each would
/// compute from a snapshot missing the other's write, and both would insert the same keys).
/// SQLite's single writer already serialises them.
pub async fn lock_products(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    products: &[Uuid],
) -> Result<(), AppError> {
    let mut v = vec![uuid(tenant.0)];
    let sql = format!(
        "SELECT id FROM cat_products WHERE tenant = $1 AND id IN ({}) ORDER BY id{}",
        list(2, products, &mut v),
        for_update(conn)
    );
    let _: Vec<Id> = fetch_all(conn, &sql, v).await?;
    Ok(())
}

/// Every store of the tenant, whatever its status (a closed store keeps its assortment).
pub async fn stores(conn: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<Uuid>, AppError> {
    let rows: Vec<Id> = fetch_all(
        conn,
        &format!("SELECT id FROM inv_locations WHERE tenant = $1 AND kind = {STORE} ORDER BY id"),
        [uuid(tenant.0)],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Every store override of `skus`, whatever its validity window.
pub async fn store_prices(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    skus: &[Uuid],
) -> Result<Vec<StorePrice>, AppError> {
    if skus.is_empty() {
        return Ok(Vec::new());
    }
    let mut v = vec![uuid(tenant.0)];
    let sql = format!(
        "SELECT sku_id, store_id, price, valid_from_ms, valid_until_ms FROM cat_store_prices \
         WHERE tenant = $1 AND sku_id IN ({})",
        list(2, skus, &mut v)
    );
    let rows: Vec<PriceRow> = fetch_all(conn, &sql, v).await?;
    Ok(rows
        .into_iter()
        .map(|r| StorePrice {
            sku_id: r.sku_id,
            store_id: r.store_id,
            price: r.price,
            valid_from_ms: r.valid_from_ms,
            valid_until_ms: r.valid_until_ms,
        })
        .collect())
}

/// The (SKU, location) pairs of `skus` with units available.
pub async fn available_pairs(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    skus: &[Uuid],
) -> Result<HashSet<(Uuid, Uuid)>, AppError> {
    if skus.is_empty() {
        return Ok(HashSet::new());
    }
    let mut v = vec![uuid(tenant.0)];
    let sql = format!(
        "SELECT sku_id, location_id FROM inv_stock WHERE tenant = $1 AND sku_id IN ({}) \
         AND on_hand - reserved > 0",
        list(2, skus, &mut v)
    );
    let rows: Vec<PairRow> = fetch_all(conn, &sql, v).await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.sku_id, r.location_id))
        .collect())
}

/// The terms of a (normalised) search text: each character and each pair of adjacent
/// characters within a word. A query without whitespace of 1–2 characters is a substring of
/// the text exactly when it is one of them.
pub fn terms_of(search_text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in search_text.split_whitespace() {
        let chars: Vec<char> = word.chars().collect();
        out.extend(chars.iter().map(char::to_string));
        out.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
    }
    out.sort();
    out.dedup();
    out
}

/// The term a query token is looked up by: its first pair of characters (or the character).
pub fn lookup_term(token: &str) -> String {
    token.chars().take(2).collect()
}

/// Replaces the rows of `products` with `rows` and `skus`.
pub async fn replace(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    products: &[Uuid],
    rows: &[ModelRow],
    skus: &[ModelSku],
) -> Result<(), AppError> {
    if products.is_empty() {
        return Ok(());
    }
    for table in [
        "cat_storefront",
        "cat_storefront_skus",
        "cat_storefront_terms",
    ] {
        let mut v = vec![uuid(tenant.0)];
        let sql = format!(
            "DELETE FROM {table} WHERE tenant = $1 AND product_id IN ({})",
            list(2, products, &mut v)
        );
        execute(conn, &sql, v).await?;
    }
    for chunk in rows.chunks(CHUNK) {
        let mut v: Vec<Value> = Vec::with_capacity(chunk.len() * 14);
        let mut tuples = Vec::with_capacity(chunk.len());
        for r in chunk {
            let from = v.len() + 1;
            v.extend([
                uuid(tenant.0),
                uuid(r.scope),
                r.channel.into(),
                uuid(r.product_id),
                r.title.clone().into(),
                r.main_image.clone().into(),
                r.category_path.clone().into(),
                r.search_text.clone().into(),
                r.newest.into(),
                r.sales.into(),
                r.unit_min.into(),
                r.unit_max.into(),
                r.in_stock.into(),
                r.reprice_at_ms.into(),
            ]);
            tuples.push(format!("({})", placeholders(from, 14)));
        }
        let sql = format!(
            "INSERT INTO cat_storefront (tenant, scope, channel, product_id, title, main_image, \
             category_path, search_text, newest, sales, unit_min, unit_max, in_stock, \
             reprice_at_ms) VALUES {}",
            tuples.join(", ")
        );
        execute(conn, &sql, v).await?;
    }
    let mut terms: Vec<(Uuid, String)> = Vec::new();
    let mut seen = HashSet::new();
    for r in rows {
        if seen.insert(r.product_id) {
            terms.extend(
                terms_of(&r.search_text)
                    .into_iter()
                    .map(|t| (r.product_id, t)),
            );
        }
    }
    for chunk in terms.chunks(CHUNK) {
        let mut v: Vec<Value> = Vec::with_capacity(chunk.len() * 3);
        let mut tuples = Vec::with_capacity(chunk.len());
        for (product, term) in chunk {
            let from = v.len() + 1;
            v.extend([uuid(tenant.0), term.clone().into(), uuid(*product)]);
            tuples.push(format!("({})", placeholders(from, 3)));
        }
        let sql = format!(
            "INSERT INTO cat_storefront_terms (tenant, term, product_id) VALUES {}",
            tuples.join(", ")
        );
        execute(conn, &sql, v).await?;
    }
    for chunk in skus.chunks(CHUNK) {
        let mut v: Vec<Value> = Vec::with_capacity(chunk.len() * 5);
        let mut tuples = Vec::with_capacity(chunk.len());
        for s in chunk {
            let from = v.len() + 1;
            v.extend([
                uuid(tenant.0),
                uuid(s.scope),
                s.channel.into(),
                uuid(s.product_id),
                uuid(s.sku_id),
            ]);
            tuples.push(format!("({})", placeholders(from, 5)));
        }
        let sql = format!(
            "INSERT INTO cat_storefront_skus (tenant, scope, channel, product_id, sku_id) VALUES {}",
            tuples.join(", ")
        );
        execute(conn, &sql, v).await?;
    }
    Ok(())
}

/// Recomputes `in_stock` of the rows at store `loc` of the product of `sku` after a stock
/// change of (sku, loc): one statement over the product's sellable SKUs there. A location
/// that is not a store has no rows, so this matches nothing.
pub async fn stock_changed(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sku: Uuid,
    loc: Uuid,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE cat_storefront SET in_stock = EXISTS (SELECT 1 FROM cat_storefront_skus x \
         JOIN inv_stock st ON st.tenant = x.tenant AND st.sku_id = x.sku_id \
         AND st.location_id = x.scope WHERE x.tenant = cat_storefront.tenant \
         AND x.scope = cat_storefront.scope AND x.channel = cat_storefront.channel \
         AND x.product_id = cat_storefront.product_id AND st.on_hand - st.reserved > 0) \
         WHERE tenant = $1 AND scope = $2 AND product_id IN \
         (SELECT product_id FROM cat_skus WHERE tenant = $1 AND id = $3)",
        [uuid(tenant.0), uuid(loc), uuid(sku)],
    )
    .await?;
    Ok(())
}

/// Copies the category paths of products back into their rows after a category move
/// (`old` = the moved category's former path).
pub async fn recategorize(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    old: &str,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE cat_storefront SET category_path = (SELECT p.category_path FROM cat_products p \
         WHERE p.tenant = cat_storefront.tenant AND p.id = cat_storefront.product_id) \
         WHERE tenant = $1 AND (category_path = $2 OR category_path LIKE $3)",
        [uuid(tenant.0), old.into(), format!("{old}/%").into()],
    )
    .await?;
    Ok(())
}

/// Products of the tenant whose rows' prices change at or before `now_ms` (a store override
/// starting or ending), at most `limit`.
pub async fn due(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    now_ms: i64,
    limit: u64,
) -> Result<Vec<Uuid>, AppError> {
    let rows: Vec<Id> = fetch_all(
        conn,
        &format!(
            "SELECT DISTINCT product_id AS id FROM cat_storefront WHERE tenant = $1 \
             AND reprice_at_ms <= $2 LIMIT {limit}"
        ),
        [uuid(tenant.0), now_ms.into()],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Every product of the tenant, by id after `after`, at most `limit` (for a full rebuild).
pub async fn products_after(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Uuid>, AppError> {
    let mut v = vec![uuid(tenant.0)];
    let cond = match after {
        Some(a) => {
            v.push(uuid(a));
            " AND id > $2"
        }
        None => "",
    };
    let rows: Vec<Id> = fetch_all(
        conn,
        &format!("SELECT id FROM cat_products WHERE tenant = $1{cond} ORDER BY id LIMIT {limit}"),
        v,
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// On-sale products (any tenant) without a row yet, at most `limit`: data written before the
/// read model existed. A product sellable nowhere stays in this list (refreshing it is cheap).
pub async fn unbuilt(
    conn: &impl ConnectionTrait,
    after: Option<(Uuid, Uuid)>,
    limit: u64,
) -> Result<Vec<(TenantId, Uuid)>, AppError> {
    let mut v = Vec::new();
    let cond = match after {
        Some((t, p)) => {
            v.extend([uuid(t), uuid(p)]);
            " AND (p.tenant > $1 OR (p.tenant = $1 AND p.id > $2))"
        }
        None => "",
    };
    let rows: Vec<TenantProductRow> = fetch_all(
        conn,
        &format!(
            "SELECT p.tenant, p.id FROM cat_products p WHERE p.status = 2{cond} AND NOT EXISTS \
             (SELECT 1 FROM cat_storefront r WHERE r.tenant = p.tenant AND r.product_id = p.id) \
             ORDER BY p.tenant, p.id LIMIT {limit}"
        ),
        v,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (TenantId(r.tenant), r.id))
        .collect())
}

/// The rows of `product` (for tests and the property check).
pub async fn rows_of(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    product: Uuid,
) -> Result<Vec<ModelRow>, AppError> {
    fetch_all(
        conn,
        "SELECT product_id, scope, channel, title, main_image, category_path, search_text, \
         newest, sales, unit_min, unit_max, in_stock, reprice_at_ms FROM cat_storefront \
         WHERE tenant = $1 AND product_id = $2 ORDER BY scope, channel",
        [uuid(tenant.0), uuid(product)],
    )
    .await
}
