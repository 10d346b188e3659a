//! `siyu.catalog.v1.AssortmentService`: where each SKU is sold (online, per store).

use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::assortment_service_server::AssortmentService;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::convert::{each, id, ids, opt_id};
use super::{Handlers, R, ctx, page_of};
use crate::AppError;
use crate::app::assortment::Assortment;
use crate::app::domain::StoreMode;

/// ListStoreAssortment pages by SKU id.
const STORE_ASSORTMENT: Paging = Paging::new("store_assortment", 20, 200);

/// The assortment at `field` for `sku` (nil for a product's template).
fn assortment_in(field: &str, a: &pb::SkuAssortment, sku: Uuid) -> Result<Assortment, AppError> {
    let mode = StoreMode::from_i32(a.store_mode)
        .ok_or_else(|| AppError::invalid(format!("{field}.store_mode"), "unknown store mode"))?;
    if a.store_ids.len() > 5_000 {
        return Err(AppError::invalid(
            format!("{field}.store_ids"),
            "at most 5000 stores",
        ));
    }
    if matches!(mode, StoreMode::Selected | StoreMode::Excluded) && a.store_ids.is_empty() {
        return Err(AppError::invalid(
            format!("{field}.store_ids"),
            "required for SELECTED and EXCLUDED",
        ));
    }
    Ok(Assortment {
        sku_id: sku,
        online: a.online,
        mode,
        stores: each(&format!("{field}.store_ids"), &a.store_ids, |f, s| id(f, s))?,
    })
}

/// The product (if the request names one) and the assortments of a SetAssortment request.
fn set_in(req: &pb::SetAssortmentRequest) -> Result<(Option<Uuid>, Vec<Assortment>), AppError> {
    let product = opt_id("product_id", &req.product_id)?;
    let items = match product {
        Some(_) => {
            let t = req
                .template
                .as_ref()
                .ok_or_else(|| AppError::invalid("template", "required with product_id"))?;
            vec![assortment_in("template", t, Uuid::nil())?]
        }
        None => {
            if req.assortments.is_empty() || req.assortments.len() > 200 {
                return Err(AppError::invalid("assortments", "must hold 1..200 items"));
            }
            each("assortments", &req.assortments, |f, a| {
                assortment_in(f, a, id(&format!("{f}.sku_id"), &a.sku_id)?)
            })?
        }
    };
    Ok((product, items))
}

impl From<&Assortment> for pb::SkuAssortment {
    fn from(a: &Assortment) -> Self {
        Self {
            sku_id: a.sku_id.to_string(),
            online: a.online,
            store_mode: a.mode as i32,
            store_ids: a.stores.iter().map(ToString::to_string).collect(),
        }
    }
}

#[tonic::async_trait]
impl AssortmentService for Handlers {
    #[tracing::instrument(skip_all, fields(product_id = %request.get_ref().product_id))]
    async fn set_assortment(
        &self,
        request: Request<pb::SetAssortmentRequest>,
    ) -> R<pb::SetAssortmentResponse> {
        let ctx = ctx(&request)?;
        let (product, items) = set_in(request.get_ref())?;
        let app = self.app.clone();
        self.mutations
            .mutate(&request, move |txn| {
                Box::pin(async move {
                    let out = app.set_assortment(txn, &ctx, product, items).await?;
                    Ok(pb::SetAssortmentResponse {
                        assortments: out.iter().map(Into::into).collect(),
                    })
                })
            })
            .await
    }

    #[tracing::instrument(skip_all, fields(store_id = %request.get_ref().store_id))]
    async fn set_store_carries_skus(
        &self,
        request: Request<pb::SetStoreCarriesSkusRequest>,
    ) -> R<pb::SetStoreCarriesSkusResponse> {
        let ctx = ctx(&request)?;
        let req = request.get_ref();
        let store = id("store_id", &req.store_id)?;
        let mut skus = ids("sku_ids", &req.sku_ids, 500)?;
        skus.sort();
        skus.dedup();
        let (carries, app) = (req.carries, self.app.clone());
        self.mutations
            .mutate(&request, move |txn| {
                Box::pin(async move {
                    let n = app
                        .set_store_carries(txn, &ctx, store, skus, carries)
                        .await?;
                    Ok(pb::SetStoreCarriesSkusResponse { changed_count: n })
                })
            })
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn get_assortment(
        &self,
        request: Request<pb::GetAssortmentRequest>,
    ) -> R<pb::GetAssortmentResponse> {
        let ctx = ctx(&request)?;
        let skus = ids("sku_ids", &request.get_ref().sku_ids, 200)?;
        let out = self.app.get_assortment(&ctx, &skus).await?;
        Ok(Response::new(pb::GetAssortmentResponse {
            assortments: out.iter().map(Into::into).collect(),
        }))
    }

    #[tracing::instrument(skip_all, fields(store_id = %request.get_ref().store_id))]
    async fn list_store_assortment(
        &self,
        request: Request<pb::ListStoreAssortmentRequest>,
    ) -> R<pb::ListStoreAssortmentResponse> {
        let ctx = ctx(&request)?;
        let req = request.get_ref();
        let store = id("store_id", &req.store_id)?;
        let page = page_of::<Uuid>(&STORE_ASSORTMENT, req.page.as_ref())?;
        let rows = self
            .app
            .list_store_assortment(
                &ctx,
                store,
                req.on_sale_only,
                page.after,
                page.fetch_limit(),
            )
            .await?;
        let (rows, next) = STORE_ASSORTMENT.finish(rows, &page, |s| *s);
        Ok(Response::new(pb::ListStoreAssortmentResponse {
            sku_ids: rows.iter().map(ToString::to_string).collect(),
            page: Some(next),
        }))
    }
}
