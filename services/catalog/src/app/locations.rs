//! Locations: stores (keyed by identity's org unit id) and warehouses.

use sea_orm::ConnectionTrait;
use siyu_core::{Ctx, PrincipalKind, TenantId};
use uuid::Uuid;

use super::domain::{Address, Location, LocationKind, LocationStatus};
use super::{App, org_scope};
use crate::{AppError, repo};

/// The role that runs a store day to day. UpdateLocation's contract admits it next to the HQ
/// roles, but a store manager may change only the opening hours and the pickup/delivery flags
/// of their stores: a split of fields inside one RPC, which the contract's per-method roles
/// cannot express. This is the one place catalog names a role.
const STORE_MANAGER: &str = "store_manager";

/// Loads a location of the tenant or fails with LOCATION_NOT_FOUND.
pub async fn load(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Location, AppError> {
    repo::locations::get(conn, tenant, id)
        .await?
        .ok_or(AppError::LocationNotFound)
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
        Err(AppError::LocationNotActive)
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

/// True when staff may act on `location` only through a store manager grant (no other of the
/// method's roles covers it).
fn only_as_store_manager(ctx: &Ctx, location: &Location) -> bool {
    ctx.principal.kind == PrincipalKind::Staff
        && !ctx.principal.grants.iter().any(|g| {
            g.role != STORE_MANAGER
                && ctx.admitted_roles.contains(&g.role)
                && g.org.covers(&location.org_path)
        })
}

impl LocationPatch {
    /// What a store manager may change: the opening hours and the pickup/delivery flags.
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
    /// UpdateLocation: HQ (or a partner) changes anything mutable; a store manager covering the
    /// store only hours and flags. Closing needs no on-hand and nothing reserved.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %id))]
    pub async fn update_location(
        &self,
        conn: &impl ConnectionTrait,
        ctx: &Ctx,
        id: Uuid,
        patch: LocationPatch,
    ) -> Result<Location, AppError> {
        let mut l = load(conn, ctx.tenant, id).await?;
        org_scope::require_on(ctx, &l)?;
        if only_as_store_manager(ctx, &l) && !patch.store_manager_may() {
            return Err(AppError::OutOfScope(
                "store managers may change opening_hours, pickup_enabled and delivery_enabled only"
                    .into(),
            ));
        }
        let closing =
            patch.status == Some(LocationStatus::Closed) && l.status != LocationStatus::Closed;
        patch.apply(&mut l);
        if l.kind == LocationKind::Store && l.address.geo.is_none() {
            return Err(AppError::invalid(
                "location.address.location",
                "a store needs coordinates",
            ));
        }
        if closing && repo::locations::has_stock(conn, ctx.tenant, id).await? {
            return Err(AppError::LocationNotEmpty);
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
                    return Err(AppError::invalid(
                        "location.address.location",
                        "a store needs coordinates",
                    ));
                }
                if l.org_path.unit() != Some(l.id) {
                    return Err(AppError::invalid(
                        "location.org_path",
                        "a store's org path must end with its location_id",
                    ));
                }
            }
            LocationKind::Warehouse => l.id = siyu_core::id::new(),
        }
        org_scope::require_on(ctx, &l)?;
        l.updated_at_ms = self.now_ms();
        repo::locations::insert(conn, ctx.tenant, &l).await?;
        if l.kind == LocationKind::Store {
            // A new store is a new scope of every product's storefront rows.
            super::storefront::read_model::rebuild_tenant(conn, ctx.tenant, l.updated_at_ms)
                .await?;
        }
        Ok(l)
    }

    /// GetLocation.
    pub async fn get_location(&self, ctx: &Ctx, id: Uuid) -> Result<Location, AppError> {
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
        let statuses = if statuses.is_empty() {
            vec![LocationStatus::Active, LocationStatus::Suspended]
        } else {
            statuses
        };
        repo::locations::list(&self.db, ctx.tenant, kind, &statuses, after.as_ref(), limit).await
    }
}
