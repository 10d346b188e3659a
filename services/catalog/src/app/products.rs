//! Products (SPU): create with their SKUs, update, get and list; publishing and deleting
//! drafts are in `status`, the checks that need no database in `checks`.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::domain::{Product, ProductStatus, Sku, sku_title};
use super::{App, categories};
use crate::{AppError, repo};

mod checks;
mod status;

pub use checks::{check_dimensions, check_prices, check_skus};
pub use repo::products::ListFilter;

/// Loads a product with its SKUs or fails PRODUCT_NOT_FOUND.
pub async fn load(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Product, AppError> {
    let mut p = repo::products::get(conn, tenant, id)
        .await?
        .ok_or(AppError::ProductNotFound)?;
    p.skus = repo::skus::of_products(conn, tenant, &[id]).await?;
    Ok(p)
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
    /// Inserts new SKUs of `p` (ids, product and titles assigned here); `first_index` is the
    /// position of the first in the request, for a taken code's error metadata.
    pub(crate) async fn insert_skus(
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
        repo::products::refresh_min_price(conn, tenant, p.id).await?;
        super::storefront::read_model::refresh(conn, tenant, &[p.id], now).await
    }

    /// CreateProduct: DRAFT with its SKUs.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_product(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut p: Product,
    ) -> Result<Product, AppError> {
        check_dimensions("product.spec_dimensions", &p.spec_dimensions)?;
        check_skus("product.skus", &p.spec_dimensions, &p.skus)?;
        for (i, s) in p.skus.iter().enumerate() {
            check_prices(&format!("product.skus[{i}]"), s)?;
        }
        let cat = match p.category_id {
            Some(c) => categories::load(conn, ctx.tenant, c).await?,
            None => return Err(AppError::CategoryNotFound),
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
                    let c = v.category_id.ok_or(AppError::CategoryNotFound)?;
                    p.category_path = categories::load(conn, ctx.tenant, c).await?.path;
                    p.category_id = Some(c);
                }
                // The edge only lets known paths through.
                other => {
                    return Err(AppError::invalid(
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
        super::storefront::read_model::refresh(conn, ctx.tenant, &[p.id], p.updated_at_ms).await?;
        Ok(p)
    }

    /// GetProduct: any status, with SKUs.
    pub async fn get_product(&self, ctx: &Ctx, id: Uuid) -> Result<Product, AppError> {
        load(&self.db, ctx.tenant, id).await
    }

    /// ListProducts: newest update first, with the total.
    pub async fn list_products(
        &self,
        ctx: &Ctx,
        mut f: ListFilter,
        category: Option<Uuid>,
        after: Option<(i64, Uuid)>,
        limit: u64,
    ) -> Result<(Vec<Product>, i64), AppError> {
        if let Some(c) = category {
            f.category_path = Some(categories::load(&self.db, ctx.tenant, c).await?.path);
        }
        repo::products::list(&self.db, ctx.tenant, &f, after, limit).await
    }
}
