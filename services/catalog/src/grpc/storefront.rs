//! `siyu.catalog.v1.StorefrontService`: consumer search, product detail, nearby stores.
//!
//! Page tokens are bound to the request: the list name carries a hash of the request without
//! its page, so a token replayed with another query, filter or sort is INVALID_ARGUMENT.

use prost::Message;
use siyu_core::PageToken;
use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::storefront_service_server::StorefrontService;
use siyu_proto::common::v1 as common;
use siyu_store::idempotency::request_hash;
use tonic::{Request, Response};

use super::catalog_convert::{money_out, product_out};
use super::convert::{geo, id, location_out, opt_id, page};
use super::price::{bps, channel, sku_price_out};
use super::{Handlers, R, ctx, err};
use crate::app::product::normalize;
use crate::app::storefront::Shop;
use crate::app::storefront::nearby::{Nearby, NearbyCursor};
use crate::app::storefront::search::{Search, Sort, Summary};
use crate::app::{AppError, MAX_QUANTITY, invalid};
use crate::repo::search::Hit;

/// Longest keyword query, in characters.
pub const MAX_QUERY_CHARS: usize = 50;
/// Largest search page.
pub const MAX_SEARCH_PAGE: usize = 50;
/// Radius when none is given, metres.
pub const DEFAULT_RADIUS_M: i32 = 20_000;
/// Largest radius, metres.
pub const MAX_RADIUS_M: i32 = 100_000;

/// The list name a page token is bound to: the method plus a hash of the request without its
/// page.
fn bound_list<M: Message + Clone>(
    method: &str,
    req: &M,
    clear_page: impl FnOnce(&mut M),
) -> String {
    let mut m = req.clone();
    clear_page(&mut m);
    let hash = request_hash(method, &m.encode_to_vec());
    format!("{method}:{}", &hash[..16.min(hash.len())])
}

/// A price filter bound: CNY, ≥ 0.
fn price_bound(field: &str, m: Option<&common::Money>) -> Result<Option<i64>, AppError> {
    match m {
        None => Ok(None),
        Some(m) if m.currency_code != "CNY" => Err(invalid(field, "currency must be CNY")),
        Some(m) if m.minor_units < 0 => Err(invalid(field, "must not be negative")),
        Some(m) => Ok(Some(m.minor_units)),
    }
}

fn opt_geo(
    field: &str,
    g: Option<&common::GeoPoint>,
) -> Result<Option<crate::app::domain::Geo>, AppError> {
    g.map(|g| geo(field, g)).transpose()
}

fn search_in(req: &pb::SearchProductsRequest) -> Result<Search, AppError> {
    if req.query.chars().count() > MAX_QUERY_CHARS {
        return Err(invalid(
            "query",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let text = Some(normalize(&req.query)).filter(|t| !t.is_empty());
    let min_price = price_bound("min_price", req.min_price.as_ref())?;
    let max_price = price_bound("max_price", req.max_price.as_ref())?;
    if let (Some(lo), Some(hi)) = (min_price, max_price)
        && lo > hi
    {
        return Err(invalid("min_price", "must not exceed max_price"));
    }
    let store = opt_id("store_id", &req.store_id)?;
    if req.in_stock_at_store && store.is_none() {
        return Err(invalid("store_id", "required with in_stock_at_store"));
    }
    let sort = match pb::ProductSort::try_from(req.sort) {
        Ok(pb::ProductSort::Unspecified) if text.is_some() => Sort::Relevance,
        Ok(pb::ProductSort::Unspecified) => Sort::Sales,
        Ok(pb::ProductSort::Relevance) if text.is_some() => Sort::Relevance,
        Ok(pb::ProductSort::Relevance | pb::ProductSort::Sales) => Sort::Sales,
        Ok(pb::ProductSort::PriceAsc) => Sort::PriceAsc,
        Ok(pb::ProductSort::PriceDesc) => Sort::PriceDesc,
        Ok(pb::ProductSort::Newest) => Sort::Newest,
        Err(_) => return Err(invalid("sort", "unknown sort")),
    };
    let list = bound_list("SearchProducts", req, |m| m.page = None);
    let p = page::<Hit>(&list, req.page.as_ref())?;
    Ok(Search {
        text,
        category: opt_id("category_id", &req.category_id)?,
        min_price,
        max_price,
        shop: Shop {
            store,
            channel: channel("channel", req.channel)?,
            tier_code: Some(req.tier_code.clone()).filter(|t| !t.is_empty()),
            tier_discount_bps: bps("tier_discount_bps", req.tier_discount_bps)?,
            delivery_to: opt_geo("delivery_location", req.delivery_location.as_ref())?,
        },
        in_stock_at_store: req.in_stock_at_store,
        in_stock_for_delivery: req.in_stock_for_delivery,
        sort,
        size: usize::try_from(p.size)
            .unwrap_or(MAX_SEARCH_PAGE)
            .min(MAX_SEARCH_PAGE),
        after: p.after,
    })
}

fn summary_out(s: &Summary) -> pb::ProductSummary {
    let p = &s.product;
    pb::ProductSummary {
        product_id: p.id.to_string(),
        title: p.title.clone(),
        subtitle: p.subtitle.clone(),
        image_url: p.main_image().to_owned(),
        min_unit_price: Some(money_out(s.min_unit)),
        max_unit_price: Some(money_out(s.max_unit)),
        list_price: s.list_price.map(money_out),
        member_priced: s.member_priced,
        sales_30d: p.sales_30d,
        in_stock: s.in_stock,
        flash_sale_id: String::new(),
        category_id: p.category_id.map(|c| c.to_string()).unwrap_or_default(),
    }
}

fn nearby_in(req: &pb::ListNearbyStoresRequest) -> Result<Nearby, AppError> {
    let at = geo(
        "location",
        req.location
            .as_ref()
            .ok_or_else(|| invalid("location", "required"))?,
    )?;
    let radius_m = match req.radius_meters {
        0 => DEFAULT_RADIUS_M,
        r if (1..=MAX_RADIUS_M).contains(&r) => r,
        _ => {
            return Err(invalid(
                "radius_meters",
                format!("must be 1..{MAX_RADIUS_M} (0 = {DEFAULT_RADIUS_M})"),
            ));
        }
    };
    let quantity = match req.quantity {
        0 => 1,
        q if (1..=MAX_QUANTITY).contains(&q) => q,
        _ => return Err(invalid("quantity", format!("must be 0..{MAX_QUANTITY}"))),
    };
    let list = bound_list("ListNearbyStores", req, |m| m.page = None);
    let p = page::<NearbyCursor>(&list, req.page.as_ref())?;
    Ok(Nearby {
        at,
        radius_m,
        sku: opt_id("sku_id", &req.sku_id)?,
        quantity,
        include_out_of_stock: req.include_out_of_stock,
        size: usize::try_from(p.size).unwrap_or(usize::MAX),
        after: p.after,
    })
}

#[tonic::async_trait]
impl StorefrontService for Handlers {
    #[tracing::instrument(skip_all)]
    async fn search_products(
        &self,
        request: Request<pb::SearchProductsRequest>,
    ) -> R<pb::SearchProductsResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let q = search_in(&req).map_err(err)?;
        let list = bound_list("SearchProducts", &req, |m| m.page = None);
        let out = self.app.search_products(&ctx, &q).await.map_err(err)?;
        Ok(Response::new(pb::SearchProductsResponse {
            products: out.items.iter().map(summary_out).collect(),
            page: Some(common::PageResponse {
                next_page_token: out
                    .next
                    .map(|h| PageToken::encode(&list, &h))
                    .unwrap_or_default(),
            }),
            estimated_total: i32::try_from(out.estimated_total).unwrap_or(i32::MAX),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_product_detail(
        &self,
        request: Request<pb::GetProductDetailRequest>,
    ) -> R<pb::GetProductDetailResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let shop = (|| {
            Ok::<_, AppError>(Shop {
                store: opt_id("store_id", &req.store_id)?,
                channel: channel("channel", req.channel)?,
                tier_code: Some(req.tier_code.clone()).filter(|t| !t.is_empty()),
                tier_discount_bps: bps("tier_discount_bps", req.tier_discount_bps)?,
                delivery_to: opt_geo("delivery_location", req.delivery_location.as_ref())?,
            })
        })()
        .map_err(err)?;
        let pid = id("product_id", &req.product_id).map_err(err)?;
        let d = self
            .app
            .product_detail(&ctx, pid, &shop)
            .await
            .map_err(err)?;
        Ok(Response::new(pb::GetProductDetailResponse {
            product: Some(product_out(&d.product)),
            skus: d
                .skus
                .iter()
                .map(|s| pb::SkuAvailability {
                    sku_id: s.priced.sku.id.to_string(),
                    price: Some(sku_price_out(&s.priced)),
                    store_available: s.store_available,
                    delivery_available: s.delivery_quantity > 0,
                    delivery_quantity: s.delivery_quantity,
                    flash_sale_id: String::new(),
                })
                .collect(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_nearby_stores(
        &self,
        request: Request<pb::ListNearbyStoresRequest>,
    ) -> R<pb::ListNearbyStoresResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let q = nearby_in(&req).map_err(err)?;
        let list = bound_list("ListNearbyStores", &req, |m| m.page = None);
        let (stores, next) = self.app.nearby_stores(&ctx, &q).await.map_err(err)?;
        Ok(Response::new(pb::ListNearbyStoresResponse {
            stores: stores
                .iter()
                .map(|s| pb::NearbyStore {
                    store: Some(location_out(&s.store)),
                    distance_meters: s.distance_m,
                    available: s.available,
                })
                .collect(),
            page: Some(common::PageResponse {
                next_page_token: next
                    .map(|c| PageToken::encode(&list, &c))
                    .unwrap_or_default(),
            }),
        }))
    }
}
