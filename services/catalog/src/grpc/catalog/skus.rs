//! CatalogService: adding, updating and batch-reading SKUs.

use siyu_proto::catalog::v1 as pb;
use tonic::{Request, Response};

use crate::app::invalid;
use crate::grpc::catalog_convert::{
    code, dims_in, mask, money_in, product_out, sku_in, sku_out, tier_prices_in, weight,
};
use crate::grpc::convert::id;
use crate::grpc::{Handlers, R, ctx, err};

/// Paths UpdateSku accepts.
const SKU_PATHS: &[&str] = &[
    "sku_code",
    "barcode",
    "weight_grams",
    "list_price",
    "sale_price",
    "member_prices",
    "member_discount_eligible",
    "image_url",
    "enabled",
];

impl Handlers {
    #[tracing::instrument(skip_all)]
    pub(super) async fn add_skus_rpc(
        &self,
        request: Request<pb::AddSkusRequest>,
    ) -> R<pb::AddSkusResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let pid = id("product_id", &req.product_id).map_err(err)?;
        if req.skus.is_empty() || req.skus.len() > 500 {
            return Err(err(invalid("skus", "must hold 1..500 SKUs")));
        }
        let skus = req
            .skus
            .iter()
            .enumerate()
            .map(|(i, s)| sku_in(&format!("skus[{i}]"), s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let dims = dims_in("spec_dimensions", &req.spec_dimensions).map_err(err)?;
        self.mutate(&ctx, key, "AddSkus", &req, move |txn| {
            Box::pin(async move {
                let p = app.add_skus(txn, &c, pid, skus, dims).await?;
                Ok(pb::AddSkusResponse {
                    product: Some(product_out(&p)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn update_sku_rpc(
        &self,
        request: Request<pb::UpdateSkuRequest>,
    ) -> R<pb::UpdateSkuResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let wire = req
            .sku
            .clone()
            .ok_or_else(|| err(invalid("sku", "required")))?;
        let sid = id("sku.sku_id", &wire.sku_id).map_err(err)?;
        let paths = mask(req.update_mask.as_ref(), SKU_PATHS).map_err(err)?;
        // Parse every masked field at the edge; the closure only assigns.
        let code_v = code("sku.sku_code", &wire.sku_code).map_err(err)?;
        let barcode_v = code("sku.barcode", &wire.barcode).map_err(err)?;
        let weight_v = weight("sku.weight_grams", wire.weight_grams).map_err(err)?;
        let list_v = wire
            .list_price
            .as_ref()
            .map(|m| money_in("sku.list_price", m))
            .transpose()
            .map_err(err)?;
        let sale_v = if paths.iter().any(|p| p == "sale_price") {
            Some(
                money_in(
                    "sku.sale_price",
                    wire.sale_price.as_ref().ok_or_else(|| {
                        err(crate::app::rejected(
                            "PRICE_INVALID",
                            "sku.sale_price",
                            "required",
                        ))
                    })?,
                )
                .map_err(err)?,
            )
        } else {
            None
        };
        let members_v = tier_prices_in("sku.member_prices", &wire.member_prices).map_err(err)?;
        let image_v =
            crate::grpc::catalog_convert::category_image("sku.image_url", &wire.image_url)
                .map_err(err)?;
        self.mutate(&ctx, key, "UpdateSku", &req, move |txn| {
            Box::pin(async move {
                let s = app
                    .update_sku(txn, &c, sid, move |s| {
                        for p in &paths {
                            match p.as_str() {
                                "sku_code" => s.sku_code = code_v.clone(),
                                "barcode" => s.barcode = barcode_v.clone(),
                                "weight_grams" => s.weight_grams = weight_v,
                                "list_price" => s.list_price = list_v,
                                "sale_price" => s.sale_price = sale_v.unwrap_or(s.sale_price),
                                "member_prices" => s.member_prices = members_v.clone(),
                                "member_discount_eligible" => {
                                    s.member_discount_eligible = wire.member_discount_eligible;
                                }
                                "image_url" => s.image_url = image_v.clone(),
                                _ => s.enabled = wire.enabled,
                            }
                        }
                    })
                    .await?;
                Ok(pb::UpdateSkuResponse {
                    sku: Some(sku_out(&s)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn batch_get_skus_rpc(
        &self,
        request: Request<pb::BatchGetSkusRequest>,
    ) -> R<pb::BatchGetSkusResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let n = req.sku_ids.len() + req.barcodes.len() + req.sku_codes.len();
        if n == 0 || n > 200 {
            return Err(err(invalid("sku_ids", "1..200 keys in all three lists")));
        }
        let ids = req
            .sku_ids
            .iter()
            .enumerate()
            .map(|(i, s)| id(&format!("sku_ids[{i}]"), s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let (skus, not_found) = self
            .app
            .batch_get_skus(&ctx, ids, req.barcodes, req.sku_codes)
            .await
            .map_err(err)?;
        Ok(Response::new(pb::BatchGetSkusResponse {
            skus: skus.iter().map(sku_out).collect(),
            not_found,
        }))
    }
}
