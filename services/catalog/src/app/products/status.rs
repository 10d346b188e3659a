//! Product status: publish and unpublish (with their outbox events) and deleting drafts.

use sea_orm::ConnectionTrait;
use siyu_core::Ctx;
use uuid::Uuid;

use super::load;
use crate::app::App;
use crate::app::domain::{Product, ProductStatus};
use crate::app::storefront::read_model;
use crate::events::publish;
use crate::{AppError, repo};

impl App {
    /// PublishProduct: DRAFT|OFF_SALE → ON_SALE (on-sale answers as is); needs an enabled SKU
    /// (every SKU has a sale price > 0) and an image.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn publish_product(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<Product, AppError> {
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
            return Err(AppError::ProductIncomplete {
                missing: missing.join(","),
            });
        }
        let now = self.now_ms();
        let first = p.first_on_sale_at_ms.is_none();
        p.status = ProductStatus::OnSale;
        p.first_on_sale_at_ms.get_or_insert(now);
        p.updated_at_ms = now;
        repo::products::update(conn, ctx.tenant, &p).await?;
        publish::product_published(conn, ctx.tenant, &p, first, self.clock.now()).await?;
        read_model::refresh(conn, ctx.tenant, &[p.id], now).await?;
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
        let mut p = load(conn, ctx.tenant, id).await?;
        if p.status != ProductStatus::OnSale {
            return Err(AppError::ProductNotOnSale);
        }
        p.status = ProductStatus::OffSale;
        p.updated_at_ms = self.now_ms();
        repo::products::update(conn, ctx.tenant, &p).await?;
        publish::product_unpublished(conn, ctx.tenant, &p, reason, self.clock.now()).await?;
        read_model::refresh(conn, ctx.tenant, &[p.id], p.updated_at_ms).await?;
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
        let p = load(conn, ctx.tenant, id).await?;
        if p.status != ProductStatus::Draft || p.first_on_sale_at_ms.is_some() {
            return Err(AppError::ProductNotDraft);
        }
        repo::products::delete(conn, ctx.tenant, id).await?;
        read_model::refresh(conn, ctx.tenant, &[id], self.now_ms()).await
    }
}
