//! Reads of the org tree, each scoped by the caller: staff see the subtrees of their grants,
//! services the whole tenant, consumers/partners/public only active stores.

use std::collections::HashMap;

use siyu_core::{Ctx, PrincipalKind};

use crate::app::App;
use crate::app::org::{ANY_STAFF, covers, require};
use crate::error::AppError;
use crate::repo::org::{self as repo, OrgRow};

/// Filters of ListStores.
#[derive(Debug, Clone, Default)]
pub struct StoreQuery {
    /// Only under this unit.
    pub under: String,
    /// Substring of name, code or address (case-insensitive).
    pub query: String,
    /// Exact city.
    pub city: String,
    /// Sort by distance from (lat, lng).
    pub near: Option<(f64, f64)>,
    /// Radius in meters (0 = none).
    pub radius_meters: i32,
    /// Pickup only.
    pub pickup_only: bool,
    /// Include disabled (staff only).
    pub include_disabled: bool,
}

/// Great-circle distance in meters (haversine; stores are close enough for a sphere).
pub fn distance_meters(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R: f64 = 6_371_000.0;
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

fn is_service(ctx: &Ctx) -> bool {
    ctx.principal.kind == PrincipalKind::Service
}

impl App {
    /// GetOrgUnit: staff within scope, services; others active stores only.
    pub async fn get_org_unit(&self, ctx: &Ctx, id: &str) -> Result<OrgRow, AppError> {
        let unit = self.org_unit(&self.db, &ctx.tenant.to_string(), id).await?;
        match ctx.principal.kind {
            PrincipalKind::Service => Ok(unit),
            PrincipalKind::Staff => require(ctx, ANY_STAFF, &unit.path).map(|()| unit),
            PrincipalKind::Consumer | PrincipalKind::Partner => {
                if unit.kind == "STORE" && unit.status == "ACTIVE" {
                    Ok(unit)
                } else {
                    Err(AppError::NotFound("ORG_UNIT_NOT_FOUND"))
                }
            }
        }
    }

    /// BatchGetOrgUnits: units found and visible, in request order.
    pub async fn batch_get_org_units(
        &self,
        ctx: &Ctx,
        ids: &[String],
    ) -> Result<Vec<OrgRow>, AppError> {
        if !is_service(ctx) && ctx.principal.kind != PrincipalKind::Staff {
            return Err(AppError::PermissionDenied("PERMISSION_DENIED"));
        }
        let tenant = ctx.tenant.to_string();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(unit) = repo::get(&self.db, &tenant, id).await?
                && (is_service(ctx) || covers(ctx, ANY_STAFF, &unit.path))
            {
                out.push(unit);
            }
        }
        Ok(out)
    }

    /// The unit a tree read starts at: `id`, or the root when empty; staff need scope over it.
    async fn tree_start(&self, ctx: &Ctx, id: &str) -> Result<OrgRow, AppError> {
        let tenant = ctx.tenant.to_string();
        let id = if id.is_empty() {
            self.tenant(&tenant).await?.root_org_id
        } else {
            id.to_owned()
        };
        let unit = self.org_unit(&self.db, &tenant, &id).await?;
        if !is_service(ctx) {
            require(ctx, ANY_STAFF, &unit.path)?;
        }
        Ok(unit)
    }

    /// ListOrgChildren.
    pub async fn org_children(
        &self,
        ctx: &Ctx,
        parent: &str,
        include_disabled: bool,
    ) -> Result<Vec<OrgRow>, AppError> {
        let parent = self.tree_start(ctx, parent).await?;
        Ok(
            repo::children(&self.db, &ctx.tenant.to_string(), &parent.id)
                .await?
                .into_iter()
                .filter(|c| include_disabled || c.status == "ACTIVE")
                .collect(),
        )
    }

    /// GetOrgSubtree: the unit first, then depth-first in sibling order.
    pub async fn org_subtree(
        &self,
        ctx: &Ctx,
        id: &str,
        max_depth: i32,
        kinds: &[String],
        include_disabled: bool,
    ) -> Result<Vec<OrgRow>, AppError> {
        let start = self.tree_start(ctx, id).await?;
        let rows = repo::subtree(&self.db, &ctx.tenant.to_string(), &start.path, false).await?;
        let mut ordered = Vec::with_capacity(rows.len());
        depth_first(&start, &rows, &mut ordered);
        Ok(ordered
            .into_iter()
            .filter(|u| max_depth <= 0 || u.depth - start.depth <= max_depth)
            .filter(|u| kinds.is_empty() || kinds.contains(&u.kind))
            .filter(|u| include_disabled || u.status == "ACTIVE")
            .collect())
    }

    /// GetOrgPath: root down to the unit (ancestors even above the caller's scope).
    pub async fn org_path(&self, ctx: &Ctx, id: &str) -> Result<Vec<OrgRow>, AppError> {
        let unit = self.tree_start(ctx, id).await?;
        let tenant = ctx.tenant.to_string();
        let mut out = Vec::new();
        for ancestor in unit.path.split('/') {
            out.push(self.org_unit(&self.db, &tenant, ancestor).await?);
        }
        Ok(out)
    }

    /// ListStores for a resolved tenant; `ctx` is None for public callers.
    pub async fn list_stores(
        &self,
        tenant: &str,
        ctx: Option<&Ctx>,
        q: &StoreQuery,
    ) -> Result<Vec<(OrgRow, f64)>, AppError> {
        let staff = ctx.is_some_and(|c| c.principal.kind == PrincipalKind::Staff);
        let under = if q.under.is_empty() {
            self.tenant(tenant).await?.root_org_id
        } else {
            q.under.clone()
        };
        let root = self.org_unit(&self.db, tenant, &under).await?;
        let needle = q.query.to_lowercase();
        let mut stores: Vec<(OrgRow, f64)> = repo::subtree(&self.db, tenant, &root.path, true)
            .await?
            .into_iter()
            .filter(|s| match ctx {
                Some(c) if staff => covers(c, ANY_STAFF, &s.path),
                _ => true,
            })
            .filter(|s| s.status == "ACTIVE" || (staff && q.include_disabled))
            .filter(|s| q.city.is_empty() || s.city == q.city)
            .filter(|s| !q.pickup_only || s.pickup)
            .filter(|s| {
                needle.is_empty()
                    || [&s.name, &s.code, &s.address]
                        .iter()
                        .any(|f| f.to_lowercase().contains(&needle))
            })
            .map(|s| {
                let d = match (q.near, s.latitude, s.longitude) {
                    (Some(p), Some(lat), Some(lng)) => distance_meters(p, (lat, lng)),
                    (Some(_), _, _) => f64::INFINITY,
                    (None, _, _) => 0.0,
                };
                (s, d)
            })
            .filter(|(_, d)| {
                q.near.is_none() || q.radius_meters == 0 || *d <= f64::from(q.radius_meters)
            })
            .collect();
        if q.near.is_some() {
            stores.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.id.cmp(&b.0.id)));
        }
        Ok(stores)
    }
}

/// Appends `unit` and its descendants (from `rows`, sorted by sibling order) depth-first.
fn depth_first(unit: &OrgRow, rows: &[OrgRow], out: &mut Vec<OrgRow>) {
    let mut by_parent: HashMap<&str, Vec<&OrgRow>> = HashMap::new();
    for row in rows {
        if let Some(parent) = row.parent_id.as_deref() {
            by_parent.entry(parent).or_default().push(row);
        }
    }
    for children in by_parent.values_mut() {
        children
            .sort_by(|a, b| (a.sort_order, &a.name, &a.id).cmp(&(b.sort_order, &b.name, &b.id)));
    }
    // An explicit stack: trees can be deep and wide.
    let mut stack = vec![unit];
    while let Some(next) = stack.pop() {
        out.push(next.clone());
        if let Some(children) = by_parent.get(next.id.as_str()) {
            stack.extend(children.iter().rev());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::distance_meters;

    #[test]
    fn distance_is_about_right() {
        // People's Square to the Bund, Shanghai: about 1.6 km.
        let d = distance_meters((31.2304, 121.4737), (31.2400, 121.4900));
        assert!((1_500.0..2_000.0).contains(&d), "{d}");
        assert!(distance_meters((31.0, 121.0), (31.0, 121.0)).abs() < 1e-6);
    }
}
