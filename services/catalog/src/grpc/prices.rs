//! `siyu.catalog.v1.PriceService`: pricing SKUs (guests included) and managing SKU prices and
//! store overrides.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::price_service_server::PriceService;
use siyu_proto::common::v1::Channel as WireChannel;
use siyu_proto::time::{millis, timestamp_ms};
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::convert::{cny, each, id, ids, money, opt_id, required_money};
use super::skus::tier_prices_in;
use super::{Handlers, R, ctx, page_of, shopper};
use crate::AppError;
use crate::app::domain::StorePrice;
use crate::app::prices::PricedSku;
use crate::app::prices::pricing::{Channel, PriceContext};

/// ListStorePrices pages by (SKU, store).
const STORE_PRICES: Paging = Paging::new("store_prices", 20, 200);

/// A wire channel as far as pricing is concerned: only the POS is an in-store channel.
pub(super) fn channel(field: &str, c: i32) -> Result<Channel, AppError> {
    match WireChannel::try_from(c) {
        Ok(WireChannel::StorePos) => Ok(Channel::StorePos),
        Ok(_) => Ok(Channel::Online),
        Err(_) => Err(AppError::invalid(field, "unknown channel")),
    }
}

/// A tier discount in basis points: 0..=10000.
pub(super) fn bps(field: &str, b: i32) -> Result<i32, AppError> {
    if (0..=10_000).contains(&b) {
        Ok(b)
    } else {
        Err(AppError::invalid(field, "must be 0..10000"))
    }
}

impl From<&PricedSku> for pb::SkuPrice {
    fn from(p: &PricedSku) -> Self {
        let s = &p.sku;
        Self {
            sku_id: s.id.to_string(),
            product_id: s.product_id.to_string(),
            title: s.title.clone(),
            image_url: p.image_url.clone(),
            category_ids: p.category_path.iter().map(ToString::to_string).collect(),
            list_price: p.priced.list.map(cny),
            sale_price: Some(cny(p.priced.sale)),
            member_price: p.priced.member.map(cny),
            store_price: p.priced.store.map(cny),
            unit_price: Some(cny(p.priced.unit)),
            sellable: p.priced.sellable,
            unsellable_reason: p.priced.unsellable_reason.unwrap_or_default().to_owned(),
            weight_grams: s.weight_grams,
            specs: s.specs.iter().map(Into::into).collect(),
            barcode: s.barcode.clone(),
        }
    }
}

impl From<&StorePrice> for pb::StorePrice {
    fn from(p: &StorePrice) -> Self {
        Self {
            sku_id: p.sku_id.to_string(),
            store_id: p.store_id.to_string(),
            price: Some(cny(p.price)),
            valid_from: Some(timestamp_ms(p.valid_from_ms)),
            valid_until: p.valid_until_ms.map(timestamp_ms),
        }
    }
}

/// One override of SetStorePrices at `f` (`valid_from` unset = from now, set by the app).
fn store_price_in(f: &str, p: &pb::StorePrice) -> Result<StorePrice, AppError> {
    let price = required_money(&format!("{f}.price"), p.price.as_ref())?;
    let from = p.valid_from.as_ref().map_or(0, millis);
    let until = p.valid_until.as_ref().map(millis);
    if until.is_some_and(|u| u <= from) {
        return Err(AppError::invalid(
            format!("{f}.valid_until"),
            "must be after valid_from",
        ));
    }
    Ok(StorePrice {
        sku_id: id(&format!("{f}.sku_id"), &p.sku_id)?,
        store_id: id(&format!("{f}.store_id"), &p.store_id)?,
        price,
        valid_from_ms: from,
        valid_until_ms: until,
    })
}

#[tonic::async_trait]
impl PriceService for Handlers {
    #[tracing::instrument(skip_all, fields(store_id = %request.get_ref().store_id))]
    async fn price_skus(&self, request: Request<pb::PriceSkusRequest>) -> R<pb::PriceSkusResponse> {
        let shopper = shopper(&request)?;
        let req = request.get_ref();
        let skus = ids("sku_ids", &req.sku_ids, 200)?;
        let pctx = PriceContext {
            store: opt_id("store_id", &req.store_id)?,
            channel: channel("channel", req.channel)?,
            tier_code: (!req.tier_code.is_empty()).then_some(req.tier_code.as_str()),
            tier_discount_bps: bps("tier_discount_bps", req.tier_discount_bps)?,
        };
        let prices = self.app.price_skus(&shopper, &skus, pctx).await?;
        Ok(Response::new(pb::PriceSkusResponse {
            prices: prices.iter().map(Into::into).collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(sku_id = %request.get_ref().sku_id))]
    async fn set_sku_prices(
        &self,
        request: Request<pb::SetSkuPricesRequest>,
    ) -> R<pb::SetSkuPricesResponse> {
        let ctx = ctx(&request)?;
        let req = request.get_ref();
        let sku = id("sku_id", &req.sku_id)?;
        let list = req
            .list_price
            .as_ref()
            .map(|m| money("list_price", m))
            .transpose()?;
        let sale = required_money("sale_price", req.sale_price.as_ref())?;
        let members = tier_prices_in("member_prices", &req.member_prices)?;
        let app = self.app.clone();
        self.mutations
            .mutate(&request, move |txn| {
                Box::pin(async move {
                    let s = app
                        .set_sku_prices(txn, &ctx, sku, list, sale, members)
                        .await?;
                    Ok(pb::SetSkuPricesResponse {
                        sku: Some((&s).into()),
                    })
                })
            })
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn set_store_prices(
        &self,
        request: Request<pb::SetStorePricesRequest>,
    ) -> R<pb::SetStorePricesResponse> {
        let ctx = ctx(&request)?;
        let req = request.get_ref();
        if req.prices.is_empty() || req.prices.len() > 500 {
            return Err(AppError::invalid("prices", "must hold 1..500 overrides").into());
        }
        let prices = each("prices", &req.prices, store_price_in)?;
        let app = self.app.clone();
        self.mutations
            .mutate(&request, move |txn| {
                Box::pin(async move {
                    let n = app.set_store_prices(txn, &ctx, prices).await?;
                    Ok(pb::SetStorePricesResponse { upserted_count: n })
                })
            })
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn delete_store_prices(
        &self,
        request: Request<pb::DeleteStorePricesRequest>,
    ) -> R<pb::DeleteStorePricesResponse> {
        let ctx = ctx(&request)?;
        let req = request.get_ref();
        if req.keys.is_empty() || req.keys.len() > 500 {
            return Err(AppError::invalid("keys", "must hold 1..500 keys").into());
        }
        let keys = each("keys", &req.keys, |f, k| {
            Ok((
                id(&format!("{f}.sku_id"), &k.sku_id)?,
                id(&format!("{f}.store_id"), &k.store_id)?,
            ))
        })?;
        let app = self.app.clone();
        self.mutations
            .mutate(&request, move |txn| {
                Box::pin(async move {
                    let n = app.delete_store_prices(txn, &ctx, keys).await?;
                    Ok(pb::DeleteStorePricesResponse { deleted_count: n })
                })
            })
            .await
    }

    #[tracing::instrument(
        skip_all,
        fields(store_id = %request.get_ref().store_id, sku_id = %request.get_ref().sku_id)
    )]
    async fn list_store_prices(
        &self,
        request: Request<pb::ListStorePricesRequest>,
    ) -> R<pb::ListStorePricesResponse> {
        let ctx = ctx(&request)?;
        let req = request.get_ref();
        let (store, sku) = (
            opt_id("store_id", &req.store_id)?,
            opt_id("sku_id", &req.sku_id)?,
        );
        if store.is_none() && sku.is_none() {
            return Err(AppError::invalid("store_id", "store_id or sku_id is required").into());
        }
        let page = page_of::<(Uuid, Uuid)>(&STORE_PRICES, req.page.as_ref())?;
        let rows = self
            .app
            .list_store_prices(&ctx, store, sku, page.after, page.fetch_limit())
            .await?;
        let (rows, next) = STORE_PRICES.finish(rows, &page, |r| (r.sku_id, r.store_id));
        Ok(Response::new(pb::ListStorePricesResponse {
            prices: rows.iter().map(Into::into).collect(),
            page: Some(next),
        }))
    }
}
