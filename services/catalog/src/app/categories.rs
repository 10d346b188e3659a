//! The category tree: create, update, move (refusing cycles and depth over 5), delete when
//! empty, children and (sub)trees.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::App;
use super::domain::{Category, MAX_CATEGORY_DEPTH, path_string};
use super::storefront::Shopper;
use crate::{AppError, repo};

/// Loads a category or fails CATEGORY_NOT_FOUND.
pub async fn load(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Category, AppError> {
    repo::categories::get(conn, tenant, id)
        .await?
        .ok_or(AppError::CategoryNotFound)
}

/// What UpdateCategory changes (None = keep).
#[derive(Debug, Clone, Default)]
pub struct CategoryPatch {
    /// New name.
    pub name: Option<String>,
    /// New image.
    pub image_url: Option<String>,
    /// New position.
    pub sort_order: Option<i32>,
    /// New visibility.
    pub hidden: Option<bool>,
}

/// A node of a category tree.
#[derive(Debug, Clone)]
pub struct Node {
    /// The category.
    pub category: Category,
    /// Its children by (sort_order, name).
    pub children: Vec<Node>,
}

impl App {
    /// CreateCategory.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_category(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut c: Category,
    ) -> Result<Category, AppError> {
        c.id = siyu_core::id::new();
        c.path = match c.parent {
            Some(p) => load(conn, ctx.tenant, p).await?.path,
            None => Vec::new(),
        };
        c.path.push(c.id);
        if c.path.len() > MAX_CATEGORY_DEPTH {
            return Err(AppError::CategoryTooDeep);
        }
        repo::categories::insert(conn, ctx.tenant, &c, self.now_ms()).await?;
        Ok(c)
    }

    /// UpdateCategory.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn update_category(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        patch: CategoryPatch,
    ) -> Result<Category, AppError> {
        let mut c = load(conn, ctx.tenant, id).await?;
        if let Some(n) = patch.name {
            c.name = n;
        }
        if let Some(i) = patch.image_url {
            c.image_url = i;
        }
        if let Some(o) = patch.sort_order {
            c.sort_order = o;
        }
        if let Some(h) = patch.hidden {
            c.hidden = h;
        }
        repo::categories::update(conn, ctx.tenant, &c, self.now_ms()).await?;
        Ok(c)
    }

    /// MoveCategory: the new parent must not lie in the moved subtree (CATEGORY_CYCLE) and the
    /// subtree's deepest node must stay within 5 levels (CATEGORY_TOO_DEEP).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn move_category(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        new_parent: Option<Uuid>,
        sort_order: i32,
    ) -> Result<Category, AppError> {
        let mut c = load(conn, ctx.tenant, id).await?;
        let old = c.path.clone();
        let mut path = match new_parent {
            Some(p) => {
                let parent = load(conn, ctx.tenant, p).await?;
                if parent.path.contains(&id) {
                    return Err(AppError::CategoryCycle);
                }
                parent.path
            }
            None => Vec::new(),
        };
        path.push(id);
        let below = repo::categories::subtree_depth(conn, ctx.tenant, &old)
            .await?
            .saturating_sub(old.len());
        if path.len() + below > MAX_CATEGORY_DEPTH {
            return Err(AppError::CategoryTooDeep);
        }
        c.parent = new_parent;
        c.path = path;
        c.sort_order = sort_order;
        repo::categories::move_subtree(conn, ctx.tenant, &c, &old, self.now_ms()).await?;
        repo::storefront::read_model::recategorize(conn, ctx.tenant, &path_string(&old)).await?;
        Ok(c)
    }

    /// DeleteCategory: only without children and products.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn delete_category(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<(), AppError> {
        let c = load(conn, ctx.tenant, id).await?;
        if c.product_count > 0 || repo::categories::has_children(conn, ctx.tenant, id).await? {
            return Err(AppError::CategoryNotEmpty);
        }
        repo::categories::delete(conn, ctx.tenant, id).await?;
        Ok(())
    }

    /// ListCategoryChildren: a hidden parent is not found for shoppers.
    #[tracing::instrument(skip_all, fields(tenant = %shopper.tenant))]
    pub async fn category_children(
        &self,
        shopper: &Shopper,
        parent: Option<Uuid>,
        after: Option<(i32, String, Uuid)>,
        limit: u64,
    ) -> Result<Vec<Category>, AppError> {
        let hidden_ok = shopper.sees_hidden_categories();
        if let Some(p) = parent {
            let c = load(&self.db, shopper.tenant, p).await?;
            if c.hidden && !hidden_ok {
                return Err(AppError::CategoryNotFound);
            }
        }
        repo::categories::children(
            &self.db,
            shopper.tenant,
            parent,
            hidden_ok,
            after.as_ref(),
            limit,
        )
        .await
    }

    /// GetCategoryTree: one query for the (sub)tree, assembled in memory; `max_depth` levels
    /// below the root (0 = all).
    #[tracing::instrument(skip_all, fields(tenant = %shopper.tenant))]
    pub async fn category_tree(
        &self,
        shopper: &Shopper,
        root: Option<Uuid>,
        max_depth: usize,
    ) -> Result<Vec<Node>, AppError> {
        let hidden_ok = shopper.sees_hidden_categories();
        let (prefix, top_depth) = match root {
            Some(r) => {
                let c = load(&self.db, shopper.tenant, r).await?;
                if c.hidden && !hidden_ok {
                    return Err(AppError::CategoryNotFound);
                }
                let d = c.path.len();
                (Some(c.path), d)
            }
            None => (None, 1),
        };
        let all = repo::categories::subtree(&self.db, shopper.tenant, prefix.as_deref()).await?;
        let limit = if max_depth == 0 {
            usize::MAX
        } else {
            top_depth.saturating_add(max_depth)
        };
        let all: Vec<Category> = all
            .into_iter()
            .filter(|c| c.path.len() <= limit && (hidden_ok || !c.hidden))
            .collect();
        fn build(all: &[Category], parent: &Category) -> Node {
            Node {
                category: parent.clone(),
                children: all
                    .iter()
                    .filter(|c| c.parent == Some(parent.id))
                    .map(|c| build(all, c))
                    .collect(),
            }
        }
        Ok(all
            .iter()
            .filter(|c| c.path.len() == top_depth)
            .map(|c| build(&all, c))
            .collect())
    }
}
