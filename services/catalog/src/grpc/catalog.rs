//! `siyu.catalog.v1.CatalogService`: category tree, products and SKUs.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::catalog::v1::catalog_service_server::CatalogService;
use siyu_proto::common::v1::PageResponse;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::catalog_convert::{
    category_image, category_in, category_name, category_out, code, dims_in, mask, money_in,
    product_in, product_out, sku_in, sku_out, tier_prices_in, weight,
};
use super::convert::{id, opt_id, page};
use super::{Handlers, ctx};
use crate::app::categories::{CategoryPatch, Node};
use crate::app::product::ProductStatus;
use crate::app::products::ProductPatch;
use crate::app::{AppError, invalid};
use crate::repo::products::ListFilter;

type R<T> = Result<Response<T>, Status>;

fn err(e: AppError) -> Status {
    e.into()
}

fn node_out(n: &Node) -> pb::CategoryNode {
    pb::CategoryNode {
        category: Some(category_out(&n.category)),
        children: n.children.iter().map(node_out).collect(),
    }
}

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

#[tonic::async_trait]
impl CatalogService for Handlers {
    #[tracing::instrument(skip_all)]
    async fn create_category(
        &self,
        request: Request<pb::CreateCategoryRequest>,
    ) -> R<pb::CreateCategoryResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let cat = category_in(
            req.category
                .as_ref()
                .ok_or_else(|| err(invalid("category", "required")))?,
        )
        .map_err(err)?;
        self.mutate(&ctx, key, "CreateCategory", &req, move |txn| {
            Box::pin(async move {
                let cat = app.create_category(txn, &c, cat).await?;
                Ok(pb::CreateCategoryResponse {
                    category: Some(category_out(&cat)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn update_category(
        &self,
        request: Request<pb::UpdateCategoryRequest>,
    ) -> R<pb::UpdateCategoryResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let cat = req
            .category
            .clone()
            .ok_or_else(|| err(invalid("category", "required")))?;
        let cid = id("category.category_id", &cat.category_id).map_err(err)?;
        let paths = mask(
            req.update_mask.as_ref(),
            &["name", "image_url", "sort_order", "hidden"],
        )
        .map_err(err)?;
        let mut patch = CategoryPatch::default();
        for p in &paths {
            match p.as_str() {
                "name" => {
                    patch.name = Some(category_name("category.name", &cat.name).map_err(err)?);
                }
                "image_url" => {
                    patch.image_url =
                        Some(category_image("category.image_url", &cat.image_url).map_err(err)?);
                }
                "sort_order" => patch.sort_order = Some(cat.sort_order),
                _ => patch.hidden = Some(cat.hidden),
            }
        }
        self.mutate(&ctx, key, "UpdateCategory", &req, move |txn| {
            Box::pin(async move {
                let cat = app.update_category(txn, &c, cid, patch).await?;
                Ok(pb::UpdateCategoryResponse {
                    category: Some(category_out(&cat)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn move_category(
        &self,
        request: Request<pb::MoveCategoryRequest>,
    ) -> R<pb::MoveCategoryResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let cid = id("category_id", &req.category_id).map_err(err)?;
        let parent = opt_id("new_parent_id", &req.new_parent_id).map_err(err)?;
        let order = req.sort_order;
        self.mutate(&ctx, key, "MoveCategory", &req, move |txn| {
            Box::pin(async move {
                let cat = app.move_category(txn, &c, cid, parent, order).await?;
                Ok(pb::MoveCategoryResponse {
                    category: Some(category_out(&cat)),
                })
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn delete_category(
        &self,
        request: Request<pb::DeleteCategoryRequest>,
    ) -> R<pb::DeleteCategoryResponse> {
        let (req, ctx, key, app, c) = self.begin(request)?;
        let cid = id("category_id", &req.category_id).map_err(err)?;
        self.mutate(&ctx, key, "DeleteCategory", &req, move |txn| {
            Box::pin(async move {
                app.delete_category(txn, &c, cid).await?;
                Ok(pb::DeleteCategoryResponse {})
            })
        })
        .await
        .map(Response::new)
    }

    #[tracing::instrument(skip_all)]
    async fn list_category_children(
        &self,
        request: Request<pb::ListCategoryChildrenRequest>,
    ) -> R<pb::ListCategoryChildrenResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let parent = opt_id("parent_id", &req.parent_id).map_err(err)?;
        let p = page::<(i32, String, Uuid)>("category_children", req.page.as_ref()).map_err(err)?;
        let rows = self
            .app
            .category_children(&ctx, parent, p.after.clone(), p.fetch_limit())
            .await
            .map_err(err)?;
        let (rows, next) = siyu_core::PageToken::finish("category_children", rows, p.size, |c| {
            (c.sort_order, c.name.clone(), c.id)
        });
        Ok(Response::new(pb::ListCategoryChildrenResponse {
            categories: rows.iter().map(category_out).collect(),
            page: Some(PageResponse {
                next_page_token: next,
            }),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn get_category_tree(
        &self,
        request: Request<pb::GetCategoryTreeRequest>,
    ) -> R<pb::GetCategoryTreeResponse> {
        let ctx = ctx(&request)?;
        let req = request.into_inner();
        let root = opt_id("root_id", &req.root_id).map_err(err)?;
        let depth = usize::try_from(req.max_depth)
            .map_err(|_| err(invalid("max_depth", "must be >= 0")))?;
        let nodes = self
            .app
            .category_tree(&ctx, root, depth)
            .await
            .map_err(err)?;
        Ok(Response::new(pb::GetCategoryTreeResponse {
            nodes: nodes.iter().map(node_out).collect(),
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn create_product(
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
    async fn update_product(
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
    async fn get_product(
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
    async fn list_products(
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
    async fn publish_product(
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
    async fn unpublish_product(
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
    async fn delete_product(
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

    #[tracing::instrument(skip_all)]
    async fn add_skus(&self, request: Request<pb::AddSkusRequest>) -> R<pb::AddSkusResponse> {
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
    async fn update_sku(&self, request: Request<pb::UpdateSkuRequest>) -> R<pb::UpdateSkuResponse> {
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
        let image_v = super::catalog_convert::category_image("sku.image_url", &wire.image_url)
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
    async fn batch_get_skus(
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
