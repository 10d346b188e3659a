//! CatalogService: products (SPU) and their status (publish, unpublish, delete drafts).

use siyu_proto::catalog::v1 as pb;
use siyu_server::Paging;
use tonic::{Request, Response};
use uuid::Uuid;

use super::convert::{at_most, id, mask, opt_id, required, wire_enum};
use super::{Handlers, R, ctx, page_of};
use crate::AppError;
use crate::app::domain::{ProductStatus, normalize};
use crate::app::products::{ListFilter, ProductPatch};

mod convert;

pub(super) use convert::{dims_in, product_in};

/// ListProducts pages by (updated_at_ms, id), newest first.
const PRODUCTS: Paging = Paging::new("products", 20, 200);

/// Paths UpdateProduct accepts.
const UPDATABLE: &[&str] = &[
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

/// The console filter of ListProducts (the category is resolved by the app).
fn filter_in(req: &pb::ListProductsRequest) -> Result<ListFilter, AppError> {
    let mut statuses = Vec::with_capacity(req.statuses.len());
    for (i, s) in req.statuses.iter().enumerate() {
        statuses.push(wire_enum::<ProductStatus>(
            &format!("statuses[{i}]"),
            *s,
            "status",
        )?);
    }
    if req.query.chars().count() > 50 {
        return Err(AppError::invalid("query", "at most 50 characters"));
    }
    let q = normalize(&req.query);
    Ok(ListFilter {
        statuses,
        category_path: None,
        query: (!q.is_empty()).then_some(q),
    })
}

#[tracing::instrument(skip_all)]
pub(super) async fn create(
    h: &Handlers,
    request: Request<pb::CreateProductRequest>,
) -> R<pb::CreateProductResponse> {
    let ctx = ctx(&request)?;
    let p = product_in(
        required("product", request.get_ref().product.as_ref())?,
        true,
    )?;
    if p.category_id.is_none() {
        return Err(AppError::invalid("product.category_id", "required").into());
    }
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let p = app.create_product(txn, &ctx, p).await?;
                Ok(pb::CreateProductResponse {
                    product: Some((&p).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(product_id))]
pub(super) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateProductRequest>,
) -> R<pb::UpdateProductResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let wire = required("product", req.product.as_ref())?;
    let id = id("product.product_id", &wire.product_id)?;
    tracing::Span::current().record("product_id", tracing::field::display(id));
    let patch = ProductPatch {
        paths: mask(req.update_mask.as_ref(), UPDATABLE)?,
        values: Some(product_in(wire, false)?),
    };
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let p = app.update_product(txn, &ctx, id, patch).await?;
                Ok(pb::UpdateProductResponse {
                    product: Some((&p).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(product_id = %request.get_ref().product_id))]
pub(super) async fn get(
    h: &Handlers,
    request: Request<pb::GetProductRequest>,
) -> R<pb::GetProductResponse> {
    let ctx = ctx(&request)?;
    let id = id("product_id", &request.get_ref().product_id)?;
    let p = h.app.get_product(&ctx, id).await?;
    Ok(Response::new(pb::GetProductResponse {
        product: Some((&p).into()),
    }))
}

#[tracing::instrument(skip_all)]
pub(super) async fn list(
    h: &Handlers,
    request: Request<pb::ListProductsRequest>,
) -> R<pb::ListProductsResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let filter = filter_in(req)?;
    let category = opt_id("category_id", &req.category_id)?;
    let page = page_of::<(i64, Uuid)>(&PRODUCTS, req.page.as_ref())?;
    let (rows, total) = h
        .app
        .list_products(&ctx, filter, category, page.after, page.fetch_limit())
        .await?;
    let (rows, next) = PRODUCTS.finish(rows, &page, |p| (p.updated_at_ms, p.id));
    Ok(Response::new(pb::ListProductsResponse {
        products: rows.iter().map(Into::into).collect(),
        page: Some(next),
        total_count: i32::try_from(total).unwrap_or(i32::MAX),
    }))
}

#[tracing::instrument(skip_all, fields(product_id = %request.get_ref().product_id))]
pub(super) async fn publish(
    h: &Handlers,
    request: Request<pb::PublishProductRequest>,
) -> R<pb::PublishProductResponse> {
    let ctx = ctx(&request)?;
    let id = id("product_id", &request.get_ref().product_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let p = app.publish_product(txn, &ctx, id).await?;
                Ok(pb::PublishProductResponse {
                    product: Some((&p).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(product_id = %request.get_ref().product_id))]
pub(super) async fn unpublish(
    h: &Handlers,
    request: Request<pb::UnpublishProductRequest>,
) -> R<pb::UnpublishProductResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let id = id("product_id", &req.product_id)?;
    let reason = at_most("reason", &req.reason, 200)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let p = app.unpublish_product(txn, &ctx, id, &reason).await?;
                Ok(pb::UnpublishProductResponse {
                    product: Some((&p).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(product_id = %request.get_ref().product_id))]
pub(super) async fn delete(
    h: &Handlers,
    request: Request<pb::DeleteProductRequest>,
) -> R<pb::DeleteProductResponse> {
    let ctx = ctx(&request)?;
    let id = id("product_id", &request.get_ref().product_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                app.delete_product(txn, &ctx, id).await?;
                Ok(pb::DeleteProductResponse {})
            })
        })
        .await
}
