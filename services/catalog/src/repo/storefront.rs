//! Storefront search: the one query that matches, filters and keyset-orders ON_SALE products.
//!
//! Keyword matching (query already normalised like `cat_products.search_text`):
//! - Postgres, query of ≥ 3 characters: every whitespace-separated token is a substring
//!   (`LIKE '%tok%'`, served by the pg_trgm GIN index) OR the whole query is a fuzzy word match
//!   (`q <% search_text`, word similarity over trigrams, same index). Plain `%` (whole-string
//!   similarity) is useless here: a 2–4 character Chinese query against a 40-character search
//!   text scores < 0.1. Relevance = word_similarity, boosted for substring and title hits.
//! - Postgres, 1–2 characters (口红, 面膜: fewer characters than a trigram): `ILIKE '%q%'`.
//! - SQLite: `LIKE` per token (the stored text and the query are both lower-cased).
//!
//! The sort key is computed in an inner query so the keyset condition compares exactly the
//! value the ORDER BY used (no float round trips: relevance is scaled to an integer).

use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{Count, fetch_all, fetch_one, like_escape, placeholders, uuid};
use crate::AppError;

pub mod read_model;

/// `ProductStatus.ON_SALE` as stored.
const ON_SALE: i16 = 2;

/// What SQL filters on; price and exact sellability are checked by the caller with the pricing
/// function.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Normalised keyword query (non-empty).
    pub text: Option<String>,
    /// Category path (this category and below).
    pub category_path: Option<String>,
    /// The store whose assortment applies.
    pub store: Option<Uuid>,
    /// Online channels need `cat_skus.online`.
    pub online: bool,
    /// Only products with a SKU available at one of these locations (`Some(empty)` = none).
    pub in_stock_at: Option<Vec<Uuid>>,
    /// Safe upper bound on `min_sale_price` (only when no discount can lower a price).
    pub max_sale_price: Option<i64>,
}

/// Sort key; relevance, newest and sales descend, the stored lowest sale price either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Text match score (needs a query).
    Relevance,
    /// `first_on_sale_at_ms`.
    Newest,
    /// `sales_30d`.
    Sales,
    /// `min_sale_price` ascending (candidate order for price sorts).
    MinSalePriceAsc,
    /// `min_sale_price` descending.
    MinSalePriceDesc,
}

/// One matching product and its sort key (also the page cursor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hit {
    /// The product.
    pub id: Uuid,
    /// The sort key value.
    pub key: i64,
}

/// A product and its sort key, as the inner query names them.
#[derive(Debug, FromQueryResult)]
struct HitRow {
    id: Uuid,
    k: i64,
}

struct Built {
    from_where: String,
    key: String,
    values: Vec<Value>,
}

fn push(v: &mut Vec<Value>, x: impl Into<Value>) -> String {
    v.push(x.into());
    format!("${}", v.len())
}

/// Appends the keyword condition on `p.search_text` / `p.title` (the same columns on
/// `cat_products` and the read model) and returns the relevance expression.
fn match_text(backend: DbBackend, q: &str, v: &mut Vec<Value>, sql: &mut String) -> String {
    let q = like_escape(q);
    let tokens: Vec<&str> = q.split_whitespace().collect();
    if tokens.is_empty() {
        // Only LIKE wildcards were typed: they match nothing literally.
        sql.push_str(" AND 1 = 0");
    }
    let whole = push(v, format!("%{q}%"));
    let title = format!(
        "(CASE WHEN LOWER(p.title) LIKE {whole} THEN 2 ELSE 0 END + CASE WHEN p.search_text \
         LIKE {whole} THEN 1 ELSE 0 END)"
    );
    let long = q.chars().count() >= 3;
    match backend {
        DbBackend::Postgres if long => {
            let mut likes = Vec::new();
            for t in &tokens {
                let n = push(v, format!("%{t}%"));
                likes.push(format!("p.search_text LIKE {n}"));
            }
            let raw = push(v, q.clone());
            sql.push_str(&format!(
                " AND (({}) OR {raw} <% p.search_text)",
                likes.join(" AND ")
            ));
            format!(
                "({title} * 1000000 + CAST(word_similarity({raw}, p.search_text) * 1000000 AS BIGINT))"
            )
        }
        DbBackend::Postgres => {
            sql.push_str(&format!(" AND p.search_text ILIKE {whole}"));
            title
        }
        _ => {
            for t in &tokens {
                let n = push(v, format!("%{t}%"));
                sql.push_str(&format!(" AND p.search_text LIKE {n}"));
            }
            title
        }
    }
}

fn build(backend: DbBackend, tenant: TenantId, f: &Filter, order: Order) -> Built {
    let mut v = vec![uuid(tenant.0)];
    let mut sql = format!(" FROM cat_products p WHERE p.tenant = $1 AND p.status = {ON_SALE}");
    let mut relevance = "0".to_owned();
    if let Some(q) = &f.text {
        relevance = match_text(backend, q, &mut v, &mut sql);
    }
    if let Some(path) = &f.category_path {
        let a = push(&mut v, path.clone());
        let b = push(&mut v, format!("{path}/%"));
        sql.push_str(&format!(
            " AND (p.category_path = {a} OR p.category_path LIKE {b})"
        ));
    }
    if let Some(max) = f.max_sale_price {
        let n = push(&mut v, max);
        sql.push_str(&format!(" AND p.min_sale_price <= {n}"));
    }
    // A SKU sellable in this channel/store must exist (the pricing function has the last word).
    let mut sku = String::from("s.tenant = p.tenant AND s.product_id = p.id AND s.enabled = TRUE");
    if f.online {
        sku.push_str(" AND s.online = TRUE");
    }
    if let Some(store) = f.store {
        v.push(uuid(store));
        sku.push_str(&format!(" AND {}", super::assortment::carries_sql(v.len())));
    }
    match &f.in_stock_at {
        None => sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM cat_skus s WHERE {sku})"
        )),
        Some(locs) if locs.is_empty() => sql.push_str(" AND 1 = 0"),
        Some(locs) => {
            let list = placeholders(v.len() + 1, locs.len());
            v.extend(locs.iter().map(|l| uuid(*l)));
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM cat_skus s JOIN inv_stock st ON st.tenant = s.tenant \
                 AND st.sku_id = s.id WHERE {sku} AND st.location_id IN ({list}) \
                 AND st.on_hand - st.reserved > 0)"
            ));
        }
    }
    let key = match order {
        Order::Relevance => relevance,
        Order::Newest => "COALESCE(p.first_on_sale_at_ms, 0)".into(),
        Order::Sales => "CAST(p.sales_30d AS BIGINT)".into(),
        Order::MinSalePriceAsc | Order::MinSalePriceDesc => "COALESCE(p.min_sale_price, 0)".into(),
    };
    Built {
        from_where: sql,
        key,
        values: v,
    }
}

/// The matching products after `after` in `order`, at most `limit`; ties broken by id.
#[tracing::instrument(skip_all, fields(?order, limit))]
pub async fn search(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &Filter,
    order: Order,
    after: Option<Hit>,
    limit: u64,
) -> Result<Vec<Hit>, AppError> {
    let Built {
        from_where,
        key,
        mut values,
    } = build(conn.get_database_backend(), tenant, f, order);
    let asc = order == Order::MinSalePriceAsc;
    let mut sql = format!(
        "SELECT t.id, t.k FROM (SELECT p.id AS id, CAST({key} AS BIGINT) AS k{from_where}) t"
    );
    if let Some(a) = after {
        let k = push(&mut values, a.key);
        let id = push(&mut values, uuid(a.id));
        let cmp = if asc { ">" } else { "<" };
        sql.push_str(&format!(
            " WHERE (t.k {cmp} {k} OR (t.k = {k} AND t.id > {id}))"
        ));
    }
    let dir = if asc { "ASC" } else { "DESC" };
    sql.push_str(&format!(" ORDER BY t.k {dir}, t.id ASC LIMIT {limit}"));
    let rows: Vec<HitRow> = fetch_all(conn, &sql, values).await?;
    Ok(rows
        .into_iter()
        .map(|r| Hit { id: r.id, key: r.k })
        .collect())
}

/// How many products match, counting at most `cap` (for "共 N 件").
#[tracing::instrument(skip_all)]
pub async fn count(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &Filter,
    cap: u64,
) -> Result<i64, AppError> {
    let Built {
        from_where, values, ..
    } = build(conn.get_database_backend(), tenant, f, Order::Sales);
    let sql = format!("SELECT COUNT(*) AS n FROM (SELECT p.id{from_where} LIMIT {cap}) t");
    let row: Option<Count> = fetch_one(conn, &sql, values).await?;
    Ok(row.map_or(0, |c| c.n))
}

/// What a read-model page filters on (`cat_storefront`, see [`read_model`]): everything is
/// exact there for a shopper without a member tier, so SQL decides the whole page.
#[derive(Debug, Clone, Default)]
pub struct ShelfFilter {
    /// Normalised keyword query (non-empty).
    pub text: Option<String>,
    /// Category path (this category and below).
    pub category_path: Option<String>,
    /// Nil = online without a store; else the store.
    pub scope: Uuid,
    /// 1 online, 2 store POS.
    pub channel: i16,
    /// Only products with a sellable SKU available at the scope's store.
    pub in_stock: bool,
    /// Lowest unit price at least this.
    pub min_unit: Option<i64>,
    /// Lowest unit price at most this.
    pub max_unit: Option<i64>,
}

/// The FROM/WHERE of a read-model query and its sort key column (or expression).
fn shelf_build(backend: DbBackend, tenant: TenantId, f: &ShelfFilter, order: Order) -> Built {
    let mut v = vec![uuid(tenant.0), uuid(f.scope), f.channel.into()];
    let mut sql =
        " FROM cat_storefront p WHERE p.tenant = $1 AND p.scope = $2 AND p.channel = $3".to_owned();
    let mut relevance = "0".to_owned();
    if let Some(q) = &f.text {
        let long = like_escape(q).chars().count() >= 3;
        if backend != DbBackend::Postgres || !long {
            // Narrow by the terms index first (Postgres' short queries would scan; SQLite has
            // no trigrams): every token's leading pair must be a term of the product.
            for t in like_escape(q).split_whitespace() {
                let n = push(&mut v, read_model::lookup_term(t));
                sql.push_str(&format!(
                    " AND p.product_id IN (SELECT x.product_id FROM cat_storefront_terms x \
                     WHERE x.tenant = $1 AND x.term = {n})"
                ));
            }
        }
        let mut cond = String::new();
        relevance = match_text(backend, q, &mut v, &mut cond);
        let terms_exact = backend == DbBackend::Postgres && !long && !cond.contains("1 = 0");
        if !terms_exact {
            sql.push_str(&cond);
        }
        // else: a 1–2 character query (no whitespace after normalising) is a substring of the
        // text exactly when it is a term; the ILIKE would only make Postgres walk the whole
        // trigram index (a pattern shorter than a trigram selects everything).
    }
    if let Some(path) = &f.category_path {
        let a = push(&mut v, path.clone());
        let b = push(&mut v, format!("{path}/%"));
        sql.push_str(&format!(
            " AND (p.category_path = {a} OR p.category_path LIKE {b})"
        ));
    }
    if let Some(min) = f.min_unit {
        let n = push(&mut v, min);
        sql.push_str(&format!(" AND p.unit_min >= {n}"));
    }
    if let Some(max) = f.max_unit {
        let n = push(&mut v, max);
        sql.push_str(&format!(" AND p.unit_min <= {n}"));
    }
    if f.in_stock {
        sql.push_str(" AND p.in_stock = TRUE");
    }
    let key = match order {
        Order::Relevance => relevance,
        Order::Newest => "p.newest".into(),
        Order::Sales => "p.sales".into(),
        Order::MinSalePriceAsc | Order::MinSalePriceDesc => "p.unit_min".into(),
    };
    Built {
        from_where: sql,
        key,
        values: v,
    }
}

/// A page of the read model after `after` in `order` (the lowest unit price for the price
/// orders), at most `limit`. Ties are broken by id in the key's direction, so the keyset is
/// one row comparison `(key, id) > / < (…)` that an index on `(…, key, product_id)` serves:
/// the rows read are the rows returned (relevance, a computed score, reads the matches).
#[tracing::instrument(skip_all, fields(?order, limit))]
pub async fn shelf_page(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &ShelfFilter,
    order: Order,
    after: Option<Hit>,
    limit: u64,
) -> Result<Vec<Hit>, AppError> {
    let Built {
        from_where,
        key,
        mut values,
    } = shelf_build(conn.get_database_backend(), tenant, f, order);
    let asc = order == Order::MinSalePriceAsc;
    let (dir, cmp) = if asc { ("ASC", ">") } else { ("DESC", "<") };
    let sql = if order == Order::Relevance {
        let mut sql = format!(
            "SELECT t.id, t.k FROM (SELECT p.product_id AS id, CAST({key} AS BIGINT) AS k{from_where}) t"
        );
        if let Some(a) = after {
            let k = push(&mut values, a.key);
            let id = push(&mut values, uuid(a.id));
            sql.push_str(&format!(" WHERE (t.k, t.id) {cmp} ({k}, {id})"));
        }
        sql.push_str(&format!(" ORDER BY t.k {dir}, t.id {dir} LIMIT {limit}"));
        sql
    } else {
        let mut sql = format!("SELECT p.product_id AS id, {key} AS k{from_where}");
        if let Some(a) = after {
            let k = push(&mut values, a.key);
            let id = push(&mut values, uuid(a.id));
            sql.push_str(&format!(" AND ({key}, p.product_id) {cmp} ({k}, {id})"));
        }
        sql.push_str(&format!(
            " ORDER BY {key} {dir}, p.product_id {dir} LIMIT {limit}"
        ));
        sql
    };
    let rows: Vec<HitRow> = fetch_all(conn, &sql, values).await?;
    Ok(rows
        .into_iter()
        .map(|r| Hit { id: r.id, key: r.k })
        .collect())
}

/// How many read-model rows match, counting at most `cap`.
#[tracing::instrument(skip_all)]
pub async fn shelf_count(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &ShelfFilter,
    cap: u64,
) -> Result<i64, AppError> {
    let Built {
        from_where, values, ..
    } = shelf_build(conn.get_database_backend(), tenant, f, Order::Sales);
    let sql = format!("SELECT COUNT(*) AS n FROM (SELECT 1 AS x{from_where} LIMIT {cap}) t");
    let row: Option<Count> = fetch_one(conn, &sql, values).await?;
    Ok(row.map_or(0, |c| c.n))
}
