//! StorefrontService: consumer search, product detail with availability, nearby stores.
//!
//! Everything here is read-only and goes through the one pricing function
//! ([`super::prices::price_loaded`]): a product shows only its sellable SKUs, at their unit
//! price for the caller's store, channel and tier. Guests (no token) browse the tenant of the
//! app they name, as a consumer would, but without member prices ([`Shopper`]).

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use siyu_core::TenantId;
use uuid::Uuid;

use super::domain::{Geo, Location, LocationKind, Product, StockLevel};
use super::prices::pricing::{Channel, PriceContext};
use super::prices::{PricedSku, price_loaded};
use super::reservations::allocation;
use crate::{AppError, repo};

pub mod detail;
pub mod nearby;
pub mod read_model;
pub mod search;
mod shopper;

pub use shopper::{Shopper, Viewer};

/// Who is shopping where: the store, channel and tier prices apply to, and the delivery point.
#[derive(Debug, Clone)]
pub struct Shop {
    /// The chosen store (assortment, store prices, pickup stock); `None` = online.
    pub store: Option<Uuid>,
    /// The channel.
    pub channel: Channel,
    /// Tier code for member prices.
    pub tier_code: Option<String>,
    /// Tier discount for SKUs without a member price.
    pub tier_discount_bps: i32,
    /// Delivery point (stores whose radius covers it may deliver).
    pub delivery_to: Option<Geo>,
}

impl Shop {
    /// The pricing context of this shopper.
    pub fn price_context(&self) -> PriceContext<'_> {
        PriceContext {
            store: self.store,
            channel: self.channel,
            tier_code: self.tier_code.as_deref(),
            tier_discount_bps: self.tier_discount_bps,
        }
    }

    /// True when a tier or a store could make a unit price differ from the sale price.
    pub fn may_discount(&self) -> bool {
        self.tier_code.is_some() || self.store.is_some()
    }

    /// The same shop without a member tier (no member price, no tier discount).
    #[must_use]
    pub fn without_tier(self) -> Self {
        Self {
            tier_code: None,
            tier_discount_bps: 0,
            ..self
        }
    }
}

/// Where availability is read from.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The chosen store.
    pub store: Option<Uuid>,
    /// Locations that may deliver to the point: ACTIVE delivering stores in range, then ACTIVE
    /// warehouses (the allocation rule ReserveStock uses).
    pub delivery: Vec<Uuid>,
}

impl Sources {
    /// Every location whose stock matters, for one stock query.
    pub fn all(&self) -> Vec<Uuid> {
        let mut v: Vec<Uuid> = self.store.iter().copied().collect();
        v.extend(self.delivery.iter().filter(|l| Some(**l) != self.store));
        v
    }
}

/// Resolves the shop's store (LOCATION_NOT_FOUND unless it is a store of the tenant) and its
/// delivery sources: 1 query (+1 when the store is not ACTIVE).
pub async fn sources(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    shop: &Shop,
) -> Result<Sources, AppError> {
    let active = repo::locations::active(conn, tenant).await?;
    if let Some(store) = shop.store {
        let is_store = |l: &Location| l.id == store && l.kind == LocationKind::Store;
        if !active.iter().any(is_store) {
            let l = super::locations::load(conn, tenant, store).await?;
            if l.kind != LocationKind::Store {
                return Err(AppError::LocationNotFound);
            }
        }
    }
    Ok(Sources {
        store: shop.store,
        delivery: allocation::delivery_sources(shop.delivery_to, &active)
            .into_iter()
            .map(|l| l.id)
            .collect(),
    })
}

/// A product with its sellable SKUs, priced.
#[derive(Debug, Clone)]
pub struct Priced {
    /// The product (its `skus` are left empty; see `skus`).
    pub product: Product,
    /// Sellable SKUs only, in the product's SKU order.
    pub skus: Vec<PricedSku>,
}

/// Loads and prices products: 2 queries (products, SKUs) + 2 with a store. Products without a
/// sellable SKU are absent.
pub async fn price_products(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[Uuid],
    shop: &Shop,
    now_ms: i64,
) -> Result<HashMap<Uuid, Priced>, AppError> {
    let products: HashMap<Uuid, Product> = repo::products::get_many(conn, tenant, ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let skus = repo::skus::of_products(conn, tenant, ids).await?;
    let priced = price_loaded(conn, tenant, skus, &products, &shop.price_context(), now_ms).await?;
    let mut out: HashMap<Uuid, Priced> = HashMap::new();
    for s in priced.into_iter().filter(|s| s.priced.sellable) {
        let Some(p) = products.get(&s.sku.product_id) else {
            continue;
        };
        out.entry(p.id)
            .or_insert_with(|| Priced {
                product: p.clone(),
                skus: Vec::new(),
            })
            .skus
            .push(s);
    }
    Ok(out)
}

/// Available units per (SKU, location) for `skus` at `locs`: 1 query.
pub async fn availability(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    skus: &[Uuid],
    locs: &[Uuid],
) -> Result<HashMap<(Uuid, Uuid), i32>, AppError> {
    if skus.is_empty() || locs.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(repo::stock::levels(conn, tenant, skus, locs)
        .await?
        .iter()
        .map(|l: &StockLevel| ((l.sku_id, l.location_id), l.available().max(0)))
        .collect())
}

/// Units of `sku` available over `locs`.
pub fn sum_at(stock: &HashMap<(Uuid, Uuid), i32>, sku: Uuid, locs: &[Uuid]) -> i32 {
    locs.iter()
        .map(|l| stock.get(&(sku, *l)).copied().unwrap_or(0))
        .fold(0i32, i32::saturating_add)
}
