//! SearchProducts.
//!
//! SQL ([`repo::storefront`]) matches, filters by category, assortment and stock, and keyset-orders;
//! the pricing function decides the rest. The price filter is on the final unit price (store
//! override, member price, tier discount), which SQL cannot know, so:
//! - relevance / newest / sales: batches are streamed in SQL order and products whose lowest
//!   unit price is outside the range (or with no sellable SKU) are dropped until the page is
//!   full (at most [`MAX_ROUNDS`] batches; a page may come back short with a next token);
//! - price sorts: up to [`PRICE_WINDOW`] candidates, pre-ordered by the stored lowest sale
//!   price, are priced and ordered by their lowest unit price; the cursor is (unit price, id).
//!
//! `min_sale_price` prunes in SQL only when it is a safe bound: without a tier and a store the
//! unit price is the sale price, so a product whose cheapest enabled SKU is above the maximum
//! cannot qualify.

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use uuid::Uuid;

use super::{
    Priced, Shop, Shopper, Sources, availability, price_products, read_model, sources, sum_at,
};
use crate::app::App;
use crate::app::domain::{Product, path_string};
use crate::app::prices::pricing::Channel;
pub use crate::repo::storefront::Hit;
use crate::repo::storefront::{Filter, Order, ShelfFilter};
use crate::{AppError, repo};

/// Streamed batches per page before returning a short page.
pub const MAX_ROUNDS: usize = 4;
/// Candidates ranked by price sorts.
pub const PRICE_WINDOW: u64 = 500;
/// Cap of `estimated_total`.
pub const TOTAL_CAP: u64 = 10_000;

/// Sort orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Best text match first.
    Relevance,
    /// Lowest unit price first.
    PriceAsc,
    /// Highest lowest-unit-price first.
    PriceDesc,
    /// Most recently first on sale.
    Newest,
    /// Most sold in 30 days.
    Sales,
}

/// A parsed SearchProducts request.
#[derive(Debug, Clone)]
pub struct Search {
    /// Normalised query; `None` = browse.
    pub text: Option<String>,
    /// Category (and descendants).
    pub category: Option<Uuid>,
    /// Minimum lowest unit price, fen.
    pub min_price: Option<i64>,
    /// Maximum lowest unit price, fen.
    pub max_price: Option<i64>,
    /// Store, channel, tier, delivery point.
    pub shop: Shop,
    /// Only products available at the store.
    pub in_stock_at_store: bool,
    /// Only products available for delivery.
    pub in_stock_for_delivery: bool,
    /// Sort (already defaulted).
    pub sort: Sort,
    /// Page size.
    pub size: usize,
    /// Keyset cursor of the previous page.
    pub after: Option<Hit>,
}

/// A product card.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The product (without SKUs).
    pub product: Product,
    /// Lowest unit price among sellable SKUs.
    pub min_unit: i64,
    /// Highest unit price among sellable SKUs.
    pub max_unit: i64,
    /// List price of the cheapest SKU.
    pub list_price: Option<i64>,
    /// The cheapest SKU's price is a member price.
    pub member_priced: bool,
    /// Any sellable SKU available where asked.
    pub in_stock: bool,
}

/// A page of results.
#[derive(Debug, Clone)]
pub struct SearchPage {
    /// Cards.
    pub items: Vec<Summary>,
    /// Cursor of the next page.
    pub next: Option<Hit>,
    /// Matches (before price filtering), capped; computed on the first page only.
    pub estimated_total: i64,
}

fn summarize(
    p: Priced,
    stock: &std::collections::HashMap<(Uuid, Uuid), i32>,
    locs: &[Uuid],
) -> Option<Summary> {
    let cheapest = p.skus.iter().min_by_key(|s| s.priced.unit)?;
    Some(Summary {
        min_unit: cheapest.priced.unit,
        max_unit: p
            .skus
            .iter()
            .map(|s| s.priced.unit)
            .max()
            .unwrap_or(cheapest.priced.unit),
        list_price: cheapest.priced.list,
        member_priced: cheapest.priced.member_priced,
        in_stock: p.skus.iter().any(|s| sum_at(stock, s.sku.id, locs) > 0),
        product: p.product,
    })
}

impl App {
    /// SearchProducts (see the module docs for the price filter and sorts).
    #[tracing::instrument(skip_all, fields(tenant = %shopper.tenant, sort = ?q.sort))]
    pub async fn search_products(
        &self,
        shopper: &Shopper,
        mut q: Search,
    ) -> Result<SearchPage, AppError> {
        q.shop = shopper.shop(q.shop);
        let (tenant, q) = (shopper.tenant, &q);
        let empty = SearchPage {
            items: Vec::new(),
            next: None,
            estimated_total: 0,
        };
        if q.shop.channel == Channel::StorePos && q.shop.store.is_none() {
            return Ok(empty);
        }
        let category_path = match q.category {
            Some(c) => match repo::categories::get(&self.reads, tenant, c).await? {
                Some(c) if !c.hidden => Some(path_string(&c.path)),
                _ => return Ok(empty),
            },
            None => None,
        };
        let src = sources(&self.reads, tenant, &q.shop).await?;
        // Availability shown on cards: delivery when asked for (or no store), else the store.
        let shown: Vec<Uuid> = match src.store {
            Some(s) if !q.in_stock_for_delivery => vec![s],
            _ => src.delivery.clone(),
        };
        if shelved(q) {
            return self.shelved_page(tenant, q, category_path, &shown).await;
        }
        let filter = Filter {
            text: q.text.clone(),
            category_path,
            store: q.shop.store,
            online: q.shop.channel == Channel::Online,
            in_stock_at: stock_filter(q, &src),
            max_sale_price: q.max_price.filter(|_| !q.shop.may_discount()),
        };
        let estimated_total = if q.after.is_none() {
            repo::storefront::count(&self.reads, tenant, &filter, TOTAL_CAP).await?
        } else {
            0
        };
        let (items, next) = match q.sort {
            Sort::PriceAsc | Sort::PriceDesc => self.by_price(tenant, q, &filter, &shown).await?,
            Sort::Relevance | Sort::Newest | Sort::Sales => {
                self.streamed(tenant, q, &filter, &shown).await?
            }
        };
        Ok(SearchPage {
            items,
            next,
            estimated_total,
        })
    }

    /// The read-model path: SQL decides the page exactly (filters, price range, order, keyset)
    /// and only the page's products are loaded and priced for their cards.
    async fn shelved_page(
        &self,
        tenant: TenantId,
        q: &Search,
        category_path: Option<String>,
        shown: &[Uuid],
    ) -> Result<SearchPage, AppError> {
        if q.shop.store.is_some() {
            self.reprice_due(tenant).await?;
        }
        let filter = ShelfFilter {
            text: q.text.clone(),
            category_path,
            scope: read_model::scope_of(q.shop.store),
            channel: read_model::channel_code(q.shop.channel),
            in_stock: q.in_stock_at_store,
            min_unit: q.min_price,
            max_unit: q.max_price,
        };
        let order = match q.sort {
            Sort::Relevance if q.text.is_some() => Order::Relevance,
            Sort::Relevance | Sort::Sales => Order::Sales,
            Sort::Newest => Order::Newest,
            Sort::PriceAsc => Order::MinSalePriceAsc,
            Sort::PriceDesc => Order::MinSalePriceDesc,
        };
        let estimated_total = if q.after.is_none() {
            repo::storefront::shelf_count(&self.reads, tenant, &filter, TOTAL_CAP).await?
        } else {
            0
        };
        let mut hits = repo::storefront::shelf_page(
            &self.reads,
            tenant,
            &filter,
            order,
            q.after,
            q.size as u64 + 1,
        )
        .await?;
        let more = hits.len() > q.size;
        hits.truncate(q.size);
        let ids: Vec<Uuid> = hits.iter().map(|h| h.id).collect();
        let mut cards = self.cards(&self.reads, tenant, q, &ids, shown).await?;
        let items = hits.iter().filter_map(|h| cards.remove(&h.id)).collect();
        Ok(SearchPage {
            items,
            next: hits.last().copied().filter(|_| more),
            estimated_total,
        })
    }

    /// Store overrides that started or ended since their products' rows were written make
    /// those rows stale: recompute them first (1 indexed query when none is due).
    async fn reprice_due(&self, tenant: TenantId) -> Result<(), AppError> {
        let now = self.now_ms();
        if repo::storefront::read_model::due(&self.reads, tenant, now, 1)
            .await?
            .is_empty()
        {
            return Ok(());
        }
        let txn = siyu_store::db::begin_write(&self.db).await?;
        read_model::reprice_due(&txn, tenant, now).await?;
        txn.commit().await?;
        Ok(())
    }

    async fn cards(
        &self,
        conn: &impl ConnectionTrait,
        tenant: TenantId,
        q: &Search,
        ids: &[Uuid],
        shown: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, Summary>, AppError> {
        let priced = price_products(conn, tenant, ids, &q.shop, self.now_ms()).await?;
        let skus: Vec<Uuid> = priced
            .values()
            .flat_map(|p| p.skus.iter().map(|s| s.sku.id))
            .collect();
        let stock = availability(conn, tenant, &skus, shown).await?;
        Ok(priced
            .into_iter()
            .filter_map(|(id, p)| summarize(p, &stock, shown).map(|s| (id, s)))
            .filter(|(_, s)| in_range(q, s.min_unit))
            .collect())
    }

    async fn streamed(
        &self,
        tenant: TenantId,
        q: &Search,
        filter: &Filter,
        shown: &[Uuid],
    ) -> Result<(Vec<Summary>, Option<Hit>), AppError> {
        let order = match q.sort {
            Sort::Relevance if q.text.is_some() => Order::Relevance,
            Sort::Newest => Order::Newest,
            _ => Order::Sales,
        };
        let batch = (q.size as u64) * 2 + 1;
        let mut after = q.after;
        let mut out = Vec::new();
        for round in 0..MAX_ROUNDS {
            let hits =
                repo::storefront::search(&self.reads, tenant, filter, order, after, batch).await?;
            let full = hits.len() as u64 == batch;
            let ids: Vec<Uuid> = hits.iter().map(|h| h.id).collect();
            let mut cards = self.cards(&self.reads, tenant, q, &ids, shown).await?;
            for (i, h) in hits.iter().enumerate() {
                after = Some(*h);
                if let Some(c) = cards.remove(&h.id) {
                    out.push(c);
                }
                if out.len() == q.size {
                    let more = i + 1 < hits.len() || full;
                    return Ok((out, after.filter(|_| more)));
                }
            }
            if !full {
                return Ok((out, None));
            }
            if round + 1 == MAX_ROUNDS {
                return Ok((out, after));
            }
        }
        Ok((out, None))
    }

    async fn by_price(
        &self,
        tenant: TenantId,
        q: &Search,
        filter: &Filter,
        shown: &[Uuid],
    ) -> Result<(Vec<Summary>, Option<Hit>), AppError> {
        let desc = q.sort == Sort::PriceDesc;
        let order = if desc {
            Order::MinSalePriceDesc
        } else {
            Order::MinSalePriceAsc
        };
        let hits = repo::storefront::search(&self.reads, tenant, filter, order, None, PRICE_WINDOW)
            .await?;
        let ids: Vec<Uuid> = hits.iter().map(|h| h.id).collect();
        let mut cards: Vec<Summary> = self
            .cards(&self.reads, tenant, q, &ids, shown)
            .await?
            .into_values()
            .collect();
        let key = |s: &Summary| Hit {
            id: s.product.id,
            key: s.min_unit,
        };
        cards.sort_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            let k = if desc {
                kb.key.cmp(&ka.key)
            } else {
                ka.key.cmp(&kb.key)
            };
            k.then(ka.id.cmp(&kb.id))
        });
        if let Some(a) = q.after {
            cards.retain(|s| {
                let k = key(s);
                let beyond = if desc { k.key < a.key } else { k.key > a.key };
                beyond || (k.key == a.key && k.id > a.id)
            });
        }
        let more = cards.len() > q.size;
        cards.truncate(q.size);
        let next = cards.last().map(key).filter(|_| more);
        Ok((cards, next))
    }
}

/// Whether the read model answers `q` exactly: it stores prices for a shopper without a member
/// tier and stock per store (delivery sources depend on the point, so that filter is not kept).
fn shelved(q: &Search) -> bool {
    q.shop.tier_code.is_none() && !q.in_stock_for_delivery
}

fn in_range(q: &Search, unit: i64) -> bool {
    q.min_price.is_none_or(|m| unit >= m) && q.max_price.is_none_or(|m| unit <= m)
}

/// The stock locations a product must have a SKU available at, if any filter asks.
fn stock_filter(q: &Search, src: &Sources) -> Option<Vec<Uuid>> {
    match (q.in_stock_at_store, q.in_stock_for_delivery) {
        (false, false) => None,
        (true, false) => Some(src.store.into_iter().collect()),
        (false, true) => Some(src.delivery.clone()),
        // Both: either way of getting it will do.
        (true, true) => Some(src.all()),
    }
}
