//! SearchProducts on the wire: the query parsed into a [`Search`], cards answered.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::common::v1 as common;

use super::bound_page;
use crate::AppError;
use crate::app::domain::normalize;
use crate::app::storefront::Shop;
use crate::app::storefront::search::{Hit, Search, Sort, Summary};
use crate::grpc::convert::{cny, opt_geo, opt_id};
use crate::grpc::prices::{bps, channel};

/// Longest keyword query, in characters.
const MAX_QUERY_CHARS: usize = 50;
/// Largest search page.
const MAX_SEARCH_PAGE: usize = 50;

/// A price filter bound: CNY, ≥ 0.
fn price_bound(field: &str, m: Option<&common::Money>) -> Result<Option<i64>, AppError> {
    match m {
        None => Ok(None),
        Some(m) if m.currency_code != "CNY" => {
            Err(AppError::invalid(field, "currency must be CNY"))
        }
        Some(m) if m.minor_units < 0 => Err(AppError::invalid(field, "must not be negative")),
        Some(m) => Ok(Some(m.minor_units)),
    }
}

/// The search of a request whose page tokens are bound to `list`.
pub(super) fn search_in(req: &pb::SearchProductsRequest, list: &str) -> Result<Search, AppError> {
    if req.query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::invalid(
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
        return Err(AppError::invalid("min_price", "must not exceed max_price"));
    }
    let store = opt_id("store_id", &req.store_id)?;
    if req.in_stock_at_store && store.is_none() {
        return Err(AppError::invalid(
            "store_id",
            "required with in_stock_at_store",
        ));
    }
    let sort = match pb::ProductSort::try_from(req.sort) {
        Ok(pb::ProductSort::Unspecified | pb::ProductSort::Relevance) if text.is_some() => {
            Sort::Relevance
        }
        Ok(pb::ProductSort::Unspecified | pb::ProductSort::Relevance | pb::ProductSort::Sales) => {
            Sort::Sales
        }
        Ok(pb::ProductSort::PriceAsc) => Sort::PriceAsc,
        Ok(pb::ProductSort::PriceDesc) => Sort::PriceDesc,
        Ok(pb::ProductSort::Newest) => Sort::Newest,
        Err(_) => return Err(AppError::invalid("sort", "unknown sort")),
    };
    let page = bound_page::<Hit>(list, req.page.as_ref())?;
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
        size: usize::try_from(page.size)
            .unwrap_or(MAX_SEARCH_PAGE)
            .min(MAX_SEARCH_PAGE),
        after: page.after,
    })
}

impl From<&Summary> for pb::ProductSummary {
    fn from(s: &Summary) -> Self {
        let p = &s.product;
        Self {
            product_id: p.id.to_string(),
            title: p.title.clone(),
            subtitle: p.subtitle.clone(),
            image_url: p.main_image().to_owned(),
            min_unit_price: Some(cny(s.min_unit)),
            max_unit_price: Some(cny(s.max_unit)),
            list_price: s.list_price.map(cny),
            member_priced: s.member_priced,
            sales_30d: p.sales_30d,
            in_stock: s.in_stock,
            flash_sale_id: String::new(),
            category_id: p.category_id.map(|c| c.to_string()).unwrap_or_default(),
        }
    }
}
