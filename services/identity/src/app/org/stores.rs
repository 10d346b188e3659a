//! ListStores: the active stores under a unit, filtered by city, pickup and text, and sorted by
//! haversine distance in Rust (portable to SQLite, no PostGIS). Staff see the stores in their
//! scope, disabled ones on request.

use siyu_core::{Ctx, PrincipalKind, TenantId};

use crate::app::App;
use crate::app::org::may_act_on;
use crate::error::AppError;
use crate::repo::org::OrgUnitStatus;
use crate::repo::org::tree as tree_repo;
use crate::repo::org::units::OrgUnit;

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

impl App {
    /// ListStores for a resolved tenant; `ctx` is None for public callers.
    pub async fn list_stores(
        &self,
        tenant: TenantId,
        ctx: Option<&Ctx>,
        q: &StoreQuery,
    ) -> Result<Vec<(OrgUnit, f64)>, AppError> {
        let staff = ctx.is_some_and(|c| c.principal.kind == PrincipalKind::Staff);
        let under = if q.under.is_empty() {
            self.tenant(tenant).await?.root_org_id
        } else {
            q.under.clone()
        };
        let root = self.org_unit(&self.db, tenant, &under).await?;
        let needle = q.query.to_lowercase();
        let mut stores: Vec<(OrgUnit, f64)> =
            tree_repo::subtree(&self.db, tenant, &root.path, true)
                .await?
                .into_iter()
                .filter(|s| match ctx {
                    Some(c) if staff => may_act_on(c, &s.path),
                    _ => true,
                })
                .filter(|s| s.status == OrgUnitStatus::Active || (staff && q.include_disabled))
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
