//! ListNearbyStores: ACTIVE stores with coordinates within the radius, nearest first (the
//! crate's haversine), optionally with a SKU's availability. 1 locations query + 1 stock query;
//! tenants have hundreds of stores, so distance is computed in Rust and paged by
//! (distance, id).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Shopper, availability};
use crate::app::App;
use crate::app::domain::{Geo, Location, LocationKind, distance_m};
use crate::{AppError, repo};

/// A parsed ListNearbyStores request.
#[derive(Debug, Clone)]
pub struct Nearby {
    /// The consumer's position.
    pub at: Geo,
    /// Radius, metres (1..=100,000).
    pub radius_m: i32,
    /// Only stores with this SKU (pickup-enabled stores only).
    pub sku: Option<Uuid>,
    /// Minimum available units of `sku`.
    pub quantity: i32,
    /// List stores without enough stock too (available shown).
    pub include_out_of_stock: bool,
    /// Page size.
    pub size: usize,
    /// Cursor of the previous page.
    pub after: Option<NearbyCursor>,
}

/// Keyset cursor: whole metres, then id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NearbyCursor {
    /// Distance in whole metres.
    pub d: i32,
    /// Store id.
    pub id: Uuid,
}

/// A store near the point.
#[derive(Debug, Clone)]
pub struct NearStore {
    /// The store.
    pub store: Location,
    /// Distance, metres.
    pub distance_m: i32,
    /// Available units of the SKU asked for (0 when none).
    pub available: i32,
}

impl App {
    /// ListNearbyStores.
    #[tracing::instrument(skip_all, fields(tenant = %shopper.tenant))]
    pub async fn nearby_stores(
        &self,
        shopper: &Shopper,
        q: &Nearby,
    ) -> Result<(Vec<NearStore>, Option<NearbyCursor>), AppError> {
        let tenant = shopper.tenant;
        let mut near: Vec<(NearbyCursor, Location)> = repo::locations::active(&self.reads, tenant)
            .await?
            .into_iter()
            .filter(|l| l.kind == LocationKind::Store && (q.sku.is_none() || l.pickup_enabled))
            .filter_map(|l| {
                let d = distance_m(q.at, l.address.geo?).round();
                #[allow(clippy::cast_possible_truncation, reason = "d <= radius <= 100 km")]
                let d = d as i32;
                (d <= q.radius_m).then_some((NearbyCursor { d, id: l.id }, l))
            })
            .filter(|(c, _)| q.after.is_none_or(|a| *c > a))
            .collect();
        near.sort_by_key(|(c, _)| *c);
        let stock = match q.sku {
            Some(sku) => {
                let ids: Vec<Uuid> = near.iter().map(|(c, _)| c.id).collect();
                availability(&self.reads, tenant, &[sku], &ids).await?
            }
            None => Default::default(),
        };
        let mut out: Vec<(NearbyCursor, NearStore)> = near
            .into_iter()
            .map(|(c, store)| {
                let available = q
                    .sku
                    .map_or(0, |s| stock.get(&(s, store.id)).copied().unwrap_or(0));
                (
                    c,
                    NearStore {
                        store,
                        distance_m: c.d,
                        available,
                    },
                )
            })
            .filter(|(_, s)| q.sku.is_none() || q.include_out_of_stock || s.available >= q.quantity)
            .collect();
        let more = out.len() > q.size;
        out.truncate(q.size);
        let next = out.last().map(|(c, _)| *c).filter(|_| more);
        Ok((out.into_iter().map(|(_, s)| s).collect(), next))
    }
}
