//! `siyu.catalog.v1.StorefrontService`: search, product detail and nearby stores, for
//! consumers and for guests (no token) of the app they name.
//!
//! Page tokens are bound to the request: the list name carries a hash of the request without
//! its page, so a token replayed with another query, filter or sort is INVALID_ARGUMENT.

use prost::Message;
use serde::de::DeserializeOwned;
use siyu_core::{CoreError, PageRequest, PageToken};
use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::storefront_service_server::StorefrontService;
use siyu_proto::common::v1 as common;
use siyu_server::PageError;
use siyu_store::idempotency::request_hash;
use tonic::{Request, Response};

use super::convert::{id, opt_geo, opt_id};
use super::prices::{bps, channel};
use super::{Handlers, R, shopper};
use crate::AppError;
use crate::app::storefront::Shop;
use crate::app::storefront::detail::SkuDetail;
use crate::app::storefront::nearby::NearStore;

mod nearby;
mod search;

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

/// The page of a list bound to its request (`siyu_server::Paging` names its lists statically).
fn bound_page<C: DeserializeOwned>(
    list: &str,
    page: Option<&common::PageRequest>,
) -> Result<PageRequest<C>, AppError> {
    let (size, token) = page.map_or((0, ""), |p| (p.page_size, p.page_token.as_str()));
    PageRequest::parse(list, size, token).map_err(|e| {
        AppError::BadPage(match e {
            CoreError::InvalidPageSize { max } => PageError::Size { max },
            _ => PageError::Token,
        })
    })
}

/// The token of the page after `cursor` in the bound `list` (empty on the last page).
fn next_page<C: serde::Serialize>(list: &str, cursor: Option<C>) -> Option<common::PageResponse> {
    Some(common::PageResponse {
        next_page_token: cursor
            .map(|c| PageToken::encode(list, &c))
            .unwrap_or_default(),
    })
}

impl TryFrom<&pb::GetProductDetailRequest> for Shop {
    type Error = AppError;

    fn try_from(req: &pb::GetProductDetailRequest) -> Result<Self, AppError> {
        Ok(Self {
            store: opt_id("store_id", &req.store_id)?,
            channel: channel("channel", req.channel)?,
            tier_code: Some(req.tier_code.clone()).filter(|t| !t.is_empty()),
            tier_discount_bps: bps("tier_discount_bps", req.tier_discount_bps)?,
            delivery_to: opt_geo("delivery_location", req.delivery_location.as_ref())?,
        })
    }
}

impl From<&SkuDetail> for pb::SkuAvailability {
    fn from(s: &SkuDetail) -> Self {
        Self {
            sku_id: s.priced.sku.id.to_string(),
            price: Some((&s.priced).into()),
            store_available: s.store_available,
            delivery_available: s.delivery_quantity > 0,
            delivery_quantity: s.delivery_quantity,
            flash_sale_id: String::new(),
        }
    }
}

impl From<&NearStore> for pb::NearbyStore {
    fn from(s: &NearStore) -> Self {
        Self {
            store: Some((&s.store).into()),
            distance_meters: s.distance_m,
            available: s.available,
        }
    }
}

#[tonic::async_trait]
impl StorefrontService for Handlers {
    #[tracing::instrument(skip_all, fields(store_id = %request.get_ref().store_id))]
    async fn search_products(
        &self,
        request: Request<pb::SearchProductsRequest>,
    ) -> R<pb::SearchProductsResponse> {
        let shopper = shopper(&request)?;
        let req = request.get_ref();
        let list = bound_list("SearchProducts", req, |m| m.page = None);
        let q = search::search_in(req, &list)?;
        let page = self.app.search_products(&shopper, q).await?;
        Ok(Response::new(pb::SearchProductsResponse {
            products: page.items.iter().map(Into::into).collect(),
            page: next_page(&list, page.next),
            estimated_total: i32::try_from(page.estimated_total).unwrap_or(i32::MAX),
        }))
    }

    #[tracing::instrument(skip_all, fields(product_id = %request.get_ref().product_id))]
    async fn get_product_detail(
        &self,
        request: Request<pb::GetProductDetailRequest>,
    ) -> R<pb::GetProductDetailResponse> {
        let shopper = shopper(&request)?;
        let req = request.get_ref();
        let shop = Shop::try_from(req)?;
        let product = id("product_id", &req.product_id)?;
        let d = self.app.product_detail(&shopper, product, shop).await?;
        Ok(Response::new(pb::GetProductDetailResponse {
            product: Some((&d.product).into()),
            skus: d.skus.iter().map(Into::into).collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(sku_id = %request.get_ref().sku_id))]
    async fn list_nearby_stores(
        &self,
        request: Request<pb::ListNearbyStoresRequest>,
    ) -> R<pb::ListNearbyStoresResponse> {
        let shopper = shopper(&request)?;
        let req = request.get_ref();
        let list = bound_list("ListNearbyStores", req, |m| m.page = None);
        let q = nearby::nearby_in(req, &list)?;
        let (stores, next) = self.app.nearby_stores(&shopper, &q).await?;
        Ok(Response::new(pb::ListNearbyStoresResponse {
            stores: stores.iter().map(Into::into).collect(),
            page: next_page(&list, next),
        }))
    }
}
