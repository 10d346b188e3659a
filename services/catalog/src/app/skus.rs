//! SKUs of a product: adding, updating and batch lookups by id, code or barcode.

use std::collections::HashSet;

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::App;
use super::domain::{Product, Sku, SpecDimension};
use super::products::{check_dimensions, check_prices, check_skus};
use crate::repo::skus::SkuKey;
use crate::{AppError, repo};

/// What UpdateSku changes (`None` = keep); parsed at the edge, prices re-checked here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkuPatch {
    /// 货号.
    pub sku_code: Option<String>,
    /// Barcode.
    pub barcode: Option<String>,
    /// Grams.
    pub weight_grams: Option<i32>,
    /// 划线价 (`Some(None)` clears it).
    pub list_price: Option<Option<i64>>,
    /// 售价.
    pub sale_price: Option<i64>,
    /// Member prices (replaced whole).
    pub member_prices: Option<Vec<super::domain::TierPrice>>,
    /// Whether tier discounts apply.
    pub member_discount_eligible: Option<bool>,
    /// Own image.
    pub image_url: Option<String>,
    /// Sellable at all.
    pub enabled: Option<bool>,
}

impl SkuPatch {
    fn apply(self, s: &mut Sku) {
        let Self {
            sku_code,
            barcode,
            weight_grams,
            list_price,
            sale_price,
            member_prices,
            member_discount_eligible,
            image_url,
            enabled,
        } = self;
        s.sku_code = sku_code.unwrap_or(std::mem::take(&mut s.sku_code));
        s.barcode = barcode.unwrap_or(std::mem::take(&mut s.barcode));
        s.weight_grams = weight_grams.unwrap_or(s.weight_grams);
        s.list_price = list_price.unwrap_or(s.list_price);
        s.sale_price = sale_price.unwrap_or(s.sale_price);
        s.member_prices = member_prices.unwrap_or(std::mem::take(&mut s.member_prices));
        s.member_discount_eligible = member_discount_eligible.unwrap_or(s.member_discount_eligible);
        s.image_url = image_url.unwrap_or(std::mem::take(&mut s.image_url));
        s.enabled = enabled.unwrap_or(s.enabled);
    }
}

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
        let mut p = super::products::load(conn, ctx.tenant, id).await?;
        check_dimensions("spec_dimensions", &dims)?;
        for (i, s) in skus.iter().enumerate() {
            check_prices(&format!("skus[{i}]"), s)?;
        }
        let mut all = p.skus.clone();
        all.extend(skus.iter().cloned());
        // Old and new SKUs are checked together; the refusal names the request's list.
        check_skus("skus", &dims, &all).map_err(|e| e.at("skus"))?;
        p.spec_dimensions = dims;
        p.updated_at_ms = self.now_ms();
        repo::products::update(conn, ctx.tenant, &p).await?;
        self.insert_skus(conn, ctx.tenant, &p, &mut skus, 0).await?;
        p.skus.extend(skus);
        Ok(p)
    }

    /// UpdateSku: the patch's fields; prices are re-checked.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn update_sku(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        patch: SkuPatch,
    ) -> Result<Sku, AppError> {
        let mut s = load(conn, ctx.tenant, id).await?;
        patch.apply(&mut s);
        check_prices("sku", &s)?;
        repo::skus::update(conn, ctx.tenant, &s, self.now_ms()).await?;
        repo::products::refresh_min_price(conn, ctx.tenant, s.product_id).await?;
        super::storefront::read_model::refresh(conn, ctx.tenant, &[s.product_id], self.now_ms())
            .await?;
        Ok(s)
    }

    /// BatchGetSkus: found SKUs (each once) and the keys that matched nothing.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn batch_get_skus(
        &self,
        ctx: &Ctx,
        ids: Vec<Uuid>,
        barcodes: Vec<String>,
        codes: Vec<String>,
    ) -> Result<(Vec<Sku>, Vec<String>), AppError> {
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
pub async fn load(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Sku, AppError> {
    repo::skus::by_keys(conn, tenant, SkuKey::Id, vec![repo::uuid(id)])
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::SkuNotFound { sku_id: id })
}
