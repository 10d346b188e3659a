//! PriceService: loads the facts for [`pricing::price`] in a fixed number of queries, and
//! manages SKU prices and store overrides.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind, TenantId};
use uuid::Uuid;

use super::domain::{LocationKind, Product, Sku, StorePrice, TierPrice};
use super::storefront::{Shopper, read_model};
use super::{App, org_scope, products, skus};
use crate::repo::skus::SkuKey;
use crate::{AppError, repo};

pub mod pricing;

use pricing::{PriceContext, Priced, SkuFacts};

/// A priced SKU with what callers build lines and cards from.
#[derive(Debug, Clone)]
pub struct PricedSku {
    /// The SKU.
    pub sku: Sku,
    /// The SKU's image, else the product's main image.
    pub image_url: String,
    /// The product's category path (root first).
    pub category_path: Vec<Uuid>,
    /// The result of the pricing function.
    pub priced: Priced,
}

/// Prices loaded SKUs of loaded products: + 1 query for store overrides and + 1 for the
/// assortment store lists when a store is given. SKUs whose product is missing are skipped.
pub async fn price_loaded(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    skus: Vec<Sku>,
    products: &HashMap<Uuid, Product>,
    ctx: &PriceContext<'_>,
    now_ms: i64,
) -> Result<Vec<PricedSku>, AppError> {
    let ids: Vec<Uuid> = skus.iter().map(|s| s.id).collect();
    let (overrides, listed) = match ctx.store {
        Some(store) => (
            repo::prices::valid_now(conn, tenant, store, &ids, now_ms).await?,
            repo::assortment::listed(conn, tenant, store, &ids).await?,
        ),
        None => Default::default(),
    };
    Ok(skus
        .into_iter()
        .filter_map(|sku| {
            let p = products.get(&sku.product_id)?;
            let priced = pricing::price(
                &SkuFacts {
                    sku: &sku,
                    product_status: p.status,
                    store_price: overrides.get(&sku.id).copied(),
                    store_listed: listed.contains(&sku.id),
                },
                ctx,
            );
            let image_url = if sku.image_url.is_empty() {
                p.main_image().to_owned()
            } else {
                sku.image_url.clone()
            };
            Some(PricedSku {
                sku,
                image_url,
                category_path: p.category_path.clone(),
                priced,
            })
        })
        .collect())
}

/// Loads store locations of the tenant; LOCATION_NOT_FOUND unless every id is a store.
pub async fn require_stores(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    stores: &[Uuid],
) -> Result<(), AppError> {
    let mut ids = stores.to_vec();
    ids.sort();
    ids.dedup();
    let found = repo::locations::get_many(conn, tenant, &ids).await?;
    let n = found
        .iter()
        .filter(|l| l.kind == LocationKind::Store)
        .count();
    if n == ids.len() {
        Ok(())
    } else {
        Err(AppError::LocationNotFound)
    }
}

/// Requires staff to act within their grants on each of the tenant's `stores` (a store
/// manager prices their own stores; HQ roles cover every store from the root). One query, and
/// only for staff: other callers were admitted by the contract alone.
async fn require_on_stores(
    conn: &impl ConnectionTrait,
    ctx: &Ctx,
    stores: &[Uuid],
) -> Result<(), AppError> {
    if ctx.principal.kind != PrincipalKind::Staff {
        return Ok(());
    }
    let mut ids = stores.to_vec();
    ids.sort();
    ids.dedup();
    for l in repo::locations::get_many(conn, ctx.tenant, &ids).await? {
        org_scope::require_on(ctx, &l)?;
    }
    Ok(())
}

/// Fails SKU_NOT_FOUND naming the first of `ids` the tenant does not have.
pub async fn require_skus(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<Vec<Sku>, AppError> {
    let found = repo::skus::by_keys(
        conn,
        tenant,
        SkuKey::Id,
        ids.iter().map(|i| repo::uuid(*i)).collect(),
    )
    .await?;
    if let Some(missing) = ids.iter().find(|i| !found.iter().any(|s| s.id == **i)) {
        return Err(AppError::SkuNotFound { sku_id: *missing });
    }
    Ok(found)
}

impl App {
    /// PriceSkus: 2 queries (SKUs, products) + 2 with a store; unknown SKUs omitted; request
    /// order kept. Guests get no member price, whatever tier they name.
    #[tracing::instrument(skip_all, fields(tenant = %shopper.tenant, n = ids.len()))]
    pub async fn price_skus(
        &self,
        shopper: &Shopper,
        ids: &[Uuid],
        pctx: PriceContext<'_>,
    ) -> Result<Vec<PricedSku>, AppError> {
        let pctx = shopper.price_context(pctx);
        let tenant = shopper.tenant;
        let skus = repo::skus::by_keys(
            &self.db,
            tenant,
            SkuKey::Id,
            ids.iter().map(|i| repo::uuid(*i)).collect(),
        )
        .await?;
        let mut pids: Vec<Uuid> = skus.iter().map(|s| s.product_id).collect();
        pids.sort();
        pids.dedup();
        let products: HashMap<Uuid, Product> = repo::products::get_many(&self.db, tenant, &pids)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let mut out = price_loaded(&self.db, tenant, skus, &products, &pctx, self.now_ms()).await?;
        out.sort_by_key(|p| ids.iter().position(|i| *i == p.sku.id));
        Ok(out)
    }

    /// SetSkuPrices: list, sale and member prices in one go.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn set_sku_prices(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        list: Option<i64>,
        sale: i64,
        members: Vec<TierPrice>,
    ) -> Result<Sku, AppError> {
        let mut s = skus::load(conn, ctx.tenant, id).await?;
        s.list_price = list;
        s.sale_price = sale;
        s.member_prices = members;
        products::check_prices("", &s)?;
        repo::skus::update(conn, ctx.tenant, &s, self.now_ms()).await?;
        repo::products::refresh_min_price(conn, ctx.tenant, s.product_id).await?;
        read_model::refresh(conn, ctx.tenant, &[s.product_id], self.now_ms()).await?;
        Ok(s)
    }

    /// SetStorePrices: every SKU and store must exist in the tenant; staff set the prices of
    /// the stores they cover.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, n = prices.len()))]
    pub async fn set_store_prices(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        prices: Vec<StorePrice>,
    ) -> Result<i32, AppError> {
        let mut skus: Vec<Uuid> = prices.iter().map(|p| p.sku_id).collect();
        skus.sort();
        skus.dedup();
        let products: Vec<Uuid> = require_skus(conn, ctx.tenant, &skus)
            .await?
            .iter()
            .map(|s| s.product_id)
            .collect();
        let stores: Vec<Uuid> = prices.iter().map(|p| p.store_id).collect();
        require_stores(conn, ctx.tenant, &stores).await?;
        require_on_stores(conn, ctx, &stores).await?;
        let now = self.now_ms();
        let n = prices.len();
        for mut p in prices {
            if p.valid_from_ms == 0 {
                p.valid_from_ms = now;
            }
            repo::prices::upsert(conn, ctx.tenant, &p, now).await?;
        }
        read_model::refresh(conn, ctx.tenant, &products, now).await?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }

    /// DeleteStorePrices: absent overrides are ignored; staff delete the prices of the stores
    /// they cover.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, n = keys.len()))]
    pub async fn delete_store_prices(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        keys: Vec<(Uuid, Uuid)>,
    ) -> Result<i32, AppError> {
        let stores: Vec<Uuid> = keys.iter().map(|k| k.1).collect();
        require_on_stores(conn, ctx, &stores).await?;
        let mut n = 0;
        let mut skus = Vec::new();
        for (sku, store) in keys {
            if repo::prices::delete(conn, ctx.tenant, sku, store).await? {
                n += 1;
                skus.push(sku);
            }
        }
        let products = read_model::products_of_skus(conn, ctx.tenant, &skus).await?;
        read_model::refresh(conn, ctx.tenant, &products, self.now_ms()).await?;
        Ok(n)
    }

    /// ListStorePrices.
    pub async fn list_store_prices(
        &self,
        ctx: &Ctx,
        store: Option<Uuid>,
        sku: Option<Uuid>,
        after: Option<(Uuid, Uuid)>,
        limit: u64,
    ) -> Result<Vec<StorePrice>, AppError> {
        repo::prices::list(&self.db, ctx.tenant, store, sku, after, limit).await
    }
}
