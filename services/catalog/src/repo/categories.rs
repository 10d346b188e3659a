//! `cat_categories`: the tree is stored with a materialised path (ids root first, '/'-joined),
//! so subtrees are prefix matches and a move is one prefix rewrite.

use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::{Exists, execute, fetch_all, fetch_one, is_unique_violation, stmt, uuid};
use crate::AppError;
use crate::app::domain::{Category, parse_path, path_string};

const SELECT: &str = "SELECT c.id, c.parent, c.name, c.image_url, c.sort_order, c.hidden, c.path, \
    (SELECT COUNT(*) FROM cat_products p WHERE p.tenant = c.tenant AND p.category_path = c.path) \
    AS product_count FROM cat_categories c";

/// A row selected with [`SELECT`].
#[derive(Debug, FromQueryResult)]
struct CategoryRow {
    id: Uuid,
    parent: String,
    name: String,
    image_url: String,
    sort_order: i32,
    hidden: bool,
    path: String,
    product_count: i64,
}

impl From<CategoryRow> for Category {
    fn from(r: CategoryRow) -> Self {
        Self {
            id: r.id,
            parent: Uuid::parse_str(&r.parent).ok(),
            name: r.name,
            image_url: r.image_url,
            sort_order: r.sort_order,
            hidden: r.hidden,
            path: parse_path(&r.path),
            product_count: i32::try_from(r.product_count).unwrap_or(i32::MAX),
        }
    }
}

/// Categories of a query built on [`SELECT`].
async fn categories(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<Category>, AppError> {
    let rows: Vec<CategoryRow> = fetch_all(conn, sql, values).await?;
    Ok(rows.into_iter().map(Category::from).collect())
}

/// The deepest level of a subtree.
#[derive(Debug, FromQueryResult)]
struct DepthRow {
    d: Option<i32>,
}

fn parent_key(p: Option<Uuid>) -> String {
    p.map(|p| p.to_string()).unwrap_or_default()
}

fn taken(e: sea_orm::DbErr) -> AppError {
    if is_unique_violation(&e) {
        AppError::CategoryNameTaken
    } else {
        e.into()
    }
}

/// Inserts a category; CATEGORY_NAME_TAKEN when a sibling has the name.
#[tracing::instrument(skip_all, fields(category_id = %c.id))]
pub async fn insert(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    c: &Category,
    now_ms: i64,
) -> Result<(), AppError> {
    let sql = "INSERT INTO cat_categories (tenant, id, parent, name, image_url, sort_order, hidden, \
        path, depth, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    let depth = i32::try_from(c.path.len()).unwrap_or(i32::MAX);
    let values: Vec<Value> = vec![
        uuid(tenant.0),
        uuid(c.id),
        parent_key(c.parent).into(),
        c.name.as_str().into(),
        c.image_url.as_str().into(),
        c.sort_order.into(),
        c.hidden.into(),
        path_string(&c.path).into(),
        depth.into(),
        now_ms.into(),
    ];
    conn.execute_raw(stmt(conn, sql, values))
        .await
        .map(|_| ())
        .map_err(taken)
}

/// One category.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn get(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Category>, AppError> {
    let sql = format!("{SELECT} WHERE c.tenant = $1 AND c.id = $2");
    Ok(categories(conn, &sql, vec![uuid(tenant.0), uuid(id)])
        .await?
        .pop())
}

/// Rewrites name, image, sort order and hidden.
#[tracing::instrument(skip_all, fields(category_id = %c.id))]
pub async fn update(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    c: &Category,
    now_ms: i64,
) -> Result<(), AppError> {
    let sql = "UPDATE cat_categories SET name = $3, image_url = $4, sort_order = $5, hidden = $6, \
        updated_at_ms = $7 WHERE tenant = $1 AND id = $2";
    let values: Vec<Value> = vec![
        uuid(tenant.0),
        uuid(c.id),
        c.name.as_str().into(),
        c.image_url.as_str().into(),
        c.sort_order.into(),
        c.hidden.into(),
        now_ms.into(),
    ];
    conn.execute_raw(stmt(conn, sql, values))
        .await
        .map(|_| ())
        .map_err(taken)
}

/// Direct children of `parent` (roots for `None`) by (sort_order, name, id), keyset-paged.
#[tracing::instrument(skip_all)]
pub async fn children(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    parent: Option<Uuid>,
    include_hidden: bool,
    after: Option<&(i32, String, Uuid)>,
    limit: u64,
) -> Result<Vec<Category>, AppError> {
    let mut sql = format!("{SELECT} WHERE c.tenant = $1 AND c.parent = $2");
    let mut v: Vec<Value> = vec![uuid(tenant.0), parent_key(parent).into()];
    if !include_hidden {
        sql.push_str(" AND c.hidden = FALSE");
    }
    if let Some((o, n, id)) = after {
        sql.push_str(
            " AND (c.sort_order > $3 OR (c.sort_order = $3 AND (c.name > $4 OR (c.name = $4 AND c.id > $5))))",
        );
        v.extend([(*o).into(), n.as_str().into(), uuid(*id)]);
    }
    sql.push_str(&format!(
        " ORDER BY c.sort_order, c.name, c.id LIMIT {limit}"
    ));
    categories(conn, &sql, v).await
}

/// Every category under (and including) the path `prefix`, or the whole tree for `None`.
#[tracing::instrument(skip_all)]
pub async fn subtree(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    prefix: Option<&[Uuid]>,
) -> Result<Vec<Category>, AppError> {
    match prefix {
        Some(p) => {
            let p = path_string(p);
            let sql = format!(
                "{SELECT} WHERE c.tenant = $1 AND (c.path = $2 OR c.path LIKE $3) \
                 ORDER BY c.sort_order, c.name, c.id"
            );
            let like = format!("{p}/%");
            categories(conn, &sql, vec![uuid(tenant.0), p.into(), like.into()]).await
        }
        None => {
            let sql = format!("{SELECT} WHERE c.tenant = $1 ORDER BY c.sort_order, c.name, c.id");
            categories(conn, &sql, vec![uuid(tenant.0)]).await
        }
    }
}

/// The deepest depth in the subtree at `path` (its own depth when it has no children).
pub async fn subtree_depth(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    path: &[Uuid],
) -> Result<usize, AppError> {
    let p = path_string(path);
    let sql = "SELECT MAX(depth) AS d FROM cat_categories WHERE tenant = $1 AND (path = $2 OR path LIKE $3)";
    let like = format!("{p}/%");
    let row: Option<DepthRow> =
        fetch_one(conn, sql, [uuid(tenant.0), p.into(), like.into()]).await?;
    let d = row.and_then(|r| r.d).unwrap_or(0);
    Ok(usize::try_from(d).unwrap_or(0))
}

/// Moves the subtree at `old` to `new` (both full paths of the moved category): rewrites the
/// paths and depths of the subtree and the category paths of its products.
#[tracing::instrument(skip_all, fields(category_id = %c.id))]
pub async fn move_subtree(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    c: &Category,
    old: &[Uuid],
    now_ms: i64,
) -> Result<(), AppError> {
    let (o, n) = (path_string(old), path_string(&c.path));
    let delta = i32::try_from(c.path.len()).unwrap_or(0) - i32::try_from(old.len()).unwrap_or(0);
    let sql = "UPDATE cat_categories SET parent = $4, sort_order = $5, updated_at_ms = $6 \
        WHERE tenant = $1 AND id = $2 AND path = $3";
    conn.execute_raw(stmt(
        conn,
        sql,
        [
            uuid(tenant.0),
            uuid(c.id),
            o.clone().into(),
            parent_key(c.parent).into(),
            c.sort_order.into(),
            now_ms.into(),
        ],
    ))
    .await
    .map_err(taken)?;
    let base = [
        uuid(tenant.0),
        o.clone().into(),
        format!("{o}/%").into(),
        n.into(),
        i32::try_from(o.len()).unwrap_or(0).saturating_add(1).into(),
    ];
    let mut v = base.to_vec();
    v.push(delta.into());
    execute(
        conn,
        "UPDATE cat_categories SET path = $4 || SUBSTR(path, $5), depth = depth + $6 \
         WHERE tenant = $1 AND (path = $2 OR path LIKE $3)",
        v,
    )
    .await?;
    execute(
        conn,
        "UPDATE cat_products SET category_path = $4 || SUBSTR(category_path, $5) \
         WHERE tenant = $1 AND (category_path = $2 OR category_path LIKE $3)",
        base,
    )
    .await?;
    Ok(())
}

/// Deletes a category; returns whether it existed.
pub async fn delete(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, AppError> {
    execute(
        conn,
        "DELETE FROM cat_categories WHERE tenant = $1 AND id = $2",
        [uuid(tenant.0), uuid(id)],
    )
    .await
    .map(|n| n > 0)
}

/// Whether the category has children.
pub async fn has_children(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, AppError> {
    let row: Option<Exists> = fetch_one(
        conn,
        "SELECT 1 AS x FROM cat_categories WHERE tenant = $1 AND parent = $2 LIMIT 1",
        [uuid(tenant.0), id.to_string().into()],
    )
    .await?;
    Ok(row.is_some())
}
