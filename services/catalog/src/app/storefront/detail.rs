//! GetProductDetail: the product, its sellable SKUs priced for the caller and their availability
//! at the chosen store and for delivery. Queries: locations 1 (+1 for a non-ACTIVE store),
//! products 1, SKUs 1, pricing +2 with a store, stock 1.

use uuid::Uuid;

use super::{Shop, Shopper, availability, price_products, sources, sum_at};
use crate::AppError;
use crate::app::App;
use crate::app::domain::Product;
use crate::app::prices::PricedSku;

/// Units shown are capped (the page says "有货", not the warehouse count).
pub const DISPLAY_CAP: i32 = 999;

/// One SKU on the detail page.
#[derive(Debug, Clone)]
pub struct SkuDetail {
    /// The priced SKU.
    pub priced: PricedSku,
    /// Available at the store (0 without a store), capped.
    pub store_available: i32,
    /// Units over the delivery sources, capped.
    pub delivery_quantity: i32,
}

/// The detail page.
#[derive(Debug, Clone)]
pub struct Detail {
    /// The product with its sellable SKUs.
    pub product: Product,
    /// Price and availability per sellable SKU.
    pub skus: Vec<SkuDetail>,
}

impl App {
    /// GetProductDetail: PRODUCT_NOT_FOUND unless the product is on sale with a SKU sellable
    /// for this store and channel.
    #[tracing::instrument(skip_all, fields(tenant = %shopper.tenant, %id))]
    pub async fn product_detail(
        &self,
        shopper: &Shopper,
        id: Uuid,
        shop: Shop,
    ) -> Result<Detail, AppError> {
        let (tenant, shop) = (shopper.tenant, shopper.shop(shop));
        let src = sources(&self.reads, tenant, &shop).await?;
        let mut priced = price_products(&self.reads, tenant, &[id], &shop, self.now_ms()).await?;
        let p = priced.remove(&id).ok_or(AppError::ProductNotFound)?;
        let skus: Vec<Uuid> = p.skus.iter().map(|s| s.sku.id).collect();
        let stock = availability(&self.reads, tenant, &skus, &src.all()).await?;
        let store: Vec<Uuid> = src.store.into_iter().collect();
        let mut product = p.product;
        product.skus = p.skus.iter().map(|s| s.sku.clone()).collect();
        Ok(Detail {
            product,
            skus: p
                .skus
                .into_iter()
                .map(|s| SkuDetail {
                    store_available: sum_at(&stock, s.sku.id, &store).min(DISPLAY_CAP),
                    delivery_quantity: sum_at(&stock, s.sku.id, &src.delivery).min(DISPLAY_CAP),
                    priced: s,
                })
                .collect(),
        })
    }
}
