//! Products (SPU) and SKUs: create with SKUs, update, publish/unpublish (outbox events),
//! delete drafts, add/update SKUs, batch lookups.

use std::collections::HashSet;

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::product::{Product, ProductStatus, Sku, SpecDimension, sku_title};
use super::{App, AppError, access, categories, rejected};
use crate::events::publish;
use crate::repo;
use crate::repo::skus::SkuKey;

/// Loads a product with its SKUs or fails PRODUCT_NOT_FOUND.
pub async fn load(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Product, AppError> {
    let mut p = repo::products::get(conn, tenant, id)
        .await?
        .ok_or(AppError::NotFound("PRODUCT_NOT_FOUND"))?;
    p.skus = repo::skus::of_products(conn, tenant, &[id]).await?;
    Ok(p)
}

/// Checks one SKU's prices: sale > 0, list ≥ sale when set, member prices in 1..=sale.
pub fn check_prices(field: &str, s: &Sku) -> Result<(), AppError> {
    if s.sale_price <= 0 {
        return Err(rejected(
            "PRICE_INVALID",
            format!("{field}.sale_price"),
            "must be greater than 0",
        ));
    }
    if let Some(l) = s.list_price {
        if l <= 0 {
            return Err(rejected(
                "PRICE_INVALID",
                format!("{field}.list_price"),
                "must be greater than 0",
            ));
        }
        if s.sale_price > l {
            return Err(rejected(
                "PRICE_INVALID",
                format!("{field}.sale_price"),
                "must not exceed list_price",
            ));
        }
    }
    let mut tiers = HashSet::new();
    for (i, m) in s.member_prices.iter().enumerate() {
        let f = format!("{field}.member_prices[{i}]");
        if m.tier_code.is_empty() || !tiers.insert(m.tier_code.as_str()) {
            return Err(rejected(
                "PRICE_INVALID",
                format!("{f}.tier_code"),
                "required and unique",
            ));
        }
        if m.price <= 0 || m.price > s.sale_price {
            return Err(rejected(
                "PRICE_INVALID",
                format!("{f}.price"),
                "must be in 0 < price <= sale_price",
            ));
        }
    }
    Ok(())
}

/// Checks the spec dimensions themselves: at most 3, named, 1..=50 distinct values.
pub fn check_dimensions(field: &str, dims: &[SpecDimension]) -> Result<(), AppError> {
    if dims.len() > 3 {
        return Err(rejected("SPEC_MISMATCH", field, "at most 3 dimensions"));
    }
    let mut names = HashSet::new();
    for (i, d) in dims.iter().enumerate() {
        let values: HashSet<&str> = d.values.iter().map(String::as_str).collect();
        if d.name.trim().is_empty()
            || !names.insert(d.name.as_str())
            || d.values.is_empty()
            || d.values.len() > 50
            || values.len() != d.values.len()
            || values.iter().any(|v| v.trim().is_empty())
        {
            return Err(rejected(
                "SPEC_MISMATCH",
                format!("{field}[{i}]"),
                "a unique name and 1..50 distinct values",
            ));
        }
    }
    Ok(())
}

/// The combination key of a SKU's specs against `dims` (values in dimension order), or
/// SPEC_MISMATCH when the specs are not exactly one known value per dimension.
fn combination(field: &str, dims: &[SpecDimension], s: &Sku) -> Result<String, AppError> {
    let bad = || {
        rejected(
            "SPEC_MISMATCH",
            format!("{field}.specs"),
            "one value of each spec dimension",
        )
    };
    if s.specs.len() != dims.len() {
        return Err(bad());
    }
    let mut key = Vec::new();
    for d in dims {
        let v = s
            .specs
            .iter()
            .find(|v| v.dimension == d.name)
            .ok_or_else(bad)?;
        if !d.values.contains(&v.value) {
            return Err(bad());
        }
        key.push(v.value.as_str());
    }
    Ok(key.join("\u{1f}"))
}

/// Checks every SKU against the dimensions and that no two share a combination.
pub fn check_skus(field: &str, dims: &[SpecDimension], skus: &[Sku]) -> Result<(), AppError> {
    let mut seen = HashSet::new();
    for (i, s) in skus.iter().enumerate() {
        let f = format!("{field}[{i}]");
        if !seen.insert(combination(&f, dims, s)?) {
            return Err(rejected(
                "SPEC_MISMATCH",
                format!("{f}.specs"),
                "two SKUs share a combination",
            ));
        }
    }
    Ok(())
}

/// What UpdateProduct changes.
#[derive(Debug, Clone, Default)]
pub struct ProductPatch {
    /// The new values (only the masked ones are read).
    pub values: Option<Product>,
    /// Masked paths.
    pub paths: Vec<String>,
}

impl App {
    async fn insert_skus(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        p: &Product,
        skus: &mut [Sku],
        first_index: usize,
    ) -> Result<(), AppError> {
        let now = self.now_ms();
        for (i, s) in skus.iter_mut().enumerate() {
            s.id = siyu_core::id::new();
            s.product_id = p.id;
            s.title = sku_title(&p.title, &s.specs);
            repo::skus::insert(conn, tenant, s, first_index + i, now).await?;
        }
        repo::products::refresh_min_price(conn, tenant, p.id).await
    }

    /// CreateProduct: DRAFT with its SKUs.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_product(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut p: Product,
    ) -> Result<Product, AppError> {
        access::catalog_admin(ctx, Some("catalog.write"))?;
        check_dimensions("product.spec_dimensions", &p.spec_dimensions)?;
        check_skus("product.skus", &p.spec_dimensions, &p.skus)?;
        for (i, s) in p.skus.iter().enumerate() {
            check_prices(&format!("product.skus[{i}]"), s)?;
        }
        let cat = match p.category_id {
            Some(c) => categories::load(conn, ctx.tenant, c).await?,
            None => return Err(AppError::NotFound("CATEGORY_NOT_FOUND")),
        };
        p.id = siyu_core::id::new();
        p.category_path = cat.path;
        p.status = ProductStatus::Draft;
        p.created_at_ms = self.now_ms();
        p.updated_at_ms = p.created_at_ms;
        p.first_on_sale_at_ms = None;
        p.sales_30d = 0;
        let mut skus = std::mem::take(&mut p.skus);
        repo::products::insert(conn, ctx.tenant, &p).await?;
        self.insert_skus(conn, ctx.tenant, &p, &mut skus, 0).await?;
        p.skus = skus;
        Ok(p)
    }

    /// UpdateProduct (fields only; not SKUs, not status).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn update_product(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        patch: ProductPatch,
    ) -> Result<Product, AppError> {
        access::catalog_admin(ctx, Some("catalog.write"))?;
        let mut p = load(conn, ctx.tenant, id).await?;
        let Some(v) = patch.values else {
            return Ok(p);
        };
        let old_title = p.title.clone();
        for path in &patch.paths {
            match path.as_str() {
                "title" => p.title = v.title.clone(),
                "subtitle" => p.subtitle = v.subtitle.clone(),
                "brand" => p.brand = v.brand.clone(),
                "media" => p.media = v.media.clone(),
                "attributes" => p.attributes = v.attributes.clone(),
                "description" => p.description = v.description.clone(),
                "keywords" => p.keywords = v.keywords.clone(),
                "spec_dimensions" => {
                    check_dimensions("product.spec_dimensions", &v.spec_dimensions)?;
                    check_skus("product.spec_dimensions", &v.spec_dimensions, &p.skus)?;
                    p.spec_dimensions = v.spec_dimensions.clone();
                }
                "category_id" => {
                    let c = v
                        .category_id
                        .ok_or(AppError::NotFound("CATEGORY_NOT_FOUND"))?;
                    p.category_path = categories::load(conn, ctx.tenant, c).await?.path;
                    p.category_id = Some(c);
                }
                // The edge only lets known paths through.
                other => {
                    return Err(super::invalid(
                        "update_mask",
                        format!("unknown path {other}"),
                    ));
                }
            }
        }
        p.updated_at_ms = self.now_ms();
        repo::products::update(conn, ctx.tenant, &p).await?;
        if p.title != old_title {
            for s in &mut p.skus {
                s.title = sku_title(&p.title, &s.specs);
            }
            repo::skus::retitle(conn, ctx.tenant, &p.skus).await?;
        }
        Ok(p)
    }

    /// GetProduct: any status, with SKUs.
    pub async fn get_product(&self, ctx: &Ctx, id: Uuid) -> Result<Product, AppError> {
        access::reader(ctx, "catalog.read")?;
        load(&self.db, ctx.tenant, id).await
    }

    /// ListProducts: newest update first, with the total.
    pub async fn list_products(
        &self,
        ctx: &Ctx,
        mut f: repo::products::ListFilter,
        category: Option<Uuid>,
        after: Option<(i64, Uuid)>,
        limit: u64,
    ) -> Result<(Vec<Product>, i64), AppError> {
        access::reader(ctx, "catalog.read")?;
        if let Some(c) = category {
            f.category_path = Some(categories::load(&self.db, ctx.tenant, c).await?.path);
        }
        repo::products::list(&self.db, ctx.tenant, &f, after, limit).await
    }

    /// PublishProduct: DRAFT|OFF_SALE → ON_SALE (on-sale answers as is); needs an enabled SKU
    /// (every SKU has a sale price > 0) and an image.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn publish_product(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<Product, AppError> {
        access::catalog_admin(ctx, Some("catalog.write"))?;
        let mut p = load(conn, ctx.tenant, id).await?;
        if p.status == ProductStatus::OnSale {
            return Ok(p);
        }
        let mut missing = Vec::new();
        if !p.skus.iter().any(|s| s.enabled && s.sale_price > 0) {
            missing.push("enabled_sku");
        }
        if p.main_image().is_empty() {
            missing.push("image");
        }
        if !missing.is_empty() {
            return Err(AppError::Incomplete(missing.join(",")));
        }
        let now = self.now_ms();
        let first = p.first_on_sale_at_ms.is_none();
        p.status = ProductStatus::OnSale;
        p.first_on_sale_at_ms.get_or_insert(now);
        p.updated_at_ms = now;
        repo::products::update(conn, ctx.tenant, &p).await?;
        publish::product_published(conn, ctx.tenant, &p, first, self.clock.now()).await?;
        Ok(p)
    }

    /// UnpublishProduct: ON_SALE → OFF_SALE.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn unpublish_product(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        reason: &str,
    ) -> Result<Product, AppError> {
        access::catalog_admin(ctx, Some("catalog.write"))?;
        let mut p = load(conn, ctx.tenant, id).await?;
        if p.status != ProductStatus::OnSale {
            return Err(AppError::Precondition("PRODUCT_NOT_ON_SALE"));
        }
        p.status = ProductStatus::OffSale;
        p.updated_at_ms = self.now_ms();
        repo::products::update(conn, ctx.tenant, &p).await?;
        publish::product_unpublished(conn, ctx.tenant, &p, reason, self.clock.now()).await?;
        Ok(p)
    }

    /// DeleteProduct: only a DRAFT that never went on sale (orders may reference the others).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn delete_product(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<(), AppError> {
        access::catalog_admin(ctx, None)?;
        let p = load(conn, ctx.tenant, id).await?;
        if p.status != ProductStatus::Draft || p.first_on_sale_at_ms.is_some() {
            return Err(AppError::Precondition("PRODUCT_NOT_DRAFT"));
        }
        repo::products::delete(conn, ctx.tenant, id).await
    }

    /// AddSkus: the new dimensions must still fit every existing SKU.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn add_skus(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        mut skus: Vec<Sku>,
        dims: Vec<SpecDimension>,
    ) -> Result<Product, AppError> {
        access::catalog_admin(ctx, Some("catalog.write"))?;
        let mut p = load(conn, ctx.tenant, id).await?;
        check_dimensions("spec_dimensions", &dims)?;
        for (i, s) in skus.iter().enumerate() {
            check_prices(&format!("skus[{i}]"), s)?;
        }
        let mut all = p.skus.clone();
        all.extend(skus.iter().cloned());
        check_skus("skus", &dims, &all).map_err(|e| match e {
            AppError::Rejected {
                reason,
                description,
                ..
            } => rejected(reason, "skus", description),
            other => other,
        })?;
        p.spec_dimensions = dims;
        p.updated_at_ms = self.now_ms();
        repo::products::update(conn, ctx.tenant, &p).await?;
        self.insert_skus(conn, ctx.tenant, &p, &mut skus, 0).await?;
        p.skus.extend(skus);
        Ok(p)
    }

    /// UpdateSku: `apply` edits the loaded SKU (the masked fields); prices are re-checked.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn update_sku(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        apply: impl FnOnce(&mut Sku) + Send,
    ) -> Result<Sku, AppError> {
        access::catalog_admin(ctx, Some("catalog.write"))?;
        let mut s = load_sku(conn, ctx.tenant, id).await?;
        apply(&mut s);
        check_prices("sku", &s)?;
        repo::skus::update(conn, ctx.tenant, &s, self.now_ms()).await?;
        repo::products::refresh_min_price(conn, ctx.tenant, s.product_id).await?;
        Ok(s)
    }

    /// BatchGetSkus: found SKUs (each once) and the keys that matched nothing.
    pub async fn batch_get_skus(
        &self,
        ctx: &Ctx,
        ids: Vec<Uuid>,
        barcodes: Vec<String>,
        codes: Vec<String>,
    ) -> Result<(Vec<Sku>, Vec<String>), AppError> {
        access::reader(ctx, "catalog.read")?;
        let t = ctx.tenant;
        let by_id = repo::skus::by_keys(
            &self.db,
            t,
            SkuKey::Id,
            ids.iter().map(|i| repo::uuid(*i)).collect(),
        )
        .await?;
        let by_bc = repo::skus::by_keys(
            &self.db,
            t,
            SkuKey::Barcode,
            barcodes.iter().map(|b| b.as_str().into()).collect(),
        )
        .await?;
        let by_code = repo::skus::by_keys(
            &self.db,
            t,
            SkuKey::Code,
            codes.iter().map(|c| c.as_str().into()).collect(),
        )
        .await?;
        let mut missing: Vec<String> = ids
            .iter()
            .filter(|i| !by_id.iter().any(|s| s.id == **i))
            .map(ToString::to_string)
            .collect();
        missing.extend(
            barcodes
                .into_iter()
                .filter(|b| !by_bc.iter().any(|s| &s.barcode == b)),
        );
        missing.extend(
            codes
                .into_iter()
                .filter(|c| !by_code.iter().any(|s| &s.sku_code == c)),
        );
        let mut seen = HashSet::new();
        let found = by_id
            .into_iter()
            .chain(by_bc)
            .chain(by_code)
            .filter(|s| seen.insert(s.id))
            .collect();
        Ok((found, missing))
    }
}

/// Loads a full SKU or fails SKU_NOT_FOUND.
pub async fn load_sku(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Sku, AppError> {
    repo::skus::by_keys(conn, tenant, SkuKey::Id, vec![repo::uuid(id)])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::SkuNotFound {
            sku_id: id.to_string(),
        })
}
