//! The storefront read model: per (product, scope, channel) what a list or search page needs,
//! written by every catalog write in the same transaction through [`refresh`].
//!
//! It stores **results of the pricing function** ([`pricing::price`]) for a shopper without a
//! member tier — the lowest and highest unit price of the sellable SKUs — per scope (online
//! without a store, or one store) and channel (online, the store's POS), recomputed by that
//! same function whenever an input changes: product (status, title, category, media), SKU
//! (prices, enabled, assortment), a store override (valid-from / valid-until: the row carries
//! `reprice_at_ms` and is recomputed once that time passes, see [`reprice_due`]) and stock
//! (`in_stock` per store, recomputed from the stored sellable SKUs by
//! `repo::storefront::read_model::stock_changed`, called by every stock statement). A product
//! has a row only where it is sellable, so a row means "on sale with a sellable SKU here".

use std::collections::{HashMap, HashSet};

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use uuid::Uuid;

use crate::app::domain::{Product, ProductStatus, Sku, StorePrice, path_string};
use crate::app::prices::pricing::{self, Channel, PriceContext, SkuFacts};
use crate::repo::storefront::read_model::{self as repo, ModelRow, ModelSku};
use crate::{AppError, repo as store};

/// `channel` of the online rows.
pub const ONLINE: i16 = 1;
/// `channel` of the store POS rows.
pub const POS: i16 = 2;

/// Products refreshed per statement batch by [`rebuild_tenant`] and [`backfill`].
const BATCH: u64 = 200;

/// The stored channel of a pricing channel.
pub fn channel_code(c: Channel) -> i16 {
    match c {
        Channel::Online => ONLINE,
        Channel::StorePos => POS,
    }
}

/// The scope of a shopper's store: the store, or the nil id for "online without a store".
pub fn scope_of(store: Option<Uuid>) -> Uuid {
    store.unwrap_or(Uuid::nil())
}

/// Whether a store override applies at `now_ms` (the rule `repo::prices::valid_now` selects).
fn valid_at(p: &StorePrice, now_ms: i64) -> bool {
    p.valid_from_ms <= now_ms && p.valid_until_ms.is_none_or(|u| u > now_ms)
}

/// What [`rows`] needs besides the products and SKUs.
#[derive(Debug, Default)]
pub struct Facts {
    /// Every store of the tenant.
    pub stores: Vec<Uuid>,
    /// Every store override of the SKUs.
    pub prices: Vec<StorePrice>,
    /// Store lists of the SKUs' assortments.
    pub lists: HashMap<Uuid, Vec<Uuid>>,
    /// (SKU, location) pairs with units available.
    pub available: HashSet<(Uuid, Uuid)>,
}

/// The read-model rows of `products` (pure): one per scope and channel where the product has
/// a sellable SKU, priced by [`pricing::price`] without a tier.
pub fn rows(
    products: &[Product],
    skus: &[Sku],
    facts: &Facts,
    now_ms: i64,
) -> (Vec<ModelRow>, Vec<ModelSku>) {
    let mut by_product: HashMap<Uuid, Vec<&Sku>> = HashMap::new();
    for s in skus {
        by_product.entry(s.product_id).or_default().push(s);
    }
    let mut prices: HashMap<(Uuid, Uuid), Vec<&StorePrice>> = HashMap::new();
    for p in &facts.prices {
        prices.entry((p.sku_id, p.store_id)).or_default().push(p);
    }
    let mut scopes = vec![(None, Channel::Online)];
    for s in &facts.stores {
        scopes.extend([(Some(*s), Channel::Online), (Some(*s), Channel::StorePos)]);
    }
    let (mut out, mut out_skus) = (Vec::new(), Vec::new());
    for p in products
        .iter()
        .filter(|p| p.status == ProductStatus::OnSale)
    {
        let Some(skus) = by_product.get(&p.id) else {
            continue;
        };
        for (store, channel) in &scopes {
            let ctx = PriceContext {
                store: *store,
                channel: *channel,
                tier_code: None,
                tier_discount_bps: 0,
            };
            let (mut min, mut max, mut in_stock) = (i64::MAX, i64::MIN, false);
            let mut reprice_at: Option<i64> = None;
            for s in skus {
                let overrides = store
                    .and_then(|st| prices.get(&(s.id, st)))
                    .map_or(&[][..], Vec::as_slice);
                for o in overrides {
                    let next = [Some(o.valid_from_ms), o.valid_until_ms]
                        .into_iter()
                        .flatten()
                        .filter(|t| *t > now_ms)
                        .min();
                    reprice_at = match (reprice_at, next) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
                let facts_of = SkuFacts {
                    sku: s,
                    product_status: p.status,
                    store_price: overrides
                        .iter()
                        .find(|o| valid_at(o, now_ms))
                        .map(|o| o.price),
                    store_listed: store
                        .is_some_and(|st| facts.lists.get(&s.id).is_some_and(|l| l.contains(&st))),
                };
                let priced = pricing::price(&facts_of, &ctx);
                if !priced.sellable {
                    continue;
                }
                min = min.min(priced.unit);
                max = max.max(priced.unit);
                if let Some(st) = store {
                    in_stock |= facts.available.contains(&(s.id, *st));
                    out_skus.push(ModelSku {
                        scope: *st,
                        channel: channel_code(*channel),
                        product_id: p.id,
                        sku_id: s.id,
                    });
                }
            }
            if min == i64::MAX {
                continue;
            }
            out.push(ModelRow {
                product_id: p.id,
                scope: scope_of(*store),
                channel: channel_code(*channel),
                title: p.title.clone(),
                main_image: p.main_image().to_owned(),
                category_path: path_string(&p.category_path),
                search_text: p.search_text(),
                newest: p.first_on_sale_at_ms.unwrap_or(0),
                sales: i64::from(p.sales_30d),
                unit_min: min,
                unit_max: max,
                in_stock,
                reprice_at_ms: reprice_at,
            });
        }
    }
    (out, out_skus)
}

/// Loads the facts of `products` (6 queries) and computes their rows.
pub async fn compute(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    products: &[Uuid],
    now_ms: i64,
) -> Result<(Vec<ModelRow>, Vec<ModelSku>), AppError> {
    let loaded = store::products::get_many(conn, tenant, products).await?;
    let skus = store::skus::of_products(conn, tenant, products).await?;
    let ids: Vec<Uuid> = skus.iter().map(|s| s.id).collect();
    let facts = Facts {
        stores: repo::stores(conn, tenant).await?,
        prices: repo::store_prices(conn, tenant, &ids).await?,
        lists: store::assortment::store_lists(conn, tenant, &ids).await?,
        available: repo::available_pairs(conn, tenant, &ids).await?,
    };
    Ok(rows(&loaded, &skus, &facts, now_ms))
}

/// Recomputes the rows of `products` in the caller's transaction: the one function every
/// write of a product, SKU, price or assortment calls. 1 lock + 6 reads + 3 deletes + the
/// inserts.
pub async fn refresh(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    products: &[Uuid],
    now_ms: i64,
) -> Result<(), AppError> {
    let mut ids = products.to_vec();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    repo::lock_products(conn, tenant, &ids).await?;
    let (rows, skus) = compute(conn, tenant, &ids, now_ms).await?;
    repo::replace(conn, tenant, &ids, &rows, &skus).await
}

/// The products of `skus` (unknown SKUs are skipped), for writes keyed by SKU: 1 query.
pub async fn products_of_skus(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    skus: &[Uuid],
) -> Result<Vec<Uuid>, AppError> {
    Ok(store::skus::get_many(conn, tenant, skus)
        .await?
        .iter()
        .map(|s| s.product_id)
        .collect())
}

/// Recomputes every product of the tenant (a new store adds a scope to each), in batches.
pub async fn rebuild_tenant(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    now_ms: i64,
) -> Result<(), AppError> {
    let mut after = None;
    loop {
        let ids = repo::products_after(conn, tenant, after, BATCH).await?;
        let Some(last) = ids.last().copied() else {
            return Ok(());
        };
        refresh(conn, tenant, &ids, now_ms).await?;
        after = Some(last);
    }
}

/// Recomputes the products whose store overrides started or ended since they were written:
/// 1 indexed query when nothing is due.
pub async fn reprice_due(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    now_ms: i64,
) -> Result<(), AppError> {
    loop {
        let due = repo::due(conn, tenant, now_ms, BATCH).await?;
        if due.is_empty() {
            return Ok(());
        }
        refresh(conn, tenant, &due, now_ms).await?;
    }
}

/// Fills the model for on-sale products written before it existed (run at startup).
pub async fn backfill(conn: &impl ConnectionTrait, now_ms: i64) -> Result<u64, AppError> {
    let (mut after, mut n) = (None, 0u64);
    loop {
        let batch = repo::unbuilt(conn, after, BATCH).await?;
        let Some(last) = batch.last().copied() else {
            return Ok(n);
        };
        let mut by_tenant: HashMap<TenantId, Vec<Uuid>> = HashMap::new();
        for (t, p) in &batch {
            by_tenant.entry(*t).or_default().push(*p);
        }
        for (t, ids) in by_tenant {
            refresh(conn, t, &ids, now_ms).await?;
        }
        n += batch.len() as u64;
        after = Some((last.0.0, last.1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::domain::StoreMode;

    fn sku(product: Uuid, sale: i64, mode: StoreMode) -> Sku {
        Sku {
            id: siyu_core::id::new(),
            product_id: product,
            sale_price: sale,
            enabled: true,
            online: true,
            store_mode: mode,
            specs: vec![],
            sku_code: String::new(),
            barcode: String::new(),
            weight_grams: 0,
            list_price: None,
            member_prices: vec![],
            member_discount_eligible: false,
            image_url: String::new(),
            title: String::new(),
        }
    }

    fn product(id: Uuid) -> Product {
        Product {
            id,
            title: "面膜".into(),
            subtitle: String::new(),
            category_id: None,
            category_path: vec![],
            brand: String::new(),
            media: vec![],
            attributes: vec![],
            spec_dimensions: vec![],
            description: String::new(),
            keywords: vec![],
            status: ProductStatus::OnSale,
            skus: vec![],
            sales_30d: 0,
            created_at_ms: 0,
            first_on_sale_at_ms: Some(5),
            updated_at_ms: 0,
        }
    }

    #[test]
    fn rows_per_scope_use_the_override_valid_now_and_the_assortment() {
        let (p, store) = (siyu_core::id::new(), siyu_core::id::new());
        let a = sku(p, 1_000, StoreMode::All);
        let b = sku(p, 500, StoreMode::None);
        let facts = Facts {
            stores: vec![store],
            prices: vec![StorePrice {
                sku_id: a.id,
                store_id: store,
                price: 800,
                valid_from_ms: 0,
                valid_until_ms: Some(2_000),
            }],
            lists: HashMap::new(),
            available: [(a.id, store)].into_iter().collect(),
        };
        let (rows, skus) = rows(&[product(p)], &[a.clone(), b], &facts, 1_000);
        let online = rows.iter().find(|r| r.scope.is_nil()).unwrap();
        assert_eq!((online.unit_min, online.unit_max), (500, 1_000));
        let at_store = rows
            .iter()
            .find(|r| r.scope == store && r.channel == ONLINE)
            .unwrap();
        // b is not carried by the store; a costs the override there until 2,000.
        assert_eq!((at_store.unit_min, at_store.unit_max), (800, 800));
        assert!(at_store.in_stock);
        assert_eq!(at_store.reprice_at_ms, Some(2_000));
        assert_eq!(skus.iter().filter(|s| s.sku_id == a.id).count(), 2);
    }
}
