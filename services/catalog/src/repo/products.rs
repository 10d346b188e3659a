//! `cat_products`: products (SPU). Nested lists are JSON text (see `app::domain`).

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{Count, execute, fetch_all, fetch_one, from_json, to_json, uuid};
use crate::AppError;
use crate::app::domain::{Product, ProductStatus, parse_path, path_string};

/// Columns of a product row, for `SELECT {COLUMNS} FROM cat_products p`.
pub const COLUMNS: &str = "p.id, p.title, p.subtitle, p.category_id, p.category_path, p.brand, \
    p.media, p.attributes, p.spec_dimensions, p.description, p.keywords, p.status, p.sales_30d, \
    p.created_at_ms, p.first_on_sale_at_ms, p.updated_at_ms";

/// A row selected with [`COLUMNS`].
#[derive(Debug, FromQueryResult)]
struct ProductRow {
    id: Uuid,
    title: String,
    subtitle: String,
    category_id: String,
    category_path: String,
    brand: String,
    media: String,
    attributes: String,
    spec_dimensions: String,
    description: String,
    keywords: String,
    status: i16,
    sales_30d: i32,
    created_at_ms: i64,
    first_on_sale_at_ms: Option<i64>,
    updated_at_ms: i64,
}

impl TryFrom<ProductRow> for Product {
    type Error = AppError;

    fn try_from(r: ProductRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            title: r.title,
            subtitle: r.subtitle,
            category_id: Uuid::parse_str(&r.category_id).ok(),
            category_path: parse_path(&r.category_path),
            brand: r.brand,
            media: from_json("media", &r.media)?,
            attributes: from_json("attributes", &r.attributes)?,
            spec_dimensions: from_json("spec_dimensions", &r.spec_dimensions)?,
            description: r.description,
            keywords: from_json("keywords", &r.keywords)?,
            status: ProductStatus::try_from(r.status).map_err(AppError::Internal)?,
            skus: Vec::new(),
            sales_30d: r.sales_30d,
            created_at_ms: r.created_at_ms,
            first_on_sale_at_ms: r.first_on_sale_at_ms,
            updated_at_ms: r.updated_at_ms,
        })
    }
}

/// Products (without SKUs) of a query selecting [`COLUMNS`].
async fn products(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<Product>, AppError> {
    fetch_all::<ProductRow>(conn, sql, values)
        .await?
        .into_iter()
        .map(Product::try_from)
        .collect()
}

/// Inserts a product (without SKUs).
#[tracing::instrument(skip_all, fields(product_id = %p.id))]
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &Product,
) -> Result<(), AppError> {
    let sql = "INSERT INTO cat_products (tenant, id, title, subtitle, category_id, category_path, \
        brand, media, attributes, spec_dimensions, description, keywords, search_text, status, \
        sales_30d, created_at_ms, first_on_sale_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, \
        $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
    execute(conn, sql, row(tenant, p)).await.map(|_| ())
}

fn row(tenant: TenantId, p: &Product) -> Vec<Value> {
    vec![
        uuid(tenant.0),
        uuid(p.id),
        p.title.as_str().into(),
        p.subtitle.as_str().into(),
        p.category_id
            .map(|c| c.to_string())
            .unwrap_or_default()
            .into(),
        path_string(&p.category_path).into(),
        p.brand.as_str().into(),
        to_json(&p.media),
        to_json(&p.attributes),
        to_json(&p.spec_dimensions),
        p.description.as_str().into(),
        to_json(&p.keywords),
        p.search_text().into(),
        Value::SmallInt(Some(p.status as i16)),
        p.sales_30d.into(),
        p.created_at_ms.into(),
        Value::BigInt(p.first_on_sale_at_ms),
        p.updated_at_ms.into(),
    ]
}

/// Rewrites every mutable column of a product (fields, status, timestamps, search text).
#[tracing::instrument(skip_all, fields(product_id = %p.id))]
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    p: &Product,
) -> Result<(), AppError> {
    let sql = "UPDATE cat_products SET title = $3, subtitle = $4, category_id = $5, \
        category_path = $6, brand = $7, media = $8, attributes = $9, spec_dimensions = $10, \
        description = $11, keywords = $12, search_text = $13, status = $14, sales_30d = $15, \
        first_on_sale_at_ms = $17, updated_at_ms = $18 WHERE tenant = $1 AND id = $2 \
        AND created_at_ms = $16";
    execute(conn, sql, row(tenant, p)).await.map(|_| ())
}

/// One product without SKUs.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Product>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM cat_products p WHERE p.tenant = $1 AND p.id = $2");
    Ok(products(conn, &sql, vec![uuid(tenant.0), uuid(id)])
        .await?
        .pop())
}

/// Products by id (any order).
pub async fn get_many(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<Vec<Product>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM cat_products p WHERE p.tenant = $1 AND p.id IN ({})",
        super::placeholders(2, ids.len())
    );
    let mut v = vec![uuid(tenant.0)];
    v.extend(ids.iter().map(|i| uuid(*i)));
    products(conn, &sql, v).await
}

/// Deletes a product and its SKUs (drafts only; the app checks).
pub async fn delete(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<(), AppError> {
    for sql in [
        "DELETE FROM cat_assortment_stores WHERE tenant = $1 AND sku_id IN (SELECT id FROM cat_skus WHERE tenant = $1 AND product_id = $2)",
        "DELETE FROM cat_store_prices WHERE tenant = $1 AND sku_id IN (SELECT id FROM cat_skus WHERE tenant = $1 AND product_id = $2)",
        "DELETE FROM cat_skus WHERE tenant = $1 AND product_id = $2",
        "DELETE FROM cat_products WHERE tenant = $1 AND id = $2",
    ] {
        execute(conn, sql, [uuid(tenant.0), uuid(id)]).await?;
    }
    Ok(())
}

/// Recomputes the product's lowest enabled sale price (the search sort/filter key).
pub async fn refresh_min_price(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<(), AppError> {
    execute(
        conn,
        "UPDATE cat_products SET min_sale_price = (SELECT MIN(s.sale_price) FROM cat_skus s \
         WHERE s.tenant = $1 AND s.product_id = $2 AND s.enabled = TRUE) WHERE tenant = $1 AND id = $2",
        [uuid(tenant.0), uuid(id)],
    )
    .await
    .map(|_| ())
}

/// Console filter of ListProducts.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Statuses (empty = all).
    pub statuses: Vec<ProductStatus>,
    /// Category path prefix.
    pub category_path: Option<Vec<Uuid>>,
    /// Lower-cased "contains" text over title, subtitle, SKU code and barcode.
    pub query: Option<String>,
}

fn where_clause(tenant: TenantId, f: &ListFilter) -> (String, Vec<Value>) {
    let mut sql = String::from(" WHERE p.tenant = $1");
    let mut v = vec![uuid(tenant.0)];
    if !f.statuses.is_empty() {
        let list: Vec<String> = f.statuses.iter().map(|s| (*s as i16).to_string()).collect();
        sql.push_str(&format!(" AND p.status IN ({})", list.join(", ")));
    }
    if let Some(path) = &f.category_path {
        let p = path_string(path);
        let n = v.len();
        sql.push_str(&format!(
            " AND (p.category_path = ${} OR p.category_path LIKE ${})",
            n + 1,
            n + 2
        ));
        v.push(p.clone().into());
        v.push(format!("{p}/%").into());
    }
    if let Some(q) = &f.query {
        let n = v.len() + 1;
        sql.push_str(&format!(
            " AND (LOWER(p.title) LIKE ${n} OR LOWER(p.subtitle) LIKE ${n} OR EXISTS (SELECT 1 FROM \
             cat_skus s WHERE s.tenant = p.tenant AND s.product_id = p.id AND (LOWER(s.sku_code) LIKE ${n} \
             OR LOWER(s.barcode) LIKE ${n})))"
        ));
        v.push(format!("%{}%", super::like_escape(q)).into());
    }
    (sql, v)
}

/// ListProducts: newest update first, keyset-paged by (updated_at_ms, id) descending; also the
/// total count.
#[tracing::instrument(skip_all)]
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &ListFilter,
    after: Option<(i64, Uuid)>,
    limit: u64,
) -> Result<(Vec<Product>, i64), AppError> {
    let (w, v) = where_clause(tenant, f);
    let total: Option<Count> = fetch_one(
        conn,
        &format!("SELECT COUNT(*) AS n FROM cat_products p{w}"),
        v.clone(),
    )
    .await?;
    let mut sql = format!("SELECT {COLUMNS} FROM cat_products p{w}");
    let mut v = v;
    if let Some((ms, id)) = after {
        let n = v.len();
        sql.push_str(&format!(
            " AND (p.updated_at_ms < ${a} OR (p.updated_at_ms = ${a} AND p.id < ${b}))",
            a = n + 1,
            b = n + 2
        ));
        v.push(ms.into());
        v.push(uuid(id));
    }
    sql.push_str(&format!(
        " ORDER BY p.updated_at_ms DESC, p.id DESC LIMIT {limit}"
    ));
    let rows = products(conn, &sql, v).await?;
    Ok((rows, total.map_or(0, |c| c.n)))
}
