//! CatalogService: the category tree.

use siyu_proto::catalog::v1 as pb;
use siyu_proto::common::v1::PageResponse;
use tonic::{Request, Response};
use uuid::Uuid;

use crate::app::categories::{CategoryPatch, Node};
use crate::app::invalid;
use crate::grpc::catalog_convert::{
    category_image, category_in, category_name, category_out, mask,
};
use crate::grpc::convert::{id, opt_id, page};
use crate::grpc::{Handlers, R, ctx, err};

fn node_out(n: &Node) -> pb::CategoryNode {
    pb::CategoryNode {
        category: Some(category_out(&n.category)),
        children: n.children.iter().map(node_out).collect(),
    }
}

impl Handlers {
    #[tracing::instrument(skip_all)]
    pub(super) async fn create_category_rpc(
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
    pub(super) async fn update_category_rpc(
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
    pub(super) async fn move_category_rpc(
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
    pub(super) async fn delete_category_rpc(
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
    pub(super) async fn list_category_children_rpc(
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
    pub(super) async fn get_category_tree_rpc(
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
}
