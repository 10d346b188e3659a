//! `siyu.catalog.v1.AssortmentService`.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::assortment_service_server::AssortmentService;
use siyu_proto::common::v1::PageResponse;
use tonic::{Request, Response};
use uuid::Uuid;

use super::convert::{id, ids, opt_id, page};
use super::{Handlers, R, ctx, err};
use crate::app::assortment::Assortment;
use crate::app::product::StoreMode;
use crate::app::{AppError, invalid};

fn assortment_in(field: &str, a: &pb::SkuAssortment, sku: Uuid) -> Result<Assortment, AppError> {
    let mode = StoreMode::from_i32(a.store_mode)
        .ok_or_else(|| invalid(format!("{field}.store_mode"), "unknown store mode"))?;
    if a.store_ids.len() > 5_000 {
        return Err(invalid(format!("{field}.store_ids"), "at most 5000 stores"));
    }
    if matches!(mode, StoreMode::Selected | StoreMode::Excluded) && a.store_ids.is_empty() {
        return Err(invalid(
            format!("{field}.store_ids"),
            "required for SELECTED and EXCLUDED",
        ));
    }
    Ok(Assortment {
        sku_id: sku,
        online: a.online,
        mode,
        stores: a
            .store_ids
            .iter()
            .enumerate()
            .map(|(i, s)| id(&format!("{field}.store_ids[{i}]"), s))
            .collect::<Result<_, _>>()?,
    })
}

fn assortment_out(a: &Assortment) -> pb::SkuAssortment {
    pb::SkuAssortment {
        sku_id: a.sku_id.to_string(),
        online: a.online,
        store_mode: a.mode as i32,
        store_ids: a.stores.iter().map(ToString::to_string).collect(),
    }
}

#[tonic::async_trait]
impl AssortmentService for Handlers {
    #[tracing::instrument(skip_all)]
    async fn set_assortment(
        &self,
        request: Request<pb::SetAssortmentRequest>,
    ) -> R<pb::SetAssortmentResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let product = opt_id("product_id", &req.product_id).map_err(err)?;
        let items = match product {
            Some(_) => {
                let t = req
                    .template
                    .as_ref()
                    .ok_or_else(|| err(invalid("template", "required with product_id")))?;
                vec![assortment_in("template", t, Uuid::nil()).map_err(err)?]
            }
            None => {
                if req.assortments.is_empty() || req.assortments.len() > 200 {
                    return Err(err(invalid("assortments", "must hold 1..200 items")));
                }
                req.assortments
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let f = format!("assortments[{i}]");
                        assortment_in(&f, a, id(&format!("{f}.sku_id"), &a.sku_id)?)
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(err)?
            }
        };
        self.mutate(&ctx, key, "SetAssortment", &req, move |txn| {
            Box::pin(async move {
                let out = app.set_assortment(txn, &c, product, items).await?;
                Ok(pb::SetAssortmentResponse {
                    assortments: out.iter().map(assortment_out).collect(),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn set_store_carries_skus(
        &self,
        request: Request<pb::SetStoreCarriesSkusRequest>,
    ) -> R<pb::SetStoreCarriesSkusResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let store = id("store_id", &req.store_id).map_err(err)?;
        let mut skus = ids("sku_ids", &req.sku_ids, 500).map_err(err)?;
        skus.sort();
        skus.dedup();
        let carries = req.carries;
        self.mutate(&ctx, key, "SetStoreCarriesSkus", &req, move |txn| {
            Box::pin(async move {
                let n = app.set_store_carries(txn, &c, store, skus, carries).await?;
                Ok(pb::SetStoreCarriesSkusResponse { changed_count: n })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn get_assortment(
        &self,
        request: Request<pb::GetAssortmentRequest>,
    ) -> R<pb::GetAssortmentResponse> {
        let ctx = ctx(&request)?;
        let skus = ids("sku_ids", &request.get_ref().sku_ids, 200).map_err(err)?;
        let out = self.app.get_assortment(&ctx, &skus).await.map_err(err)?;
        Ok(Response::new(pb::GetAssortmentResponse {
            assortments: out.iter().map(assortment_out).collect(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn list_store_assortment(
        &self,
        request: Request<pb::ListStoreAssortmentRequest>,
    ) -> R<pb::ListStoreAssortmentResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let store = id("store_id", &req.store_id).map_err(err)?;
        let p = page::<Uuid>("store_assortment", req.page.as_ref()).map_err(err)?;
        let rows = self
            .app
            .list_store_assortment(&ctx, store, req.on_sale_only, p.after, p.fetch_limit())
            .await
            .map_err(err)?;
        let (rows, next) = siyu_core::PageToken::finish("store_assortment", rows, p.size, |s| *s);
        Ok(Response::new(pb::ListStoreAssortmentResponse {
            sku_ids: rows.iter().map(ToString::to_string).collect(),
            page: Some(PageResponse {
                next_page_token: next,
            }),
        }))
    }
}
