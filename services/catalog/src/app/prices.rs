//! PriceService: loads the facts for [`pricing::price`] in a fixed number of queries, and
//! manages SKU prices and store overrides.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind, TenantId};
use uuid::Uuid;

use super::domain::LocationKind;
use super::pricing::{self, PriceContext, Priced, SkuFacts};
use super::product::{Product, Sku, TierPrice};
use super::{App, AppError, access, products};
use crate::repo;
use crate::repo::prices::StorePrice;
use crate::repo::skus::SkuKey;

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

fn check_store(ctx: &Ctx) -> Result<(), AppError> {
    match ctx.principal.kind {
        PrincipalKind::Partner => siyu_auth::require_scope(ctx, "catalog.read")
            .map_err(|e| AppError::PermissionDenied(e.to_string())),
        _ => Ok(()),
    }
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
        Err(AppError::NotFound("LOCATION_NOT_FOUND"))
    }
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
        return Err(AppError::SkuNotFound {
            sku_id: missing.to_string(),
        });
    }
    Ok(found)
}

impl App {
    /// PriceSkus: 2 queries (SKUs, products) + 2 with a store; unknown SKUs omitted; request
    /// order kept.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, n = ids.len()))]
    pub async fn price_skus(
        &self,
        ctx: &Ctx,
        ids: &[Uuid],
        pctx: &PriceContext<'_>,
    ) -> Result<Vec<PricedSku>, AppError> {
        check_store(ctx)?;
        let skus = repo::skus::by_keys(
            &self.db,
            ctx.tenant,
            SkuKey::Id,
            ids.iter().map(|i| repo::uuid(*i)).collect(),
        )
        .await?;
        let mut pids: Vec<Uuid> = skus.iter().map(|s| s.product_id).collect();
        pids.sort();
        pids.dedup();
        let products: HashMap<Uuid, Product> =
            repo::products::get_many(&self.db, ctx.tenant, &pids)
                .await?
                .into_iter()
                .map(|p| (p.id, p))
                .collect();
        let mut out =
            price_loaded(&self.db, ctx.tenant, skus, &products, pctx, self.now_ms()).await?;
        out.sort_by_key(|p| ids.iter().position(|i| *i == p.sku.id));
        Ok(out)
    }

    /// SetSkuPrices: list, sale and member prices in one go.
    pub async fn set_sku_prices(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        list: Option<i64>,
        sale: i64,
        members: Vec<TierPrice>,
    ) -> Result<Sku, AppError> {
        access::catalog_admin(ctx, Some("catalog.write"))?;
        let mut s = products::load_sku(conn, ctx.tenant, id).await?;
        s.list_price = list;
        s.sale_price = sale;
        s.member_prices = members;
        products::check_prices("", &s).map_err(|e| match e {
            AppError::Rejected {
                reason,
                field,
                description,
            } => AppError::Rejected {
                reason,
                field: field.trim_start_matches('.').to_owned(),
                description,
            },
            other => other,
        })?;
        repo::skus::update(conn, ctx.tenant, &s, self.now_ms()).await?;
        repo::products::refresh_min_price(conn, ctx.tenant, s.product_id).await?;
        Ok(s)
    }

    /// SetStorePrices: every SKU and store must exist in the tenant.
    pub async fn set_store_prices(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        prices: Vec<StorePrice>,
    ) -> Result<i32, AppError> {
        self.store_pricing_allowed(conn, ctx, prices.iter().map(|p| p.store_id))
            .await?;
        let mut skus: Vec<Uuid> = prices.iter().map(|p| p.sku_id).collect();
        skus.sort();
        skus.dedup();
        require_skus(conn, ctx.tenant, &skus).await?;
        let stores: Vec<Uuid> = prices.iter().map(|p| p.store_id).collect();
        require_stores(conn, ctx.tenant, &stores).await?;
        let now = self.now_ms();
        let n = prices.len();
        for mut p in prices {
            if p.valid_from_ms == 0 {
                p.valid_from_ms = now;
            }
            repo::prices::upsert(conn, ctx.tenant, &p, now).await?;
        }
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }

    /// HQ, partners with catalog.write, or store managers covering every store named.
    async fn store_pricing_allowed(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        stores: impl Iterator<Item = Uuid>,
    ) -> Result<(), AppError> {
        if access::catalog_admin(ctx, Some("catalog.write")).is_ok() {
            return Ok(());
        }
        if ctx.principal.kind != PrincipalKind::Staff {
            return Err(AppError::PermissionDenied("needs catalog.write".into()));
        }
        for s in stores {
            let l = super::locations::load(conn, ctx.tenant, s).await?;
            access::on_location(ctx, &["store_manager"], None, &l)?;
        }
        Ok(())
    }

    /// DeleteStorePrices: absent overrides are ignored.
    pub async fn delete_store_prices(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        keys: Vec<(Uuid, Uuid)>,
    ) -> Result<i32, AppError> {
        self.store_pricing_allowed(conn, ctx, keys.iter().map(|k| k.1))
            .await?;
        let mut n = 0;
        for (sku, store) in keys {
            if repo::prices::delete(conn, ctx.tenant, sku, store).await? {
                n += 1;
            }
        }
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
        access::reader(ctx, "catalog.read")?;
        repo::prices::list(&self.db, ctx.tenant, store, sku, after, limit).await
    }
}
