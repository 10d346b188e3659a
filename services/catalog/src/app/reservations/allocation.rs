//! Where each line of a reservation is held: a pure function over a snapshot of locations and
//! availability, so the policy is unit-tested without a database. The caller then reserves the
//! plan with conditional updates; if a concurrent order took the stock in between, the update
//! fails and the caller plans again from a fresh snapshot.

use std::collections::HashMap;

use uuid::Uuid;

use crate::app::domain::{Geo, Location, LocationKind, LocationStatus, distance_m};

/// Where to reserve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// Every line at this location.
    Fixed(Uuid),
    /// Every line at this pickup store; the rest at warehouses when allowed.
    Pickup(Uuid),
    /// Delivery: nearest covering store, then warehouses when allowed.
    Delivery,
}

/// The allocation policy of a ReserveStock call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Where.
    pub target: Target,
    /// Delivery destination.
    pub delivery_to: Option<Geo>,
    /// Warehouses may serve lines.
    pub allow_warehouse: bool,
}

/// A line that could not be placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    /// The SKU.
    pub sku_id: Uuid,
    /// Units asked for.
    pub requested: i32,
    /// The best availability seen for it.
    pub available: i32,
}

/// Availability snapshot: (sku, location) → available units.
pub type Snapshot = HashMap<(Uuid, Uuid), i32>;

/// The locations that may serve lines under `policy`, best first (the fixed/pickup location is
/// returned by the caller separately).
fn delivery_stores<'a>(policy: &Policy, locations: &'a [Location]) -> Vec<&'a Location> {
    let Some(to) = policy.delivery_to else {
        return Vec::new();
    };
    let mut stores: Vec<(f64, &Location)> = locations
        .iter()
        .filter(|l| {
            l.kind == LocationKind::Store
                && l.status == LocationStatus::Active
                && l.delivery_enabled
                && l.delivery_radius_m > 0
        })
        .filter_map(|l| {
            let d = distance_m(to, l.address.geo?);
            (d <= f64::from(l.delivery_radius_m)).then_some((d, l))
        })
        .collect();
    stores.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    stores.into_iter().map(|(_, l)| l).collect()
}

fn warehouses<'a>(
    policy: &Policy,
    locations: &'a [Location],
    near: Option<Geo>,
) -> Vec<&'a Location> {
    if !policy.allow_warehouse {
        return Vec::new();
    }
    let dist = |l: &Location| match (near, l.address.geo) {
        (Some(a), Some(b)) => distance_m(a, b),
        _ => f64::MAX,
    };
    let mut ws: Vec<&Location> = locations
        .iter()
        .filter(|l| l.kind == LocationKind::Warehouse && l.status == LocationStatus::Active)
        .collect();
    ws.sort_by(|a, b| {
        a.priority
            .cmp(&b.priority)
            .then(dist(a).total_cmp(&dist(b)))
            .then(a.id.cmp(&b.id))
    });
    ws
}

/// The locations that may deliver to `to`: ACTIVE delivering stores whose radius covers it
/// (nearest first), then ACTIVE warehouses by priority. The same rule allocation uses.
pub fn delivery_sources(to: Option<Geo>, locations: &[Location]) -> Vec<&Location> {
    let policy = Policy {
        target: Target::Delivery,
        delivery_to: to,
        allow_warehouse: true,
    };
    let mut v = delivery_stores(&policy, locations);
    v.extend(warehouses(&policy, locations, to));
    v
}

/// Chooses a location per line (never splitting a line), or the first line that cannot be
/// placed. `first` is the fixed or pickup location, when the policy names one.
pub fn plan(
    lines: &[(Uuid, i32)],
    policy: &Policy,
    first: Option<&Location>,
    locations: &[Location],
    snapshot: &Snapshot,
) -> Result<Vec<(Uuid, i32, Uuid)>, Shortfall> {
    let avail = |sku: Uuid, loc: Uuid| snapshot.get(&(sku, loc)).copied().unwrap_or(0);
    if let (Target::Fixed(loc), _) = (policy.target, first) {
        // The conditional update is the check; no snapshot needed.
        return Ok(lines.iter().map(|(s, q)| (*s, *q, loc)).collect());
    }
    let stores: Vec<&Location> = match (policy.target, first) {
        (Target::Pickup(_), Some(store)) => vec![store],
        _ => delivery_stores(policy, locations),
    };
    let near = first.and_then(|l| l.address.geo).or(policy.delivery_to);
    let ws = warehouses(policy, locations, near);
    // One location for the whole order is cheapest to fulfil: try that first.
    if let Some(one) = stores
        .iter()
        .chain(ws.iter())
        .find(|l| lines.iter().all(|(s, q)| avail(*s, l.id) >= *q))
    {
        return Ok(lines.iter().map(|(s, q)| (*s, *q, one.id)).collect());
    }
    let mut out = Vec::with_capacity(lines.len());
    for (sku, qty) in lines {
        let chosen = stores
            .iter()
            .chain(ws.iter())
            .find(|l| avail(*sku, l.id) >= *qty);
        match chosen {
            Some(l) => out.push((*sku, *qty, l.id)),
            None => {
                let best = stores
                    .iter()
                    .chain(ws.iter())
                    .map(|l| avail(*sku, l.id))
                    .max()
                    .unwrap_or(0);
                return Err(Shortfall {
                    sku_id: *sku,
                    requested: *qty,
                    available: best.max(0),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::domain::Address;
    use siyu_core::OrgPath;

    fn loc(kind: LocationKind, lat: f64, radius: i32, priority: i32) -> Location {
        let id = siyu_core::id::new();
        Location {
            id,
            kind,
            name: "x".into(),
            org_path: OrgPath(vec![id]),
            address: Address {
                geo: Some(Geo { lat, lng: 121.0 }),
                ..Address::default()
            },
            status: LocationStatus::Active,
            pickup_enabled: true,
            delivery_enabled: true,
            delivery_radius_m: radius,
            priority,
            opening_hours: String::new(),
            default_low_threshold: 0,
            updated_at_ms: 0,
        }
    }

    fn policy(target: Target, allow_warehouse: bool) -> Policy {
        Policy {
            target,
            delivery_to: Some(Geo {
                lat: 31.0,
                lng: 121.0,
            }),
            allow_warehouse,
        }
    }

    #[test]
    fn pickup_store_first_then_warehouse_only_when_allowed() {
        let store = loc(LocationKind::Store, 31.0, 0, 0);
        let wh = loc(LocationKind::Warehouse, 30.0, 0, 1);
        let (a, b) = (siyu_core::id::new(), siyu_core::id::new());
        let snap: Snapshot = [((a, store.id), 5), ((b, store.id), 0), ((b, wh.id), 9)]
            .into_iter()
            .collect();
        let all = vec![store.clone(), wh.clone()];
        let lines = [(a, 2), (b, 3)];
        let p = plan(
            &lines,
            &policy(Target::Pickup(store.id), true),
            Some(&store),
            &all,
            &snap,
        )
        .unwrap();
        assert_eq!(p, vec![(a, 2, store.id), (b, 3, wh.id)]);
        let short = plan(
            &lines,
            &policy(Target::Pickup(store.id), false),
            Some(&store),
            &all,
            &snap,
        )
        .unwrap_err();
        assert_eq!(
            short,
            Shortfall {
                sku_id: b,
                requested: 3,
                available: 0
            }
        );
    }

    #[test]
    fn delivery_prefers_the_nearest_store_holding_every_line() {
        let near = loc(LocationKind::Store, 31.001, 5_000, 0);
        let far = loc(LocationKind::Store, 31.01, 5_000, 0);
        let out_of_radius = loc(LocationKind::Store, 31.2, 5_000, 0);
        let (a, b) = (siyu_core::id::new(), siyu_core::id::new());
        let snap: Snapshot = [
            ((a, near.id), 9),
            ((a, far.id), 9),
            ((b, far.id), 9),
            ((a, out_of_radius.id), 99),
            ((b, out_of_radius.id), 99),
        ]
        .into_iter()
        .collect();
        let all = vec![near.clone(), far.clone(), out_of_radius];
        let p = plan(
            &[(a, 1), (b, 1)],
            &policy(Target::Delivery, false),
            None,
            &all,
            &snap,
        )
        .unwrap();
        assert_eq!(p, vec![(a, 1, far.id), (b, 1, far.id)]);
        let p = plan(
            &[(a, 1)],
            &policy(Target::Delivery, false),
            None,
            &all,
            &snap,
        )
        .unwrap();
        assert_eq!(p, vec![(a, 1, near.id)]);
    }

    #[test]
    fn warehouses_go_by_priority() {
        let w1 = loc(LocationKind::Warehouse, 40.0, 0, 1);
        let w2 = loc(LocationKind::Warehouse, 31.0, 0, 2);
        let a = siyu_core::id::new();
        let snap: Snapshot = [((a, w1.id), 5), ((a, w2.id), 5)].into_iter().collect();
        let p = plan(
            &[(a, 5)],
            &policy(Target::Delivery, true),
            None,
            &[w2, w1.clone()],
            &snap,
        )
        .unwrap();
        assert_eq!(p, vec![(a, 5, w1.id)]);
    }
}
