//! CatalogService: the category tree (staff edit it; everyone, guests included, browses it).

use siyu_proto::catalog::v1 as pb;
use siyu_server::Paging;
use tonic::Request;
use uuid::Uuid;

use super::convert::{id, mask, opt_id, required, text, url};
use super::{Handlers, R, ctx, page_of, shopper};
use crate::AppError;
use crate::app::categories::{CategoryPatch, Node};
use crate::app::domain::Category;

/// ListCategoryChildren pages by (sort order, name, id).
const CHILDREN: Paging = Paging::new("category_children", 20, 200);

/// Paths UpdateCategory accepts.
const UPDATABLE: &[&str] = &["name", "image_url", "sort_order", "hidden"];

impl TryFrom<&pb::Category> for Category {
    type Error = AppError;

    /// A new category (CreateCategory): id and path are assigned by the app.
    fn try_from(c: &pb::Category) -> Result<Self, AppError> {
        Ok(Self {
            id: Uuid::nil(),
            parent: opt_id("category.parent_id", &c.parent_id)?,
            name: text("category.name", &c.name, 1, 30)?,
            image_url: url("category.image_url", &c.image_url)?,
            sort_order: c.sort_order,
            hidden: c.hidden,
            path: Vec::new(),
            product_count: 0,
        })
    }
}

impl From<&Category> for pb::Category {
    fn from(c: &Category) -> Self {
        let ancestors = &c.path[..c.path.len().saturating_sub(1)];
        Self {
            category_id: c.id.to_string(),
            parent_id: c.parent.map(|p| p.to_string()).unwrap_or_default(),
            name: c.name.clone(),
            image_url: c.image_url.clone(),
            sort_order: c.sort_order,
            ancestor_ids: ancestors.iter().map(ToString::to_string).collect(),
            depth: i32::try_from(c.path.len()).unwrap_or(0),
            hidden: c.hidden,
            product_count: c.product_count,
        }
    }
}

impl From<&Node> for pb::CategoryNode {
    fn from(n: &Node) -> Self {
        Self {
            category: Some((&n.category).into()),
            children: n.children.iter().map(Into::into).collect(),
        }
    }
}

/// The category and the masked changes of an UpdateCategory request.
fn update_in(req: &pb::UpdateCategoryRequest) -> Result<(Uuid, CategoryPatch), AppError> {
    let c = required("category", req.category.as_ref())?;
    let id = id("category.category_id", &c.category_id)?;
    let mut patch = CategoryPatch::default();
    for path in mask(req.update_mask.as_ref(), UPDATABLE)? {
        match path.as_str() {
            "name" => patch.name = Some(text("category.name", &c.name, 1, 30)?),
            "image_url" => patch.image_url = Some(url("category.image_url", &c.image_url)?),
            "sort_order" => patch.sort_order = Some(c.sort_order),
            _ => patch.hidden = Some(c.hidden),
        }
    }
    Ok((id, patch))
}

#[tracing::instrument(skip_all)]
pub(super) async fn create(
    h: &Handlers,
    request: Request<pb::CreateCategoryRequest>,
) -> R<pb::CreateCategoryResponse> {
    let ctx = ctx(&request)?;
    let category = Category::try_from(required("category", request.get_ref().category.as_ref())?)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let c = app.create_category(txn, &ctx, category).await?;
                Ok(pb::CreateCategoryResponse {
                    category: Some((&c).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(category_id))]
pub(super) async fn update(
    h: &Handlers,
    request: Request<pb::UpdateCategoryRequest>,
) -> R<pb::UpdateCategoryResponse> {
    let ctx = ctx(&request)?;
    let (id, patch) = update_in(request.get_ref())?;
    tracing::Span::current().record("category_id", tracing::field::display(id));
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let c = app.update_category(txn, &ctx, id, patch).await?;
                Ok(pb::UpdateCategoryResponse {
                    category: Some((&c).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(category_id = %request.get_ref().category_id))]
pub(super) async fn move_to(
    h: &Handlers,
    request: Request<pb::MoveCategoryRequest>,
) -> R<pb::MoveCategoryResponse> {
    let ctx = ctx(&request)?;
    let req = request.get_ref();
    let (id, parent) = (
        id("category_id", &req.category_id)?,
        opt_id("new_parent_id", &req.new_parent_id)?,
    );
    let (order, app) = (req.sort_order, h.app.clone());
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                let c = app.move_category(txn, &ctx, id, parent, order).await?;
                Ok(pb::MoveCategoryResponse {
                    category: Some((&c).into()),
                })
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(category_id = %request.get_ref().category_id))]
pub(super) async fn delete(
    h: &Handlers,
    request: Request<pb::DeleteCategoryRequest>,
) -> R<pb::DeleteCategoryResponse> {
    let ctx = ctx(&request)?;
    let id = id("category_id", &request.get_ref().category_id)?;
    let app = h.app.clone();
    h.mutations
        .mutate(&request, move |txn| {
            Box::pin(async move {
                app.delete_category(txn, &ctx, id).await?;
                Ok(pb::DeleteCategoryResponse {})
            })
        })
        .await
}

#[tracing::instrument(skip_all, fields(parent_id = %request.get_ref().parent_id))]
pub(super) async fn children(
    h: &Handlers,
    request: Request<pb::ListCategoryChildrenRequest>,
) -> R<pb::ListCategoryChildrenResponse> {
    let shopper = shopper(&request)?;
    let req = request.get_ref();
    let parent = opt_id("parent_id", &req.parent_id)?;
    let page = page_of::<(i32, String, Uuid)>(&CHILDREN, req.page.as_ref())?;
    let rows = h
        .app
        .category_children(&shopper, parent, page.after.clone(), page.fetch_limit())
        .await?;
    let (rows, next) = CHILDREN.finish(rows, &page, |c| (c.sort_order, c.name.clone(), c.id));
    Ok(tonic::Response::new(pb::ListCategoryChildrenResponse {
        categories: rows.iter().map(Into::into).collect(),
        page: Some(next),
    }))
}

#[tracing::instrument(skip_all, fields(root_id = %request.get_ref().root_id))]
pub(super) async fn tree(
    h: &Handlers,
    request: Request<pb::GetCategoryTreeRequest>,
) -> R<pb::GetCategoryTreeResponse> {
    let shopper = shopper(&request)?;
    let req = request.get_ref();
    let root = opt_id("root_id", &req.root_id)?;
    let depth = usize::try_from(req.max_depth)
        .map_err(|_| AppError::invalid("max_depth", "must be >= 0"))?;
    let nodes = h.app.category_tree(&shopper, root, depth).await?;
    Ok(tonic::Response::new(pb::GetCategoryTreeResponse {
        nodes: nodes.iter().map(Into::into).collect(),
    }))
}
