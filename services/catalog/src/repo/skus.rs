//! `cat_skus`: the facts inventory needs (existence, sellability, titles for events) and the
//! full SKUs of the catalog.

use sea_orm::{ConnectionTrait, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::products::{json, to_json};
use super::{col, execute, is_unique_violation, placeholders, query_all, stmt, uuid};
use crate::app::AppError;
use crate::app::domain::SkuInfo;
use crate::app::product::{Sku, StoreMode};

/// `proto ProductStatus.ON_SALE`.
const ON_SALE: i16 = 2;

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
    query_all(conn, &sql, v)
        .await?
        .iter()
        .map(|r| {
            let enabled: bool = col(r, "enabled")?;
            let status: i16 = col(r, "status")?;
            Ok(SkuInfo {
                id: col(r, "id")?,
                product_id: col(r, "product_id")?,
                title: col(r, "title")?,
                sku_code: col(r, "sku_code")?,
                sellable: enabled && status == ON_SALE,
            })
        })
        .collect()
}

/// Columns of a full SKU row, for `SELECT {FULL} FROM cat_skus s`.
pub const FULL: &str = "s.id, s.product_id, s.specs, s.sku_code, s.barcode, s.weight_grams, \
    s.list_price, s.sale_price, s.member_prices, s.member_discount_eligible, s.image_url, \
    s.enabled, s.title, s.online, s.store_mode";

/// Decodes a row selected with [`FULL`].
pub fn decode(r: &sea_orm::QueryResult) -> Result<Sku, AppError> {
    let mode: i16 = col(r, "store_mode")?;
    Ok(Sku {
        id: col(r, "id")?,
        product_id: col(r, "product_id")?,
        specs: json(r, "specs")?,
        sku_code: col(r, "sku_code")?,
        barcode: col(r, "barcode")?,
        weight_grams: col(r, "weight_grams")?,
        list_price: col(r, "list_price")?,
        sale_price: col::<Option<i64>>(r, "sale_price")?.unwrap_or(0),
        member_prices: json(r, "member_prices")?,
        member_discount_eligible: col(r, "member_discount_eligible")?,
        image_url: col(r, "image_url")?,
        enabled: col(r, "enabled")?,
        title: col(r, "title")?,
        online: col(r, "online")?,
        store_mode: StoreMode::from_i32(i32::from(mode)).unwrap_or(StoreMode::All),
    })
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
        AppError::Taken {
            reason: if barcode {
                "BARCODE_TAKEN"
            } else {
                "SKU_CODE_TAKEN"
            },
            index,
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
    query_all(conn, &sql, v).await?.iter().map(decode).collect()
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
    query_all(conn, &sql, v).await?.iter().map(decode).collect()
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
