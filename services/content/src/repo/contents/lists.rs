//! The two lists of items: staff's (filters, newest update first) and consumers' (live items by
//! kind, tag, product and audience, newest publication first), both keyset-paged.

use sea_orm::{ConnectionTrait, Value};
use siyu_core::TenantId;
use uuid::Uuid;

use super::super::{fetch_all, limit, member_pattern, uuid};
use super::{SELECT, contents};
use crate::AppError;
use crate::app::contents::ListFilter;
use crate::app::contents::model::Content;
use crate::app::pages::PublishedFilter;

/// Builds a `WHERE` clause and its values, numbering placeholders from 1.
struct Where {
    clauses: Vec<String>,
    values: Vec<Value>,
}

impl Where {
    fn new(tenant: TenantId) -> Self {
        Self {
            clauses: vec!["c.tenant = $1".into()],
            values: vec![uuid(tenant.0)],
        }
    }

    /// The next placeholder for `value`.
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    fn and(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    fn sql(&self) -> String {
        self.clauses.join(" AND ")
    }
}

/// A page of items for staff, newest update first, after the cursor `(updated_at_ms, id)`.
pub async fn list(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &ListFilter,
    after: Option<(i64, Uuid)>,
    n: u64,
) -> Result<Vec<Content>, AppError> {
    let mut w = Where::new(tenant);
    if let Some(kind) = f.kind {
        let p = w.bind(kind.number());
        w.and(format!("c.kind = {p}"));
    }
    if !f.statuses.is_empty() {
        let ps: Vec<String> = f.statuses.iter().map(|s| w.bind(s.number())).collect();
        w.and(format!("c.status IN ({})", ps.join(", ")));
    }
    if let Some(tag) = &f.tag {
        let p = w.bind(member_pattern(tag));
        w.and(format!("c.tags LIKE {p} ESCAPE '\\'"));
    }
    if let Some(q) = &f.query {
        let p = w.bind(format!(
            "%{}%",
            super::super::escape_like(&q.to_lowercase())
        ));
        w.and(format!("c.title LIKE {p} ESCAPE '\\'"));
    }
    if let Some(product) = f.product_id {
        let p = w.bind(member_pattern(&product.to_string()));
        w.and(format!("c.product_ids LIKE {p} ESCAPE '\\'"));
    }
    if let Some(owner) = f.owner_org_unit_id {
        let p = w.bind(uuid(owner));
        w.and(format!("c.owner_org_unit_id = {p}"));
    }
    if let Some(owners) = &f.owners_in {
        if owners.is_empty() {
            w.and("1 = 0".into());
        } else {
            let ps: Vec<String> = owners.iter().map(|o| w.bind(uuid(*o))).collect();
            w.and(format!("c.owner_org_unit_id IN ({})", ps.join(", ")));
        }
    }
    if let Some((at, id)) = after {
        let a = w.bind(at);
        let b = w.bind(uuid(id));
        w.and(format!(
            "(c.updated_at_ms < {a} OR (c.updated_at_ms = {a} AND c.id < {b}))"
        ));
    }
    let l = w.bind(limit(n));
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY c.updated_at_ms DESC, c.id DESC LIMIT {l}",
        w.sql()
    );
    contents(fetch_all(conn, &sql, w.values).await?)
}

/// A page of live items matching `f` at `now`, newest publication first, after the cursor
/// `(published_at_ms, id)`. Audience and expiry are filtered here, so pages are full.
pub async fn published(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    f: &PublishedFilter,
    now: i64,
    after: Option<(i64, Uuid)>,
    n: u64,
) -> Result<Vec<Content>, AppError> {
    let mut w = Where::new(tenant);
    let k = w.bind(f.kind.number());
    let t = w.bind(now);
    w.and(format!(
        "c.kind = {k} AND c.published_version > 0 AND c.status IN (2, 3)
         AND (c.expire_at_ms IS NULL OR c.expire_at_ms > {t}) AND c.live_segments = ''"
    ));
    match f.store_id {
        Some(store) => {
            let p = w.bind(member_pattern(&store.to_string()));
            w.and(format!(
                "(c.live_org_units = '' OR c.live_org_units LIKE {p} ESCAPE '\\')"
            ));
        }
        None => w.and("c.live_org_units = ''".into()),
    }
    if let Some(tag) = &f.tag {
        let p = w.bind(member_pattern(tag));
        w.and(format!("c.live_tags LIKE {p} ESCAPE '\\'"));
    }
    if let Some(product) = f.product_id {
        let p = w.bind(member_pattern(&product.to_string()));
        w.and(format!("c.live_products LIKE {p} ESCAPE '\\'"));
    }
    if let Some((at, id)) = after {
        let a = w.bind(at);
        let b = w.bind(uuid(id));
        w.and(format!(
            "(c.published_at_ms < {a} OR (c.published_at_ms = {a} AND c.id < {b}))"
        ));
    }
    let l = w.bind(limit(n));
    let sql = format!(
        "{SELECT} WHERE {} ORDER BY c.published_at_ms DESC, c.id DESC LIMIT {l}",
        w.sql()
    );
    contents(fetch_all(conn, &sql, w.values).await?)
}
