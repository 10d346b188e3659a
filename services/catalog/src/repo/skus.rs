//! `cat_skus`: the facts inventory needs (existence, sellability, titles for events) and the
//! full SKUs of the catalog.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{
    execute, fetch_all, from_json, is_unique_violation, placeholders, stmt, to_json, uuid,
};
use crate::AppError;
use crate::app::domain::{ProductStatus, Sku, SkuInfo, StoreMode};

/// What inventory reads of a SKU and its product.
#[derive(Debug, FromQueryResult)]
struct SkuInfoRow {
    id: Uuid,
    product_id: Uuid,
    title: String,
    sku_code: String,
    enabled: bool,
    status: i16,
}

impl From<SkuInfoRow> for SkuInfo {
    fn from(r: SkuInfoRow) -> Self {
        Self {
            id: r.id,
            product_id: r.product_id,
            title: r.title,
            sku_code: r.sku_code,
            sellable: r.enabled && r.status == ProductStatus::OnSale as i16,
        }
    }
}

/// The tenant's SKUs among `ids`, in one query; unknown ids (or another tenant's) are absent.
#[tracing::instrument(skip_all, fields(n = ids.len()))]
pub async fn get_many(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<Vec<SkuInfo>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT s.id, s.product_id, s.title, s.sku_code, s.enabled, p.status FROM cat_skus s \
         JOIN cat_products p ON p.tenant = s.tenant AND p.id = s.product_id \
         WHERE s.tenant = $1 AND s.id IN ({})",
        placeholders(2, ids.len())
    );
    let mut v = vec![uuid(tenant.0)];
    v.extend(ids.iter().map(|id| uuid(*id)));
    let rows: Vec<SkuInfoRow> = fetch_all(conn, &sql, v).await?;
    Ok(rows.into_iter().map(SkuInfo::from).collect())
}

/// Columns of a full SKU row, for `SELECT {FULL} FROM cat_skus s`.
pub const FULL: &str = "s.id, s.product_id, s.specs, s.sku_code, s.barcode, s.weight_grams, \
    s.list_price, s.sale_price, s.member_prices, s.member_discount_eligible, s.image_url, \
    s.enabled, s.title, s.online, s.store_mode";

/// A row selected with [`FULL`].
#[derive(Debug, FromQueryResult)]
struct SkuRow {
    id: Uuid,
    product_id: Uuid,
    specs: String,
    sku_code: String,
    barcode: String,
    weight_grams: i32,
    list_price: Option<i64>,
    sale_price: Option<i64>,
    member_prices: String,
    member_discount_eligible: bool,
    image_url: String,
    enabled: bool,
    title: String,
    online: bool,
    store_mode: i16,
}

impl TryFrom<SkuRow> for Sku {
    type Error = AppError;

    fn try_from(r: SkuRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            product_id: r.product_id,
            specs: from_json("specs", &r.specs)?,
            sku_code: r.sku_code,
            barcode: r.barcode,
            weight_grams: r.weight_grams,
            list_price: r.list_price,
            sale_price: r.sale_price.unwrap_or(0),
            member_prices: from_json("member_prices", &r.member_prices)?,
            member_discount_eligible: r.member_discount_eligible,
            image_url: r.image_url,
            enabled: r.enabled,
            title: r.title,
            online: r.online,
            store_mode: StoreMode::from_i32(i32::from(r.store_mode)).unwrap_or(StoreMode::All),
        })
    }
}

/// Full SKUs of a query selecting [`FULL`].
async fn skus(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<Sku>, AppError> {
    fetch_all::<SkuRow>(conn, sql, values)
        .await?
        .into_iter()
        .map(Sku::try_from)
        .collect()
}

fn row(tenant: TenantId, s: &Sku, now_ms: i64) -> Vec<Value> {
    vec![
        uuid(tenant.0),
        uuid(s.id),
        uuid(s.product_id),
        to_json(&s.specs),
        s.sku_code.as_str().into(),
        s.barcode.as_str().into(),
        s.weight_grams.into(),
        Value::BigInt(s.list_price),
        s.sale_price.into(),
        to_json(&s.member_prices),
        s.member_discount_eligible.into(),
        s.image_url.as_str().into(),
        s.enabled.into(),
        s.title.as_str().into(),
        s.online.into(),
        Value::SmallInt(Some(s.store_mode as i16)),
        now_ms.into(),
    ]
}

/// Maps a unique violation on the SKU indexes to its reason.
fn taken(e: sea_orm::DbErr, index: usize) -> AppError {
    if is_unique_violation(&e) {
        let barcode = e.to_string().contains("barcode");
        if barcode {
            AppError::BarcodeTaken { index }
        } else {
            AppError::SkuCodeTaken { index }
        }
    } else {
        e.into()
    }
}

/// Inserts a SKU; `index` is its position in the request (error metadata).
#[tracing::instrument(skip_all, fields(sku_id = %s.id))]
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    s: &Sku,
    index: usize,
    now_ms: i64,
) -> Result<(), AppError> {
    let sql = "INSERT INTO cat_skus (tenant, id, product_id, specs, sku_code, barcode, weight_grams, \
        list_price, sale_price, member_prices, member_discount_eligible, image_url, enabled, title, \
        online, store_mode, updated_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
        $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)";
    conn.execute_raw(stmt(conn, sql, row(tenant, s, now_ms)))
        .await
        .map(|_| ())
        .map_err(|e| taken(e, index))
}

/// Rewrites every mutable column of a SKU.
#[tracing::instrument(skip_all, fields(sku_id = %s.id))]
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    s: &Sku,
    now_ms: i64,
) -> Result<(), AppError> {
    let sql = "UPDATE cat_skus SET specs = $4, sku_code = $5, barcode = $6, weight_grams = $7, \
        list_price = $8, sale_price = $9, member_prices = $10, member_discount_eligible = $11, \
        image_url = $12, enabled = $13, title = $14, online = $15, store_mode = $16, \
        updated_at_ms = $17 WHERE tenant = $1 AND id = $2 AND product_id = $3";
    conn.execute_raw(stmt(conn, sql, row(tenant, s, now_ms)))
        .await
        .map(|_| ())
        .map_err(|e| taken(e, 0))
}

/// The SKUs of products, by product then creation.
#[tracing::instrument(skip_all, fields(n = products.len()))]
pub async fn of_products(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    products: &[Uuid],
) -> Result<Vec<Sku>, AppError> {
    if products.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {FULL} FROM cat_skus s WHERE s.tenant = $1 AND s.product_id IN ({}) \
         ORDER BY s.product_id, s.created_at_ms, s.id",
        placeholders(2, products.len())
    );
    let mut v = vec![uuid(tenant.0)];
    v.extend(products.iter().map(|id| uuid(*id)));
    skus(conn, &sql, v).await
}

/// Full SKUs whose `column` (id, barcode or sku_code) is among `keys`.
#[tracing::instrument(skip_all, fields(n = keys.len()))]
pub async fn by_keys(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    column: SkuKey,
    keys: Vec<Value>,
) -> Result<Vec<Sku>, AppError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let col = match column {
        SkuKey::Id => "s.id",
        SkuKey::Barcode => "s.barcode",
        SkuKey::Code => "s.sku_code",
    };
    let sql = format!(
        "SELECT {FULL} FROM cat_skus s WHERE s.tenant = $1 AND {col} IN ({})",
        placeholders(2, keys.len())
    );
    let mut v = vec![uuid(tenant.0)];
    v.extend(keys);
    skus(conn, &sql, v).await
}

/// What [`by_keys`] looks SKUs up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkuKey {
    /// `id`.
    Id,
    /// `barcode`.
    Barcode,
    /// `sku_code`.
    Code,
}

/// Rewrites the titles of a product's SKUs after its title changed.
pub async fn retitle(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    skus: &[Sku],
) -> Result<(), AppError> {
    for s in skus {
        execute(
            conn,
            "UPDATE cat_skus SET title = $3 WHERE tenant = $1 AND id = $2",
            [uuid(tenant.0), uuid(s.id), s.title.as_str().into()],
        )
        .await?;
    }
    Ok(())
}
