//! SKUs of a product: adding, updating and batch lookups by id, code or barcode.

use std::collections::HashSet;

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::{check_dimensions, check_prices, check_skus, load};
use crate::app::product::{Product, Sku, SpecDimension};
use crate::app::{App, AppError, access, rejected};
use crate::repo;
use crate::repo::skus::SkuKey;

impl App {
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
