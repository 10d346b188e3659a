//! `siyu.catalog.v1.PriceService`.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::price_service_server::PriceService;
use siyu_proto::common::v1::{Channel as PbChannel, PageResponse};
use tonic::{Request, Response};
use uuid::Uuid;

use super::catalog_convert::{money_in, money_out, sku_out, tier_prices_in};
use super::convert::{id, ids, ms, opt_id, page};
use super::{Handlers, R, ctx, err};
use crate::app::prices::PricedSku;
use crate::app::pricing::{Channel, PriceContext};
use crate::app::{AppError, invalid, rejected};
use crate::repo::prices::StorePrice;

/// Proto channel → pricing channel; only the POS is an in-store channel.
pub fn channel(field: &str, c: i32) -> Result<Channel, AppError> {
    match PbChannel::try_from(c) {
        Ok(PbChannel::StorePos) => Ok(Channel::StorePos),
        Ok(_) => Ok(Channel::Online),
        Err(_) => Err(invalid(field, "unknown channel")),
    }
}

/// tier_discount_bps: 0..=10000.
pub fn bps(field: &str, b: i32) -> Result<i32, AppError> {
    if (0..=10_000).contains(&b) {
        Ok(b)
    } else {
        Err(invalid(field, "must be 0..10000"))
    }
}

/// A priced SKU on the wire.
pub fn sku_price_out(p: &PricedSku) -> pb::SkuPrice {
    let s = &p.sku;
    pb::SkuPrice {
        sku_id: s.id.to_string(),
        product_id: s.product_id.to_string(),
        title: s.title.clone(),
        image_url: p.image_url.clone(),
        category_ids: p.category_path.iter().map(ToString::to_string).collect(),
        list_price: p.priced.list.map(money_out),
        sale_price: Some(money_out(p.priced.sale)),
        member_price: p.priced.member.map(money_out),
        store_price: p.priced.store.map(money_out),
        unit_price: Some(money_out(p.priced.unit)),
        sellable: p.priced.sellable,
        unsellable_reason: p.priced.unsellable_reason.unwrap_or_default().to_owned(),
        weight_grams: s.weight_grams,
        specs: s
            .specs
            .iter()
            .map(|v| pb::SpecValue {
                dimension: v.dimension.clone(),
                value: v.value.clone(),
            })
            .collect(),
        barcode: s.barcode.clone(),
    }
}

#[tonic::async_trait]
impl PriceService for Handlers {
    #[tracing::instrument(skip_all)]
    async fn price_skus(&self, request: Request<pb::PriceSkusRequest>) -> R<pb::PriceSkusResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let skus = ids("sku_ids", &req.sku_ids, 200).map_err(err)?;
        let pctx = PriceContext {
            store: opt_id("store_id", &req.store_id).map_err(err)?,
            channel: channel("channel", req.channel).map_err(err)?,
            tier_code: (!req.tier_code.is_empty()).then_some(req.tier_code.as_str()),
            tier_discount_bps: bps("tier_discount_bps", req.tier_discount_bps).map_err(err)?,
        };
        let out = self.app.price_skus(&ctx, &skus, &pctx).await.map_err(err)?;
        Ok(Response::new(pb::PriceSkusResponse {
            prices: out.iter().map(sku_price_out).collect(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn set_sku_prices(
        &self,
        request: Request<pb::SetSkuPricesRequest>,
    ) -> R<pb::SetSkuPricesResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let sku = id("sku_id", &req.sku_id).map_err(err)?;
        let list = req
            .list_price
            .as_ref()
            .map(|m| money_in("list_price", m))
            .transpose()
            .map_err(err)?;
        let sale = money_in(
            "sale_price",
            req.sale_price
                .as_ref()
                .ok_or_else(|| err(rejected("PRICE_INVALID", "sale_price", "required")))?,
        )
        .map_err(err)?;
        let members = tier_prices_in("member_prices", &req.member_prices).map_err(err)?;
        self.mutate(&ctx, key, "SetSkuPrices", &req, move |txn| {
            Box::pin(async move {
                let s = app
                    .set_sku_prices(txn, &c, sku, list, sale, members)
                    .await?;
                Ok(pb::SetSkuPricesResponse {
                    sku: Some(sku_out(&s)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn set_store_prices(
        &self,
        request: Request<pb::SetStorePricesRequest>,
    ) -> R<pb::SetStorePricesResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        if req.prices.is_empty() || req.prices.len() > 500 {
            return Err(err(invalid("prices", "must hold 1..500 overrides")));
        }
        let mut prices = Vec::with_capacity(req.prices.len());
        for (i, p) in req.prices.iter().enumerate() {
            let f = format!("prices[{i}]");
            let price = money_in(
                &format!("{f}.price"),
                p.price.as_ref().ok_or_else(|| {
                    err(rejected("PRICE_INVALID", format!("{f}.price"), "required"))
                })?,
            )
            .map_err(err)?;
            let from = p.valid_from.as_ref().map(ms).unwrap_or(0);
            let until = p.valid_until.as_ref().map(ms);
            if until.is_some_and(|u| u <= from) {
                return Err(err(invalid(
                    format!("{f}.valid_until"),
                    "must be after valid_from",
                )));
            }
            prices.push(StorePrice {
                sku_id: id(&format!("{f}.sku_id"), &p.sku_id).map_err(err)?,
                store_id: id(&format!("{f}.store_id"), &p.store_id).map_err(err)?,
                price,
                valid_from_ms: from,
                valid_until_ms: until,
            });
        }
        self.mutate(&ctx, key, "SetStorePrices", &req, move |txn| {
            Box::pin(async move {
                let n = app.set_store_prices(txn, &c, prices).await?;
                Ok(pb::SetStorePricesResponse { upserted_count: n })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn delete_store_prices(
        &self,
        request: Request<pb::DeleteStorePricesRequest>,
    ) -> R<pb::DeleteStorePricesResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        if req.keys.is_empty() || req.keys.len() > 500 {
            return Err(err(invalid("keys", "must hold 1..500 keys")));
        }
        let keys = req
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                Ok((
                    id(&format!("keys[{i}].sku_id"), &k.sku_id)?,
                    id(&format!("keys[{i}].store_id"), &k.store_id)?,
                ))
            })
            .collect::<Result<Vec<_>, AppError>>()
            .map_err(err)?;
        self.mutate(&ctx, key, "DeleteStorePrices", &req, move |txn| {
            Box::pin(async move {
                let n = app.delete_store_prices(txn, &c, keys).await?;
                Ok(pb::DeleteStorePricesResponse { deleted_count: n })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_store_prices(
        &self,
        request: Request<pb::ListStorePricesRequest>,
    ) -> R<pb::ListStorePricesResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let store = opt_id("store_id", &req.store_id).map_err(err)?;
        let sku = opt_id("sku_id", &req.sku_id).map_err(err)?;
        if store.is_none() && sku.is_none() {
            return Err(err(invalid("store_id", "store_id or sku_id is required")));
        }
        let p = page::<(Uuid, Uuid)>("store_prices", req.page.as_ref()).map_err(err)?;
        let rows = self
            .app
            .list_store_prices(&ctx, store, sku, p.after, p.fetch_limit())
            .await
            .map_err(err)?;
        let (rows, next) =
            siyu_core::PageToken::finish("store_prices", rows, p.size, |r| (r.sku_id, r.store_id));
        Ok(Response::new(pb::ListStorePricesResponse {
            prices: rows
                .iter()
                .map(|r| pb::StorePrice {
                    sku_id: r.sku_id.to_string(),
                    store_id: r.store_id.to_string(),
                    price: Some(money_out(r.price)),
                    valid_from: Some(super::catalog_convert::ts(r.valid_from_ms)),
                    valid_until: r.valid_until_ms.map(super::catalog_convert::ts),
                })
                .collect(),
            page: Some(PageResponse {
                next_page_token: next,
            }),
        }))
    }
}
