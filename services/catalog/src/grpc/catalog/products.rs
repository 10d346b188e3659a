//! CatalogService: products and their status (publish, unpublish, delete drafts).

use siyu_proto::catalog::v1 as pb;
use siyu_proto::common::v1::PageResponse;
use tonic::{Request, Response};
use uuid::Uuid;

use crate::app::invalid;
use crate::app::product::ProductStatus;
use crate::app::products::ProductPatch;
use crate::grpc::catalog_convert::{mask, product_in, product_out};
use crate::grpc::convert::{id, opt_id, page};
use crate::grpc::{Handlers, R, ctx, err};
use crate::repo::products::ListFilter;

/// Paths UpdateProduct accepts.
const PRODUCT_PATHS: &[&str] = &[
    "title",
    "subtitle",
    "category_id",
    "brand",
    "media",
    "attributes",
    "spec_dimensions",
    "description",
    "keywords",
];

impl Handlers {
    #[tracing::instrument(skip_all)]
    pub(super) async fn create_product_rpc(
        &self,
        request: Request<pb::CreateProductRequest>,
    ) -> R<pb::CreateProductResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let p = product_in(
            req.product
                .as_ref()
                .ok_or_else(|| err(invalid("product", "required")))?,
            true,
        )
        .map_err(err)?;
        if p.category_id.is_none() {
            return Err(err(invalid("product.category_id", "required")));
        }
        self.mutate(&ctx, key, "CreateProduct", &req, move |txn| {
            Box::pin(async move {
                let p = app.create_product(txn, &c, p).await?;
                Ok(pb::CreateProductResponse {
                    product: Some(product_out(&p)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn update_product_rpc(
        &self,
        request: Request<pb::UpdateProductRequest>,
    ) -> R<pb::UpdateProductResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let wire = req
            .product
            .as_ref()
            .ok_or_else(|| err(invalid("product", "required")))?;
        let pid = id("product.product_id", &wire.product_id).map_err(err)?;
        let paths = mask(req.update_mask.as_ref(), PRODUCT_PATHS).map_err(err)?;
        let values = product_in(wire, false).map_err(err)?;
        let patch = ProductPatch {
            values: Some(values),
            paths,
        };
        self.mutate(&ctx, key, "UpdateProduct", &req, move |txn| {
            Box::pin(async move {
                let p = app.update_product(txn, &c, pid, patch).await?;
                Ok(pb::UpdateProductResponse {
                    product: Some(product_out(&p)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn get_product_rpc(
        &self,
        request: Request<pb::GetProductRequest>,
    ) -> R<pb::GetProductResponse> {
        let ctx = ctx(&request)?;
        let pid = id("product_id", &request.get_ref().product_id).map_err(err)?;
        let p = self.app.get_product(&ctx, pid).await.map_err(err)?;
        Ok(Response::new(pb::GetProductResponse {
            product: Some(product_out(&p)),
        }))
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn list_products_rpc(
        &self,
        request: Request<pb::ListProductsRequest>,
    ) -> R<pb::ListProductsResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let mut statuses = Vec::new();
        for (i, s) in req.statuses.iter().enumerate() {
            let s = i16::try_from(*s)
                .ok()
                .and_then(|s| ProductStatus::try_from(s).ok())
                .ok_or_else(|| err(invalid(format!("statuses[{i}]"), "unknown status")))?;
            statuses.push(s);
        }
        if req.query.chars().count() > 50 {
            return Err(err(invalid("query", "at most 50 characters")));
        }
        let q = crate::app::product::normalize(&req.query);
        let f = ListFilter {
            statuses,
            category_path: None,
            query: (!q.is_empty()).then_some(q),
        };
        let category = opt_id("category_id", &req.category_id).map_err(err)?;
        let p = page::<(i64, Uuid)>("products", req.page.as_ref()).map_err(err)?;
        let (rows, total) = self
            .app
            .list_products(&ctx, f, category, p.after, p.fetch_limit())
            .await
            .map_err(err)?;
        let (rows, next) =
            siyu_core::PageToken::finish("products", rows, p.size, |p| (p.updated_at_ms, p.id));
        Ok(Response::new(pb::ListProductsResponse {
            products: rows.iter().map(product_out).collect(),
            page: Some(PageResponse {
                next_page_token: next,
            }),
            total_count: i32::try_from(total).unwrap_or(i32::MAX),
        }))
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn publish_product_rpc(
        &self,
        request: Request<pb::PublishProductRequest>,
    ) -> R<pb::PublishProductResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let pid = id("product_id", &req.product_id).map_err(err)?;
        self.mutate(&ctx, key, "PublishProduct", &req, move |txn| {
            Box::pin(async move {
                let p = app.publish_product(txn, &c, pid).await?;
                Ok(pb::PublishProductResponse {
                    product: Some(product_out(&p)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn unpublish_product_rpc(
        &self,
        request: Request<pb::UnpublishProductRequest>,
    ) -> R<pb::UnpublishProductResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let pid = id("product_id", &req.product_id).map_err(err)?;
        if req.reason.chars().count() > 200 {
            return Err(err(invalid("reason", "at most 200 characters")));
        }
        let reason = req.reason.clone();
        self.mutate(&ctx, key, "UnpublishProduct", &req, move |txn| {
            Box::pin(async move {
                let p = app.unpublish_product(txn, &c, pid, &reason).await?;
                Ok(pb::UnpublishProductResponse {
                    product: Some(product_out(&p)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    pub(super) async fn delete_product_rpc(
        &self,
        request: Request<pb::DeleteProductRequest>,
    ) -> R<pb::DeleteProductResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let pid = id("product_id", &req.product_id).map_err(err)?;
        self.mutate(&ctx, key, "DeleteProduct", &req, move |txn| {
            Box::pin(async move {
                app.delete_product(txn, &c, pid).await?;
                Ok(pb::DeleteProductResponse {})
            })
        })
        .await
        .map(Response::new)
    }
}
