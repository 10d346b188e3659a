//! Locations: stores (keyed by identity's org unit id) and warehouses.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, TenantId};
use uuid::Uuid;

use super::domain::{Address, Location, LocationKind, LocationStatus};
use super::{App, AppError, access, invalid};
use crate::repo;

/// Loads a location of the tenant or fails with LOCATION_NOT_FOUND.
pub async fn load(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Location, AppError> {
    repo::locations::get(conn, tenant, id)
        .await?
        .ok_or(AppError::NotFound("LOCATION_NOT_FOUND"))
}

/// Loads an ACTIVE location or fails with LOCATION_NOT_FOUND / LOCATION_NOT_ACTIVE.
pub async fn load_active(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Location, AppError> {
    let l = load(conn, tenant, id).await?;
    if l.status == LocationStatus::Active {
        Ok(l)
    } else {
        Err(AppError::Precondition("LOCATION_NOT_ACTIVE"))
    }
}

/// What UpdateLocation changes (`None` = keep).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocationPatch {
    /// Display name.
    pub name: Option<String>,
    /// Address (a store keeps needing coordinates).
    pub address: Option<Address>,
    /// State; CLOSED needs an empty location.
    pub status: Option<LocationStatus>,
    /// 门店自提.
    pub pickup_enabled: Option<bool>,
    /// Ships deliveries.
    pub delivery_enabled: Option<bool>,
    /// Same-city radius.
    pub delivery_radius_m: Option<i32>,
    /// Warehouse priority.
    pub priority: Option<i32>,
    /// Display text.
    pub opening_hours: Option<String>,
    /// Default low-stock threshold.
    pub default_low_threshold: Option<i32>,
}

impl LocationPatch {
    /// A store manager may change only the opening hours and the pickup/delivery flags.
    fn store_manager_may(&self) -> bool {
        let rest = Self {
            pickup_enabled: None,
            delivery_enabled: None,
            opening_hours: None,
            ..self.clone()
        };
        rest == Self::default()
    }

    fn apply(self, l: &mut Location) {
        let Self {
            name,
            address,
            status,
            pickup_enabled,
            delivery_enabled,
            delivery_radius_m,
            priority,
            opening_hours,
            default_low_threshold,
        } = self;
        l.name = name.unwrap_or(std::mem::take(&mut l.name));
        l.address = address.unwrap_or(std::mem::take(&mut l.address));
        l.status = status.unwrap_or(l.status);
        l.pickup_enabled = pickup_enabled.unwrap_or(l.pickup_enabled);
        l.delivery_enabled = delivery_enabled.unwrap_or(l.delivery_enabled);
        l.delivery_radius_m = delivery_radius_m.unwrap_or(l.delivery_radius_m);
        l.priority = priority.unwrap_or(l.priority);
        l.opening_hours = opening_hours.unwrap_or(std::mem::take(&mut l.opening_hours));
        l.default_low_threshold = default_low_threshold.unwrap_or(l.default_low_threshold);
    }
}

impl App {
    /// UpdateLocation: HQ (or a partner with inventory.write) changes anything mutable; a store
    /// manager covering the store only hours and flags. Closing needs no on-hand and nothing
    /// reserved (LOCATION_NOT_EMPTY).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn update_location(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        patch: LocationPatch,
    ) -> Result<Location, AppError> {
        let mut l = load(conn, ctx.tenant, id).await?;
        if access::on_location(ctx, access::ADMIN, Some("inventory.write"), &l).is_err() {
            access::on_location(ctx, &["store_manager"], None, &l)?;
            if !patch.store_manager_may() {
                return Err(AppError::PermissionDenied(
                    "store managers may change opening_hours, pickup_enabled and delivery_enabled only"
                        .into(),
                ));
            }
        }
        let closing =
            patch.status == Some(LocationStatus::Closed) && l.status != LocationStatus::Closed;
        patch.apply(&mut l);
        if l.kind == LocationKind::Store && l.address.geo.is_none() {
            return Err(invalid(
                "location.address.location",
                "a store needs coordinates",
            ));
        }
        if closing && repo::locations::has_stock(conn, ctx.tenant, id).await? {
            return Err(AppError::Precondition("LOCATION_NOT_EMPTY"));
        }
        l.updated_at_ms = self.now_ms();
        repo::locations::update(conn, ctx.tenant, &l).await?;
        Ok(l)
    }

    /// CreateLocation: a store must have coordinates and an org path ending with its own id;
    /// a warehouse gets a fresh id.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_location(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        mut l: Location,
    ) -> Result<Location, AppError> {
        match l.kind {
            LocationKind::Store => {
                if l.address.geo.is_none() {
                    return Err(invalid(
                        "location.address.location",
                        "a store needs coordinates",
                    ));
                }
                if l.org_path.unit() != Some(l.id) {
                    return Err(invalid(
                        "location.org_path",
                        "a store's org path must end with its location_id",
                    ));
                }
            }
            LocationKind::Warehouse => l.id = siyu_core::id::new(),
        }
        access::on_location(ctx, access::ADMIN, Some("inventory.write"), &l)?;
        l.updated_at_ms = self.now_ms();
        repo::locations::insert(conn, ctx.tenant, &l).await?;
        Ok(l)
    }

    /// GetLocation.
    pub async fn get_location(&self, ctx: &Ctx, id: Uuid) -> Result<Location, AppError> {
        access::anyone(ctx)?;
        load(&self.db, ctx.tenant, id).await
    }

    /// ListLocations: by name, keyset-paged.
    pub async fn list_locations(
        &self,
        ctx: &Ctx,
        kind: Option<LocationKind>,
        statuses: Vec<LocationStatus>,
        after: Option<(String, Uuid)>,
        limit: u64,
    ) -> Result<Vec<Location>, AppError> {
        access::reader(ctx, "inventory.read")?;
        let statuses = if statuses.is_empty() {
            vec![LocationStatus::Active, LocationStatus::Suspended]
        } else {
            statuses
        };
        repo::locations::list(&self.db, ctx.tenant, kind, &statuses, after.as_ref(), limit).await
    }
}
